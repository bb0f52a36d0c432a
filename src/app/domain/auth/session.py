"""Sessions and token families: the pure rules behind sign-in, refresh and sign-out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class TokenType(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a verified token says; `jti` identifies this one token."""

    user_id: UUID
    session_id: str
    token_type: TokenType
    jti: str


class RefreshOutcome(StrEnum):
    """How the session store judged a presented refresh token."""

    ROTATED = "rotated"  # it was the live one: the session now expects the new jti
    REUSED = "reused"  # it was spent before: theft, the session is gone
    MISSING = "missing"  # no such session of this user (expired, signed out or another's)
    EXPIRED = "expired"  # past its absolute lifetime: the session is gone, sign in again


@dataclass(frozen=True, slots=True)
class SessionLifetime:
    """How long a session lives: `idle_seconds` after its last refresh, never past its creation
    plus `max_seconds`, however often it is refreshed."""

    idle_seconds: int
    max_seconds: int
