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
    MISSING = "missing"  # no such session (expired or signed out)
