"""Use cases of authentication: sign-in, refresh, sign-out, token checks, the caller's sessions
and password."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID, uuid4

from app.application.audit import entry
from app.application.ports import (
    AttemptLimiter,
    Clock,
    PasswordHasher,
    SessionStore,
    TokenCodec,
    UnitOfWork,
)
from app.domain.audit.entry import AuditAction, AuditEntry, Detail
from app.domain.auth.permissions import Permission, Role, authorize
from app.domain.auth.session import (
    USER_AGENT_MAX,
    RefreshOutcome,
    SessionInfo,
    SessionLifetime,
    TokenClaims,
    TokenType,
)
from app.domain.shared import AuthenticationError, DomainError, RateLimited, ValidationError
from app.domain.users.errors import InactiveAccount, InvalidCredentials, WrongPassword
from app.domain.users.user import User
from app.domain.users.values import EMAIL_MAX, Email, UserId, check_password_policy


@dataclass(frozen=True, slots=True, kw_only=True)
class SignIn:
    email: str
    password: str
    client: str = "unknown"
    user_agent: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangePassword:
    current_password: str
    new_password: str
    client: str = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenPair:
    user_uuid: UUID
    access: str
    refresh: str
    expires_in: int
    token_type: str = "bearer"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user, the session their access token belongs to, and their roles."""

    user_id: UUID
    session_id: str
    roles: frozenset[Role] = frozenset({Role.USER})

    def require(self, permission: Permission) -> None:
        """Raises PermissionDenied unless the caller's roles grant `permission`."""
        authorize(self.roles, permission)


@dataclass(frozen=True, slots=True)
class TokenLifetimes:
    access_seconds: int
    refresh_seconds: int
    session_seconds: int  # absolute: no refresh extends a session past its creation plus this

    @property
    def session(self) -> SessionLifetime:
        return SessionLifetime(self.refresh_seconds, self.session_seconds)


@dataclass(frozen=True, slots=True)
class AttemptLimits:
    """Attempts per client address (and per email for sign-in and resets) in a window."""

    sign_in: AttemptLimiter
    sign_up: AttemptLimiter
    password_reset: AttemptLimiter


class AuthService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        hasher: PasswordHasher,
        tokens: TokenCodec,
        sessions: SessionStore,
        limits: AttemptLimits,
        lifetimes: TokenLifetimes,
        clock: Clock,
    ) -> None:
        self._uow, self._hasher, self._tokens = uow, hasher, tokens
        self._sessions, self._limits, self._lifetimes = sessions, limits, lifetimes
        self._clock = clock

    async def admit_sign_up(self, client: str) -> None:
        """Count a sign-up attempt from the client address. Raises RateLimited."""
        retry_after = await self._limits.sign_up.hit([f"client:{client}"])
        if retry_after is not None:
            raise RateLimited("Too many sign-up attempts; try again later", retry_after=retry_after)

    async def sign_in(self, cmd: SignIn) -> TokenPair:
        """Open a session. Raises RateLimited, InvalidCredentials, InactiveAccount."""
        email = _email_or_none(cmd.email)
        typed = email.value if email else cmd.email.strip().lower()[:EMAIL_MAX]
        await self._limit(typed, cmd.client)
        user = None
        if email is not None:
            async with self._uow() as uow:
                user = await uow.users.get_by_email(email)
        # Verify against a dummy hash for unknown emails so both failures take the same time.
        password_ok = await self._hasher.verify(
            cmd.password, user.password_hash if user else self._hasher.dummy_hash
        )
        refusal = _refusal(user, password_ok)
        if refusal is not None:
            reason, error = refusal
            await self._record(
                self._entry(
                    AuditAction.SIGN_IN_FAILED,
                    target_id=user.id if user else None,
                    detail={"reason": reason, "email": typed},
                )
            )
            raise error
        assert user is not None  # _refusal answered for a missing one
        pair = await self._open_session(user, cmd)
        await self._record(
            self._entry(AuditAction.SIGN_IN_SUCCEEDED, actor_id=user.id, target_id=user.id)
        )
        return pair

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate the refresh token. Raises AuthenticationError (a reuse revokes the session)."""
        claims = self._tokens.decode(refresh_token, TokenType.REFRESH)
        async with self._uow() as uow:
            user = await uow.users.get(UserId(claims.user_id))
        if user is None or not user.is_active:
            raise AuthenticationError("This account is no longer active")
        new_jti = uuid4().hex
        outcome = await self._sessions.rotate(
            claims.session_id, claims.user_id, claims.jti, new_jti, self._lifetimes.session
        )
        if outcome is not RefreshOutcome.ROTATED:
            raise AuthenticationError(_REFUSED[outcome])
        return self._pair(claims.user_id, claims.session_id, new_jti)

    async def authenticate(self, access_token: str) -> Principal:
        """The caller. Raises AuthenticationError unless the token and its session are live."""
        claims = self._tokens.decode(access_token, TokenType.ACCESS)
        # The roles come from the session, never from the token: a change of the account's
        # roles ends its sessions, so no call is ever authorized by roles it no longer holds.
        roles = await self._sessions.roles_of(claims.session_id, claims.user_id)
        if roles is None:
            raise AuthenticationError("Session expired or signed out")
        return Principal(claims.user_id, claims.session_id, roles)

    async def sign_out(self, principal: Principal) -> None:
        """End the session: its access and refresh tokens stop working at once."""
        await self._sessions.delete(principal.session_id, principal.user_id)

    async def sessions(self, principal: Principal) -> list[SessionInfo]:
        """The caller's live sessions, oldest first."""
        return await self._sessions.sessions_of(principal.user_id)

    async def sign_out_everywhere(self, principal: Principal) -> None:
        """End every session of the caller, this one included."""
        await self._sessions.revoke_all(principal.user_id)
        action = AuditAction.SIGNED_OUT_EVERYWHERE
        await self._record(self._entry(action, actor_id=principal.user_id))

    async def change_password(self, principal: Principal, cmd: ChangePassword) -> None:
        """Set a new password, given the current one; every other session of the caller ends.
        Raises InvalidField (new_password), RateLimited, WrongPassword, AuthenticationError.

        A wrong current password counts as a failed sign-in of the account: this is no way
        around the sign-in limit for someone holding a stolen access token."""
        check_password_policy(cmd.new_password, "new_password")
        user = await self._active(principal.user_id)
        await self._limit(user.email.value, cmd.client)
        if not await self._hasher.verify(cmd.current_password, user.password_hash):
            action = AuditAction.PASSWORD_CHANGE_FAILED
            await self._record(self._entry(action, actor_id=user.id, target_id=user.id))
            raise WrongPassword()
        password_hash = await self._hasher.hash(cmd.new_password)
        async with self._uow() as uow:
            current = await uow.users.get(user.id)
            if current is None:
                raise AuthenticationError("This account no longer exists")
            current.change_password(password_hash, self._clock.now())
            action = AuditAction.PASSWORD_CHANGED
            uow.audit.record(self._entry(action, actor_id=user.id, target_id=user.id))
            await uow.commit()
        await self._sessions.revoke_all(user.id, keep=principal.session_id)

    async def _active(self, user_id: UUID) -> User:
        async with self._uow() as uow:
            user = await uow.users.get(UserId(user_id))
        if user is None or not user.is_active:
            raise AuthenticationError("This account is no longer active")
        return user

    def _entry(
        self,
        action: AuditAction,
        *,
        actor_id: UUID | None = None,
        target_id: UUID | None = None,
        detail: Detail | None = None,
    ) -> AuditEntry:
        now = self._clock.now()
        return entry(action, now, actor_id=actor_id, target_id=target_id, detail=detail)

    async def _record(self, audited: AuditEntry) -> None:
        """An entry on its own, for an act whose change is not in the database (a session)."""
        async with self._uow() as uow:
            uow.audit.record(audited)
            await uow.commit()

    async def _open_session(self, user: User, cmd: SignIn) -> TokenPair:
        session_id, refresh_jti = secrets.token_urlsafe(16), uuid4().hex
        while True:
            await self._sessions.create(
                session_id,
                user.id,
                refresh_jti,
                self._lifetimes.session,
                roles=user.roles,
                client_address=cmd.client,
                user_agent=cmd.user_agent[:USER_AGENT_MAX],
            )
            # A deactivation or a change of roles that ended the user's sessions between the
            # password check and `create` missed this one: read the account again now that the
            # session is indexed, and open it again with the roles it holds now.
            async with self._uow() as uow:
                now = await uow.users.get(user.id)
            if now is None or not now.is_active:
                await self._sessions.delete(session_id, user.id)
                raise InactiveAccount()
            if now.roles == user.roles:
                return self._pair(user.id, session_id, refresh_jti)
            user = now

    async def _limit(self, email: str, client: str) -> None:
        retry_after = await self._limits.sign_in.hit([f"email:{email}", f"client:{client}"])
        if retry_after is not None:
            raise RateLimited("Too many sign-in attempts; try again later", retry_after=retry_after)

    def _pair(self, user_id: UUID, session_id: str, refresh_jti: str) -> TokenPair:
        life = self._lifetimes
        access_claims = TokenClaims(user_id, session_id, TokenType.ACCESS, uuid4().hex)
        refresh_claims = TokenClaims(user_id, session_id, TokenType.REFRESH, refresh_jti)
        return TokenPair(
            user_uuid=user_id,
            access=self._tokens.encode(access_claims, life.access_seconds),
            refresh=self._tokens.encode(refresh_claims, life.refresh_seconds),
            expires_in=life.access_seconds,
        )


_REFUSED = {
    RefreshOutcome.REUSED: "Refresh token was already used; the session is revoked",
    RefreshOutcome.MISSING: "Session expired or signed out",
    RefreshOutcome.EXPIRED: "Session reached its maximum lifetime; sign in again",
}


def _refusal(user: User | None, password_ok: bool) -> tuple[str, DomainError] | None:
    """Why a sign-in fails, as the audit trail names it, and the error it answers; None when
    it succeeds. A wrong password and an unknown email answer alike."""
    if user is None:
        return "unknown_email", InvalidCredentials()
    if not password_ok:
        return "password", InvalidCredentials()
    if not user.is_active:
        return "inactive", InactiveAccount()
    return None


def _email_or_none(raw: str) -> Email | None:
    try:
        return Email.parse(raw)
    except ValidationError:
        return None
