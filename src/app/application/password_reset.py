"""Use cases of a forgotten password: ask for a reset link, send it, set a new password.

The token is made where the e-mail is written (the Celery task), and only its SHA-256 digest
is stored: the request, the outbox row and the broker never see it. A random 256-bit token
needs no slow hash; the digest of a guess is as useless as the guess.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from app.application.audit import entry
from app.application.ports import (
    AttemptLimiter,
    Clock,
    Mail,
    Mailer,
    PasswordHasher,
    SessionStore,
    UnitOfWork,
)
from app.domain.audit.entry import ActorKind, AuditAction
from app.domain.shared import RateLimited
from app.domain.users.errors import InvalidResetToken
from app.domain.users.values import Email, UserId, check_password_policy

SUBJECT = "Reset your password"


@dataclass(frozen=True, slots=True)
class ResetPolicy:
    token_seconds: int
    link: str  # the front end's page, with `{token}` where the token goes (PASSWORD_RESET_URL)


@dataclass(frozen=True, slots=True, kw_only=True)
class SendReset:
    """The `users.password_reset_requested.v1` event: its id names the request."""

    request_id: UUID
    user_id: UUID
    email: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmReset:
    token: str
    new_password: str
    client: str = "unknown"


class PasswordResetService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        hasher: PasswordHasher,
        sessions: SessionStore,
        mailer: Mailer,
        limiter: AttemptLimiter,
        clock: Clock,
        policy: ResetPolicy,
    ) -> None:
        self._uow, self._hasher, self._sessions, self._mailer = uow, hasher, sessions, mailer
        self._limiter, self._clock, self._policy = limiter, clock, policy

    async def request(self, email: str, client: str) -> None:
        """Ask for a reset link for the address; the same outcome whether or not an account
        has it (the e-mail goes out later, from a worker). Raises InvalidField, RateLimited."""
        address = Email.parse(email)
        await self._limit([f"email:{address.value}", f"client:{client}"])
        now = self._clock.now()
        async with self._uow() as uow:
            user = await uow.users.get_by_email(address)
            if user is not None and user.is_active:
                user.request_password_reset(now)
                detail = {"outcome": "sent"}
            else:
                user, detail = None, {"outcome": "no_active_account", "email": address.value}
            target = user.id if user else None
            uow.audit.record(
                entry(AuditAction.PASSWORD_RESET_REQUESTED, now, target_id=target, detail=detail)
            )
            await uow.commit()

    async def send(self, cmd: SendReset) -> bool:
        """Make the request's token and e-mail its link; False when there is nothing to send
        (the account is gone or inactive, or the token was used). A repeat makes a new token
        in place of the last one: only the latest e-mail's link works.
        Raises DependencyUnavailable (send again later), UndeliverableEmail."""
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        expires_at = now + timedelta(seconds=self._policy.token_seconds)
        async with self._uow() as uow:
            user = await uow.users.get(UserId(cmd.user_id))
            if user is None or not user.is_active:
                return False
            if not await uow.password_resets.issue(
                cmd.request_id, user.id, digest(token), expires_at
            ):
                return False
            await uow.commit()
        await self._mailer.send(Mail(to=user.email.value, subject=SUBJECT, text=self._text(token)))
        return True

    async def confirm(self, cmd: ConfirmReset) -> None:
        """Set the new password with a token from the e-mail; every session of the account
        ends. Raises InvalidField (new_password), RateLimited, InvalidResetToken."""
        check_password_policy(cmd.new_password, "new_password")
        # Before the hash: each try costs a slow hash, so tries are counted like sign-ins.
        await self._limit([f"client:{cmd.client}"])
        password_hash = await self._hasher.hash(cmd.new_password)
        now = self._clock.now()
        async with self._uow() as uow:
            user_id = await uow.password_resets.redeem(digest(cmd.token), now)
            user = None if user_id is None else await uow.users.get(UserId(user_id))
            if user is None or not user.is_active:
                raise InvalidResetToken()  # rolled back: an inactive account's token stays
            user.change_password(password_hash, now)
            uow.audit.record(
                entry(
                    AuditAction.PASSWORD_RESET,
                    now,
                    actor_id=user.id,
                    target_id=user.id,
                    actor_kind=ActorKind.USER,
                )
            )
            await uow.commit()
        await self._sessions.revoke_all(user.id)

    async def _limit(self, keys: list[str]) -> None:
        retry_after = await self._limiter.hit(keys)
        if retry_after is not None:
            raise RateLimited(
                "Too many password-reset attempts; try again later", retry_after=retry_after
            )

    def _text(self, token: str) -> str:
        minutes = self._policy.token_seconds // 60
        link = self._policy.link.replace("{token}", token)
        return (
            "Someone asked to reset the password of your account.\n\n"
            f"To choose a new password, open this link within {minutes} minutes:\n\n{link}\n\n"
            "The link works once. If you did not ask for it, ignore this message: your"
            " password stays as it is.\n"
        )


def digest(token: str) -> str:
    """What is stored of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()
