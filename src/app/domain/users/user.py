"""The User aggregate: an account with its profile."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any, Self
from uuid import uuid4

from app.domain.auth.permissions import BASE_ROLE, Role
from app.domain.shared import AggregateRoot, check_all
from app.domain.storable import storable_json
from app.domain.users.errors import InvalidField, LastAdmin
from app.domain.users.events import (
    UserDeactivated,
    UserPasswordChanged,
    UserPasswordResetRequested,
    UserProfileUpdated,
    UserReactivated,
    UserRegistered,
    UserRolesChanged,
)
from app.domain.users.values import PROFILE_LIMITS, Email, Phone, UserId, check_text

# The profile its owner edits, in the order every interface lists it: the one declaration the
# REST schemas, the row mapping, the view and the gRPC converter derive their fields from
# (tests/test_profile_fields.py fails when one of them, the table or a proto disagrees). Free
# text takes its limit from PROFILE_LIMITS; phone, birthday and meta have rules of their own.
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "birthday",
    "street",
    "city",
    "state",
    "zip_code",
    "country",
    "meta",
)
TEXT_FIELDS = tuple(name for name in PROFILE_FIELDS if name in PROFILE_LIMITS)
# Always an object, never null: a null would store a profile that cannot be read back.
NOT_NULL_FIELDS = ("meta",)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(eq=False, kw_only=True)
class User(AggregateRoot):
    id: UserId
    email: Email
    password_hash: str = field(repr=False)
    first_name: str | None = None
    last_name: str | None = None
    phone: Phone | None = None
    birthday: date | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    country: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    is_active: bool = True
    roles: frozenset[Role] = frozenset({BASE_ROLE})
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
        """Apply profile changes, all or none; one ValidationError lists every bad field."""
        for name, value in check_profile(changes).items():
            setattr(self, name, value)
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

    def reactivate(self, now: datetime) -> None:
        """Allow sign-in again; records UserReactivated once."""
        if not self.is_active:
            self.is_active = True
            self.updated_at = now
            self.record(UserReactivated(user_id=self.id, occurred_at=now))

    def set_roles(self, roles: frozenset[Role], now: datetime) -> None:
        """Hold exactly `roles` and the base role; records UserRolesChanged when they change."""
        roles = roles | {BASE_ROLE}
        if roles != self.roles:
            self.roles = roles
            self.updated_at = now
            names = tuple(sorted(roles))
            self.record(UserRolesChanged(user_id=self.id, roles=names, occurred_at=now))

    def change_password(self, password_hash: str, now: datetime) -> None:
        """Take the new password's hash (the caller checked the policy); records
        UserPasswordChanged."""
        self.password_hash = password_hash
        self.updated_at = now
        self.record(UserPasswordChanged(user_id=self.id, occurred_at=now))

    def request_password_reset(self, now: datetime) -> UserPasswordResetRequested:
        """Record that a reset link should go to the account's address; the event's id names
        the request its token will belong to."""
        event = UserPasswordResetRequested(user_id=self.id, email=self.email.value, occurred_at=now)
        self.record(event)
        return event

    def profile(self) -> dict[str, Any]:
        """The profile's fields by name, as plain values (the phone as its text)."""
        values = {name: getattr(self, name) for name in PROFILE_FIELDS}
        return values | {"phone": self.phone.value if self.phone else None}

    def holds(self, role: Role) -> bool:
        """True while the account is active and has `role`."""
        return self.is_active and role in self.roles


def ensure_an_admin_remains(admins: frozenset[UserId], changed: User) -> None:
    """Raises LastAdmin when `changed` was the only active admin and no longer is one.

    `admins` are the active admins as they were before the change, read under the lock that
    makes changes of the admins run one after another (UserRepository.lock_holders)."""
    if admins == {changed.id} and not changed.holds(Role.ADMIN):
        raise LastAdmin()


def check_profile(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Each change as the profile stores it; one ValidationError lists every bad field."""
    return check_all({name: partial(check_field, name, value) for name, value in changes.items()})


def check_field(name: str, value: Any) -> Any:
    """One profile field as stored (None clears it, but `meta` is always an object); raises
    InvalidField for a bad value."""
    check = _FIELD_CHECKS.get(name)
    if check is None:
        raise InvalidField(name, "not a profile field")
    return None if value is None and name not in NOT_NULL_FIELDS else check(value)


def _phone(value: Any) -> Phone:
    if not isinstance(value, str):
        raise InvalidField("phone", "must be a string")
    return Phone.parse(value)


def _birthday(value: Any) -> date:
    # REST and gRPC send the text, YYYY-MM-DD only (fromisoformat also reads 20000101 or
    # 2000-W01-1); a parsed date is taken too, a datetime is not a day.
    if isinstance(value, str):
        try:
            if not _ISO_DATE.fullmatch(value):
                raise ValueError(value)
            value = date.fromisoformat(value)
        except ValueError:
            raise InvalidField("birthday", "must be a date as YYYY-MM-DD") from None
    if type(value) is not date:
        raise InvalidField("birthday", "must be a date as YYYY-MM-DD")
    return value


def _meta(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidField("meta", "must be an object")
    return dict(storable_json("meta", value))


def _text(name: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            raise InvalidField(name, "must be a string")
        return check_text(name, value)

    return check


# The rule of each profile field, by name, in the order of PROFILE_FIELDS.
_OWN_RULES: dict[str, Callable[[Any], Any]] = {
    "phone": _phone,
    "birthday": _birthday,
    "meta": _meta,
}
_FIELD_CHECKS: dict[str, Callable[[Any], Any]] = {
    name: _OWN_RULES[name] if name in _OWN_RULES else _text(name) for name in PROFILE_FIELDS
}
