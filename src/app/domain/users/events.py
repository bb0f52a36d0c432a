"""Events of the users context, with the public names they travel under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from app.domain.shared import DomainEvent
from app.domain.users.values import UserId


@dataclass(frozen=True, kw_only=True)
class UserEvent(DomainEvent):
    user_id: UserId

    @property
    def aggregate_id(self) -> str:
        return str(self.user_id)

    def payload(self) -> dict[str, Any]:
        return {"user_uuid": str(self.user_id)}


@dataclass(frozen=True, kw_only=True)
class UserRegistered(UserEvent):
    name: ClassVar[str] = "users.registered.v1"
    email: str

    def payload(self) -> dict[str, Any]:
        return {"user_uuid": str(self.user_id), "email": self.email}


@dataclass(frozen=True, kw_only=True)
class UserProfileUpdated(UserEvent):
    name: ClassVar[str] = "users.profile_updated.v1"
    fields: tuple[str, ...]

    def payload(self) -> dict[str, Any]:
        return {"user_uuid": str(self.user_id), "fields": list(self.fields)}


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
        return {"user_uuid": str(self.user_id), "roles": list(self.roles)}
