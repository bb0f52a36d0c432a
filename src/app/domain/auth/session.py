"""Sessions and token families: the pure rules behind sign-in, refresh and sign-out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from app.domain.shared import NotFoundError

# How much of a client's User-Agent a session keeps: enough to recognise a browser or an app.
USER_AGENT_MAX = 256


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


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What a session shows its user or an admin, to recognise it before revoking it.

    `last_used_at` is the last sign-in or refresh: an access token is used for at most its
    lifetime after that. Sessions opened before these were recorded show None and empty text."""

    session_id: str
    created_at: datetime | None
    last_used_at: datetime | None
    client_address: str
    user_agent: str


class SessionNotFound(NotFoundError):
    def __init__(self) -> None:
        super().__init__("Session not found")
