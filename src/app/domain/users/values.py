"""Value objects of the users context: parsed once, immutable, always valid."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NewType, Self
from uuid import UUID

from app.domain.shared import check_all
from app.domain.storable import storable_text
from app.domain.users.errors import InvalidField

UserId = NewType("UserId", UUID)

EMAIL_MAX = 254
PASSWORD_MIN, PASSWORD_MAX = 8, 256
# The free-text fields of the profile and their column widths: the one list of them (user.py
# places them in the profile). A longer value is a ValidationError, never a database error.
PROFILE_LIMITS: dict[str, int] = {
    "first_name": 128,
    "last_name": 128,
    "street": 256,
    "city": 128,
    "state": 128,
    "zip_code": 16,
    "country": 128,
}
PHONE_MAX = 32
# What str.strip removes and Python's \s matches, spelled out: a pattern built from it means the
# same to Python and to the ECMA-262 regular expressions of OpenAPI, which documents these.
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
EMAIL_PATTERN = rf"^[^@{_SPACE}]+@[^@{_SPACE}]+\.[^@{_SPACE}.]+$"
PHONE_PATTERN = r"^\+?[0-9][0-9 ()-]{4,30}$"
_EMAIL_RE = re.compile(EMAIL_PATTERN)
_PHONE_RE = re.compile(PHONE_PATTERN)


def untrimmed(pattern: str) -> str:
    """`pattern` (anchored) for raw text that a parser strips first: whitespace around allowed."""
    return rf"^[{_SPACE}]*(?:{pattern[1:-1]})[{_SPACE}]*$"


@dataclass(frozen=True, slots=True)
class Email:
    value: str

    @classmethod
    def parse(cls, raw: str) -> Self:
        """Trim and lower-case; raise InvalidField when it is not an address."""
        value = storable_text("email", raw).strip().lower()
        if len(value) > EMAIL_MAX or not _EMAIL_RE.match(value):
            raise InvalidField("email", "not a valid email address")
        return cls(value)


@dataclass(frozen=True, slots=True)
class Phone:
    value: str

    @classmethod
    def parse(cls, raw: str) -> Self:
        """Digits with an optional leading + and common separators."""
        value = storable_text("phone", raw).strip()
        if len(value) > PHONE_MAX or not _PHONE_RE.match(value):
            raise InvalidField("phone", "not a valid phone number")
        return cls(value)


def check_password_policy(password: str, field: str = "password") -> None:
    """Raise InvalidField (naming `field`) unless the password has 8 to 256 characters (and is
    storable text)."""
    storable_text(field, password)
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidField(field, f"must have {PASSWORD_MIN} to {PASSWORD_MAX} characters")


def check_text(field: str, value: str | None) -> str | None:
    """Strip a free-text profile field and enforce its column's length."""
    if value is None:
        return None
    value = storable_text(field, value).strip()
    limit = PROFILE_LIMITS[field]
    if len(value) > limit:
        raise InvalidField(field, f"at most {limit} characters")
    return value or None


def check_registration(
    email: str, password: str, first_name: str | None, last_name: str | None
) -> Email:
    """The parsed email, once every sign-up field passed; one ValidationError lists each bad one."""
    checked = check_all(
        {
            "email": lambda: Email.parse(email),
            "password": lambda: check_password_policy(password),
            "first_name": lambda: check_text("first_name", first_name),
            "last_name": lambda: check_text("last_name", last_name),
        }
    )
    email_: Email = checked["email"]
    return email_
