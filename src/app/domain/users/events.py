"""Events of the users context, with the public names they travel under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, TypedDict

from app.domain.shared import DomainEvent
from app.domain.users.values import UserId

# Each event's data has a TypedDict that its payload() builds (so mypy holds the two together),
# named in the event registry (infrastructure/messaging/contracts.py) for its JSON Schema.


class UserData(TypedDict):
    """The account the event is about."""

    user_uuid: str


class RegisteredData(UserData):
    email: str


class ProfileUpdatedData(UserData):
    fields: list[str]


class RolesChangedData(UserData):
    roles: list[str]


class PasswordResetRequestedData(UserData):
    email: str


@dataclass(frozen=True, kw_only=True)
class UserEvent(DomainEvent):
    user_id: UserId

    @property
    def aggregate_id(self) -> str:
        return str(self.user_id)

    def payload(self) -> dict[str, Any]:
        return dict(UserData(user_uuid=str(self.user_id)))


@dataclass(frozen=True, kw_only=True)
class UserRegistered(UserEvent):
    name: ClassVar[str] = "users.registered.v1"
    email: str

    def payload(self) -> dict[str, Any]:
        return dict(RegisteredData(user_uuid=str(self.user_id), email=self.email))


@dataclass(frozen=True, kw_only=True)
class UserProfileUpdated(UserEvent):
    name: ClassVar[str] = "users.profile_updated.v1"
    fields: tuple[str, ...]

    def payload(self) -> dict[str, Any]:
        return dict(ProfileUpdatedData(user_uuid=str(self.user_id), fields=list(self.fields)))


@dataclass(frozen=True, kw_only=True)
class UserDeactivated(UserEvent):
    name: ClassVar[str] = "users.deactivated.v1"


@dataclass(frozen=True, kw_only=True)
class UserReactivated(UserEvent):
    name: ClassVar[str] = "users.reactivated.v1"


@dataclass(frozen=True, kw_only=True)
class UserRolesChanged(UserEvent):
    name: ClassVar[str] = "users.roles_changed.v1"
    roles: tuple[str, ...]

    def payload(self) -> dict[str, Any]:
        return dict(RolesChangedData(user_uuid=str(self.user_id), roles=list(self.roles)))


@dataclass(frozen=True, kw_only=True)
class UserPasswordChanged(UserEvent):
    """The password changed, by its owner or by a reset: a cue to tell the owner by e-mail."""

    name: ClassVar[str] = "users.password_changed.v1"


@dataclass(frozen=True, kw_only=True)
class UserPasswordResetRequested(UserEvent):
    """Someone asked for a reset link for this account; the event's id names the request."""

    name: ClassVar[str] = "users.password_reset_requested.v1"
    email: str

    def payload(self) -> dict[str, Any]:
        return dict(PasswordResetRequestedData(user_uuid=str(self.user_id), email=self.email))
