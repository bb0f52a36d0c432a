"""Roles on the User aggregate, the role parsers, and the last-admin rule."""

from datetime import UTC, datetime

import pytest

from app.domain.auth.permissions import Role, UnknownRole, known_roles, parse_roles
from app.domain.users.errors import LastAdmin
from app.domain.users.events import UserReactivated, UserRolesChanged
from app.domain.users.user import User, ensure_an_admin_remains
from app.domain.users.values import Email

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def user(*roles: Role) -> User:
    account = User.register(Email.parse("ada@example.com"), "hash", NOW)
    account.set_roles(frozenset(roles), NOW)
    account.collect_events()
    return account


def test_a_new_account_holds_the_base_role_only():
    assert User.register(Email.parse("ada@example.com"), "hash", NOW).roles == {Role.USER}


def test_set_roles_keeps_the_base_role_and_records_a_change_once():
    account = user()
    account.set_roles(frozenset({Role.ADMIN}), NOW)
    account.set_roles(frozenset({Role.ADMIN, Role.USER}), NOW)
    assert account.roles == {Role.USER, Role.ADMIN}
    [event] = account.collect_events()
    assert isinstance(event, UserRolesChanged) and event.name == "users.roles_changed.v1"
    assert event.payload() == {"user_uuid": str(account.id), "roles": ["admin", "user"]}


def test_reactivate_records_the_event_once_and_only_after_a_deactivation():
    account = user()
    account.reactivate(NOW)
    assert account.collect_events() == []
    account.deactivate(NOW)
    account.reactivate(NOW)
    account.reactivate(NOW)
    assert [type(e) for e in account.collect_events()][1:] == [UserReactivated]
    assert account.is_active


def test_an_inactive_account_holds_no_role():
    account = user(Role.ADMIN)
    assert account.holds(Role.ADMIN)
    account.deactivate(NOW)
    assert not account.holds(Role.ADMIN) and not account.holds(Role.USER)


def test_parse_roles_names_the_unknown_one_and_adds_the_base_role():
    assert parse_roles(["admin"]) == {Role.USER, Role.ADMIN}
    assert parse_roles([]) == {Role.USER}
    with pytest.raises(UnknownRole) as caught:
        parse_roles(["admin", "root"])
    assert caught.value.errors == [("roles", "'root' is not a role; the roles are user, admin")]


def test_stored_roles_this_code_does_not_know_grant_nothing():
    assert known_roles(["admin", "auditor-retired"]) == {Role.USER, Role.ADMIN}


def test_the_last_active_admin_must_stay_one():
    only = user(Role.ADMIN)
    admins = frozenset({only.id})
    only.set_roles(frozenset(), NOW)
    with pytest.raises(LastAdmin):
        ensure_an_admin_remains(admins, only)


def test_an_admin_may_go_while_another_remains_and_other_accounts_change_freely():
    first, second = user(Role.ADMIN), user(Role.ADMIN)
    first.deactivate(NOW)
    ensure_an_admin_remains(frozenset({first.id, second.id}), first)
    plain = user()
    plain.deactivate(NOW)
    ensure_an_admin_remains(frozenset({second.id}), plain)
    ensure_an_admin_remains(frozenset(), plain)
