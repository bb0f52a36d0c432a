"""Use cases of the users context: sign-up, read and update the profile; the account's view."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Self
from uuid import UUID

from app.application.ports import Clock, PasswordHasher, ProfileReader, UnitOfWork
from app.domain.auth.permissions import Role, known_roles
from app.domain.shared import AuthenticationError
from app.domain.users.errors import EmailAlreadyTaken, UserNotFound
from app.domain.users.user import User
from app.domain.users.values import UserId, check_registration


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterUser:
    email: str
    password: str
    first_name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateProfile:
    user_id: UUID
    changes: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class UserView:
    """An account as the interfaces show it: never the password hash, never the integer id.

    Between its identity and its state come the profile's fields, PROFILE_FIELDS in their order
    (tests/test_profile_fields.py holds this list to the domain's)."""

    uuid: UUID
    email: str
    first_name: str | None
    last_name: str | None
    phone: str | None
    birthday: date | None
    street: str | None
    city: str | None
    state: str | None
    zip_code: str | None
    country: str | None
    meta: dict[str, Any]
    is_active: bool
    roles: tuple[Role, ...]
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, user: User) -> Self:
        return cls(
            uuid=user.id,
            email=user.email.value,
            **user.profile(),
            is_active=user.is_active,
            roles=tuple(sorted(user.roles)),
            created_at=user.created_at,
            updated_at=user.updated_at,
        )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        values = {f.name: row[f.name] for f in fields(cls)}
        return cls(**values | {"roles": tuple(sorted(known_roles(row["roles"])))})


class UserService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        hasher: PasswordHasher,
        clock: Clock,
        profiles: ProfileReader,
    ) -> None:
        self._uow, self._hasher, self._clock, self._profiles = uow, hasher, clock, profiles

    async def register(self, cmd: RegisterUser) -> UserView:
        """Create an account. Raises InvalidField, EmailAlreadyTaken."""
        email = check_registration(cmd.email, cmd.password, cmd.first_name, cmd.last_name)
        password_hash = await self._hasher.hash(cmd.password)
        async with self._uow() as uow:
            if await uow.users.get_by_email(email):
                raise EmailAlreadyTaken()
            user = User.register(
                email,
                password_hash,
                self._clock.now(),
                first_name=cmd.first_name,
                last_name=cmd.last_name,
            )
            uow.users.add(user)
            await uow.commit()  # the row and its UserRegistered outbox row, one transaction
        return UserView.of(user)

    async def get(self, user_id: UUID) -> UserView:
        """The profile of an active user. Raises UserNotFound."""
        row = await self._profiles.get_profile(user_id)
        if row is None or not row["is_active"]:
            raise UserNotFound()
        return UserView.from_row(row)

    async def me(self, user_id: UUID) -> UserView:
        """The caller's own profile. Raises AuthenticationError when the account is gone."""
        try:
            return await self.get(user_id)
        except UserNotFound:
            raise AuthenticationError("This account no longer exists") from None

    async def update(self, cmd: UpdateProfile) -> UserView:
        """Change profile fields. Raises UserNotFound, InvalidField."""
        async with self._uow() as uow:
            user = await uow.users.get(UserId(cmd.user_id))
            if user is None or not user.is_active:
                raise UserNotFound()
            user.update_profile(cmd.changes, self._clock.now())
            await uow.commit()
        return UserView.of(user)
