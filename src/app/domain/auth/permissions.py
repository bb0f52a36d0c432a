"""Roles and what they permit: the one table every interface's authorization follows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from app.domain.shared import AuthorizationError, ValidationError


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"


class Permission(StrEnum):
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    USERS_DEACTIVATE = "users:deactivate"
    SESSIONS_REVOKE = "sessions:revoke"
    AUDIT_READ = "audit:read"


# A user acts on their own account through the account use cases, which need no permission;
# the permissions are for acting on other accounts. Add a role here and nowhere else.
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.USER: frozenset(),
    Role.ADMIN: frozenset(Permission),
}
# Every account holds it: the roles of an account are this one plus those granted to it.
BASE_ROLE = Role.USER


class PermissionDenied(AuthorizationError):
    def __init__(self, permission: Permission) -> None:
        super().__init__(f"This needs the permission {permission.value}")
        self.permission = permission


class UnknownRole(ValidationError):
    def __init__(self, field: str, value: str) -> None:
        allowed = ", ".join(Role)
        message = f"{value!r} is not a role; the roles are {allowed}"
        super().__init__(f"{field}: {message}", errors=[(field, message)])
        self.field = field


def permissions_of(roles: Iterable[Role]) -> frozenset[Permission]:
    """Everything the roles together permit."""
    return frozenset().union(*(ROLE_PERMISSIONS[role] for role in roles))


def authorize(roles: Iterable[Role], needed: Permission) -> None:
    """Return when one of the roles grants `needed`; raises PermissionDenied otherwise."""
    if needed not in permissions_of(roles):
        raise PermissionDenied(needed)


def parse_role(value: str, field: str = "role") -> Role:
    """The role named `value`; raises UnknownRole (a ValidationError naming `field`)."""
    try:
        return Role(value)
    except ValueError:
        raise UnknownRole(field, value) from None


def parse_roles(values: Iterable[str], field: str = "roles") -> frozenset[Role]:
    """The roles named, plus the base role every account holds; raises UnknownRole."""
    return frozenset({BASE_ROLE, *(parse_role(value, field) for value in values)})


def known_roles(stored: Iterable[str]) -> frozenset[Role]:
    """The roles among stored names that this code knows, plus the base role.

    A name no longer in `Role` (a role since removed) grants nothing, rather than failing
    every read of the accounts or sessions that still carry it."""
    return frozenset({BASE_ROLE, *(Role(name) for name in stored if name in _NAMES)})


_NAMES = frozenset(Role)
