"""Use cases of authentication: sign-in, refresh, sign-out and token checks."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID, uuid4

from app.application.ports import (
    AttemptLimiter,
    PasswordHasher,
    SessionStore,
    TokenCodec,
    UnitOfWork,
)
from app.domain.auth.session import RefreshOutcome, TokenClaims, TokenType
from app.domain.shared import AuthenticationError, RateLimited, ValidationError
from app.domain.users.errors import InactiveAccount, InvalidCredentials
from app.domain.users.values import Email


@dataclass(frozen=True, slots=True, kw_only=True)
class SignIn:
    email: str
    password: str
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
    """Who is calling: the user and the session their access token belongs to."""

    user_id: UUID
    session_id: str


@dataclass(frozen=True, slots=True)
class TokenLifetimes:
    access_seconds: int
    refresh_seconds: int


class AuthService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        hasher: PasswordHasher,
        tokens: TokenCodec,
        sessions: SessionStore,
        limiter: AttemptLimiter,
        lifetimes: TokenLifetimes,
    ) -> None:
        self._uow, self._hasher, self._tokens = uow, hasher, tokens
        self._sessions, self._limiter, self._lifetimes = sessions, limiter, lifetimes

    async def sign_in(self, cmd: SignIn) -> TokenPair:
        """Open a session. Raises RateLimited, InvalidCredentials, InactiveAccount."""
        email = _email_or_none(cmd.email)
        await self._limit(email.value if email else cmd.email.strip().lower(), cmd.client)
        user = None
        if email is not None:
            async with self._uow() as uow:
                user = await uow.users.get_by_email(email)
        # Verify against a dummy hash for unknown emails so both failures take the same time.
        password_ok = await self._hasher.verify(
            cmd.password, user.password_hash if user else self._hasher.dummy_hash
        )
        if user is None or not password_ok:
            raise InvalidCredentials()
        if not user.is_active:
            raise InactiveAccount()
        session_id = secrets.token_urlsafe(16)
        refresh_jti = uuid4().hex
        await self._sessions.create(
            session_id, user.id, refresh_jti, self._lifetimes.refresh_seconds
        )
        return self._pair(user.id, session_id, refresh_jti)

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate the refresh token. Raises AuthenticationError (a reuse revokes the session)."""
        claims = self._tokens.decode(refresh_token, TokenType.REFRESH)
        new_jti = uuid4().hex
        outcome = await self._sessions.rotate(
            claims.session_id, claims.jti, new_jti, self._lifetimes.refresh_seconds
        )
        if outcome is RefreshOutcome.REUSED:
            raise AuthenticationError("Refresh token was already used; the session is revoked")
        if outcome is RefreshOutcome.MISSING:
            raise AuthenticationError("Session expired or signed out")
        return self._pair(claims.user_id, claims.session_id, new_jti)

    async def authenticate(self, access_token: str) -> Principal:
        """The caller. Raises AuthenticationError unless the token and its session are live."""
        claims = self._tokens.decode(access_token, TokenType.ACCESS)
        if not await self._sessions.exists(claims.session_id):
            raise AuthenticationError("Session expired or signed out")
        return Principal(claims.user_id, claims.session_id)

    async def sign_out(self, principal: Principal) -> None:
        """End the session: its access and refresh tokens stop working at once."""
        await self._sessions.delete(principal.session_id)

    async def _limit(self, email: str, client: str) -> None:
        retry_after = await self._limiter.hit([f"email:{email}", f"client:{client}"])
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


def _email_or_none(raw: str) -> Email | None:
    try:
        return Email.parse(raw)
    except ValidationError:
        return None
