"""Roles and what they permit: the one table every interface's authorization follows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from app.domain.shared import AuthorizationError


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


class PermissionDenied(AuthorizationError):
    def __init__(self, permission: Permission) -> None:
        super().__init__(f"This needs the permission {permission.value}")
        self.permission = permission


def permissions_of(roles: Iterable[Role]) -> frozenset[Permission]:
    """Everything the roles together permit."""
    return frozenset().union(*(ROLE_PERMISSIONS[role] for role in roles))


def authorize(roles: Iterable[Role], needed: Permission) -> None:
    """Return when one of the roles grants `needed`; raises PermissionDenied otherwise."""
    if needed not in permissions_of(roles):
        raise PermissionDenied(needed)
