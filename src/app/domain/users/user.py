"""The User aggregate: an account with its profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Self
from uuid import uuid4

from app.domain.shared import AggregateRoot
from app.domain.users.errors import InvalidField
from app.domain.users.events import UserDeactivated, UserProfileUpdated, UserRegistered
from app.domain.users.values import Email, Phone, UserId, check_text

TEXT_FIELDS = ("first_name", "last_name", "street", "city", "state", "zip_code", "country", "photo")
PROFILE_FIELDS = (*TEXT_FIELDS, "phone", "birthday", "meta")


@dataclass(eq=False, kw_only=True)
class User(AggregateRoot):
    id: UserId
    email: Email
    password_hash: str
    first_name: str | None = None
    last_name: str | None = None
    phone: Phone | None = None
    birthday: date | None = None
    photo: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    country: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    is_active: bool = True
    is_guest: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def register(
        cls,
        email: Email,
        password_hash: str,
        now: datetime,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> Self:
        """A new active account; records UserRegistered."""
        user = cls(
            id=UserId(uuid4()),
            email=email,
            password_hash=password_hash,
            first_name=check_text("first_name", first_name),
            last_name=check_text("last_name", last_name),
            created_at=now,
            updated_at=now,
        )
        user.record(UserRegistered(user_id=user.id, email=email.value, occurred_at=now))
        return user

    def update_profile(self, changes: dict[str, Any], now: datetime) -> None:
        """Apply profile changes; raises InvalidField for an unknown field or a bad value."""
        for name, value in changes.items():
            setattr(self, name, _checked(name, value))
        if changes:
            self.updated_at = now
            self.record(
                UserProfileUpdated(user_id=self.id, fields=tuple(sorted(changes)), occurred_at=now)
            )

    def deactivate(self, now: datetime) -> None:
        """Block sign-in from now on; records UserDeactivated once."""
        if self.is_active:
            self.is_active = False
            self.updated_at = now
            self.record(UserDeactivated(user_id=self.id, occurred_at=now))


def _checked(name: str, value: Any) -> Any:
    if name in TEXT_FIELDS:
        return check_text(name, value)
    if name == "phone":
        return None if value is None else Phone.parse(value)
    if name == "birthday":
        if value is not None and not isinstance(value, date):
            raise InvalidField(name, "must be a date")
        return value
    if name == "meta":
        if not isinstance(value, dict):
            raise InvalidField(name, "must be an object")
        return value
    raise InvalidField(name, "not a profile field")
