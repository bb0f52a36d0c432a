import pytest

from app.domain.auth.permissions import (
    ROLE_PERMISSIONS,
    Permission,
    PermissionDenied,
    Role,
    authorize,
    permissions_of,
)
from app.domain.shared import AuthorizationError


def test_every_role_is_in_the_table_and_admin_holds_every_permission():
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert permissions_of([Role.ADMIN]) == set(Permission)


@pytest.mark.parametrize("permission", list(Permission))
def test_a_plain_user_is_denied_every_permission_with_its_name(permission):
    with pytest.raises(PermissionDenied, match=permission.value) as denied:
        authorize([Role.USER], permission)
    assert isinstance(denied.value, AuthorizationError)


def test_roles_together_permit_what_any_of_them_permits():
    authorize([Role.USER, Role.ADMIN], Permission.AUDIT_READ)
    assert permissions_of([]) == frozenset()
