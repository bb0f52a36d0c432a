"""Value objects of the users context: parsed once, immutable, always valid."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NewType, Self
from uuid import UUID

from app.domain.users.errors import InvalidField

UserId = NewType("UserId", UUID)

EMAIL_MAX = 254
PASSWORD_MIN, PASSWORD_MAX = 8, 256
# Column widths of the profile; a longer value is a ValidationError, never a database error.
PROFILE_LIMITS: dict[str, int] = {
    "first_name": 128,
    "last_name": 128,
    "street": 256,
    "city": 128,
    "state": 128,
    "zip_code": 16,
    "country": 128,
    "photo": 512,
}
PHONE_MAX = 32
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()-]{4,30}$")


@dataclass(frozen=True, slots=True)
class Email:
    value: str

    @classmethod
    def parse(cls, raw: str) -> Self:
        """Trim and lower-case; raise InvalidField when it is not an address."""
        value = raw.strip().lower()
        if len(value) > EMAIL_MAX or not _EMAIL_RE.match(value):
            raise InvalidField("email", "not a valid email address")
        return cls(value)


@dataclass(frozen=True, slots=True)
class Phone:
    value: str

    @classmethod
    def parse(cls, raw: str) -> Self:
        """Digits with an optional leading + and common separators."""
        value = raw.strip()
        if len(value) > PHONE_MAX or not _PHONE_RE.match(value):
            raise InvalidField("phone", "not a valid phone number")
        return cls(value)


def check_password_policy(password: str) -> None:
    """Raise InvalidField unless the password has 8 to 256 characters."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidField("password", f"must have {PASSWORD_MIN} to {PASSWORD_MAX} characters")


def check_text(field: str, value: str | None) -> str | None:
    """Strip a free-text profile field and enforce its column's length."""
    if value is None:
        return None
    value = value.strip()
    limit = PROFILE_LIMITS[field]
    if len(value) > limit:
        raise InvalidField(field, f"at most {limit} characters")
    return value or None
