"""The administration use cases on the fakes: permissions, roles, activation, sessions."""

import uuid

import pytest

from app.application.admin import AdminService, UpdateUser
from app.application.auth import AttemptLimits, AuthService, Principal, SignIn, TokenLifetimes
from app.application.users import RegisterUser, UserService
from app.domain.auth.permissions import PermissionDenied, Role, UnknownRole
from app.domain.auth.session import SessionNotFound
from app.domain.shared import AuthenticationError
from app.domain.users.errors import InactiveAccount, InvalidField, LastAdmin, UserNotFound
from app.domain.users.events import UserDeactivated, UserReactivated, UserRolesChanged
from tests.fakes import (
    FakeHasher,
    FakeLimiter,
    FakeProfiles,
    FakeTokens,
)

PASSWORD = "password1"
ADMIN = Principal(uuid.uuid4(), "admin-session", frozenset({Role.USER, Role.ADMIN}))
PLAIN = Principal(uuid.uuid4(), "plain-session")


@pytest.fixture
def auth(db, sessions, clock):
    limits = AttemptLimits(
        sign_in=FakeLimiter(100), sign_up=FakeLimiter(100), password_reset=FakeLimiter(100)
    )
    lifetimes = TokenLifetimes(300, 3600, 86400)
    return AuthService(db.uow, FakeHasher(), FakeTokens(), sessions, limits, lifetimes, clock)


@pytest.fixture
def admin(db, sessions, clock):
    return AdminService(db.uow, sessions, clock, FakeProfiles(db))


@pytest.fixture
def users(db, clock):
    return UserService(db.uow, FakeHasher(), clock, FakeProfiles(db))


@pytest.fixture
async def ada(users):
    return await users.register(RegisterUser(email="ada@example.com", password=PASSWORD))


async def register(users, email: str, *, admin_role: bool = False, db=None):
    view = await users.register(RegisterUser(email=email, password=PASSWORD))
    if admin_role:
        db.users[view.uuid].roles = frozenset({Role.USER, Role.ADMIN})
    return view


async def signed_in(auth, email: str = "ada@example.com"):
    return await auth.sign_in(SignIn(email=email, password=PASSWORD))


def events_of(db, user_id) -> list[type]:
    return [type(e) for e in db.events if getattr(e, "user_id", None) == user_id]


@pytest.mark.parametrize(
    ("use_case", "permission"),
    [
        (lambda a, uid: a.get(PLAIN, uid), "users:read"),
        (lambda a, uid: a.update(PLAIN, UpdateUser(uid, {"city": "Paris"})), "users:write"),
        (lambda a, uid: a.deactivate(PLAIN, uid), "users:deactivate"),
        (lambda a, uid: a.reactivate(PLAIN, uid), "users:deactivate"),
        (lambda a, uid: a.sessions(PLAIN, uid), "sessions:revoke"),
        (lambda a, uid: a.revoke_session(PLAIN, uid, "sid"), "sessions:revoke"),
    ],
)
async def test_a_plain_user_is_denied_every_admin_use_case_and_nothing_changes(
    admin, ada, db, use_case, permission
):
    with pytest.raises(PermissionDenied, match=permission):
        await use_case(admin, ada.uuid)
    assert db.commits == 1  # the registration only
    assert db.users[ada.uuid].city is None and db.users[ada.uuid].is_active


async def test_get_shows_an_inactive_account_with_its_roles(admin, ada, db):
    db.users[ada.uuid].is_active = False
    view = await admin.get(ADMIN, ada.uuid)
    assert (view.email, view.is_active, view.roles) == ("ada@example.com", False, (Role.USER,))
    with pytest.raises(UserNotFound):
        await admin.get(ADMIN, uuid.uuid4())


async def test_a_change_of_roles_ends_every_session_of_the_account(admin, auth, ada, db):
    pair = await signed_in(auth)
    assert (await auth.authenticate(pair.access)).roles == {Role.USER}
    view = await admin.update(ADMIN, UpdateUser(ada.uuid, {"city": "London"}, ["admin"]))
    assert (view.roles, view.city) == ((Role.ADMIN, Role.USER), "London")
    with pytest.raises(AuthenticationError):
        await auth.authenticate(pair.access)
    assert events_of(db, ada.uuid)[-1] is UserRolesChanged
    assert db.events[-1].payload() == {"user_uuid": str(ada.uuid), "roles": ["admin", "user"]}
    again = await signed_in(auth)
    assert (await auth.authenticate(again.access)).roles == {Role.USER, Role.ADMIN}


async def test_a_profile_change_alone_keeps_the_sessions(admin, auth, ada):
    pair = await signed_in(auth)
    await admin.update(ADMIN, UpdateUser(ada.uuid, {"city": "London"}, ["user"]))
    assert (await auth.authenticate(pair.access)).user_id == ada.uuid


async def test_update_refuses_an_unknown_role_and_a_bad_field_before_any_change(admin, ada, db):
    with pytest.raises(UnknownRole):
        await admin.update(ADMIN, UpdateUser(ada.uuid, {}, ["root"]))
    with pytest.raises(InvalidField):
        await admin.update(ADMIN, UpdateUser(ada.uuid, {"zip_code": "1" * 17}))
    with pytest.raises(UserNotFound):
        await admin.update(ADMIN, UpdateUser(uuid.uuid4(), {"city": "Paris"}))
    assert db.commits == 1


async def test_deactivation_ends_every_session_of_the_account_and_no_other(
    admin, auth, users, ada, db
):
    await register(users, "bob@example.com")
    first, second = await signed_in(auth), await signed_in(auth)
    other = await signed_in(auth, "bob@example.com")
    view = await admin.deactivate(ADMIN, ada.uuid)
    assert view.is_active is False and db.users[ada.uuid].is_active is False
    assert events_of(db, ada.uuid)[-1] is UserDeactivated
    for pair in (first, second):
        with pytest.raises(AuthenticationError):
            await auth.authenticate(pair.access)
        with pytest.raises(AuthenticationError):
            await auth.refresh(pair.refresh)
    assert (await auth.authenticate(other.access)).user_id == other.user_uuid
    with pytest.raises(InactiveAccount):
        await signed_in(auth)


async def test_deactivating_again_still_ends_a_session_left_over(admin, ada, sessions):
    await admin.deactivate(ADMIN, ada.uuid)
    await sessions.create("left-over", ada.uuid, "jti", TokenLifetimes(1, 60, 60).session)
    await admin.deactivate(ADMIN, ada.uuid)
    assert await sessions.roles_of("left-over", ada.uuid) is None


async def test_deactivating_an_unknown_account_is_not_found(admin):
    with pytest.raises(UserNotFound):
        await admin.deactivate(ADMIN, uuid.uuid4())


async def test_a_reactivated_account_signs_in_again(admin, auth, ada, db):
    await admin.deactivate(ADMIN, ada.uuid)
    view = await admin.reactivate(ADMIN, ada.uuid)
    assert view.is_active and events_of(db, ada.uuid)[-1] is UserReactivated
    assert (await signed_in(auth)).user_uuid == ada.uuid


async def test_a_sign_in_overtaken_by_a_deactivation_keeps_no_session(admin, auth, ada, sessions):
    create = sessions.create

    async def deactivated_first(*args, **options):
        await admin.deactivate(ADMIN, ada.uuid)  # commits and revokes after the password check
        await create(*args, **options)

    sessions.create = deactivated_first
    with pytest.raises(InactiveAccount):
        await signed_in(auth)
    assert sessions.live == {}


async def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(admin, users, db):
    only = await register(users, "root@example.com", admin_role=True, db=db)
    with pytest.raises(LastAdmin):
        await admin.update(ADMIN, UpdateUser(only.uuid, {}, ["user"]))
    with pytest.raises(LastAdmin):
        await admin.deactivate(ADMIN, only.uuid)
    with pytest.raises(LastAdmin):
        await admin.revoke("root@example.com", "admin")
    assert db.users[only.uuid].holds(Role.ADMIN)


async def test_an_admin_can_be_demoted_while_another_active_admin_remains(admin, users, db):
    first = await register(users, "first@example.com", admin_role=True, db=db)
    second = await register(users, "second@example.com", admin_role=True, db=db)
    retired = await register(users, "retired@example.com", admin_role=True, db=db)
    db.users[retired.uuid].is_active = False  # an inactive admin administers nothing
    await admin.deactivate(ADMIN, first.uuid)
    with pytest.raises(LastAdmin):
        await admin.update(ADMIN, UpdateUser(second.uuid, {}, []))
    await admin.reactivate(ADMIN, first.uuid)
    assert (await admin.update(ADMIN, UpdateUser(second.uuid, {}, []))).roles == (Role.USER,)


async def test_sessions_lists_the_accounts_sessions_and_revoke_session_ends_one(
    admin, auth, users, ada, clock
):
    await register(users, "bob@example.com")
    kept = await signed_in(auth)
    clock.advance(5)
    ended = await signed_in(auth)
    theirs = await signed_in(auth, "bob@example.com")
    listed = await admin.sessions(ADMIN, ada.uuid)
    sid = ended.access.split("|")[2]
    assert [s.session_id for s in listed] == [kept.access.split("|")[2], sid]
    await admin.revoke_session(ADMIN, ada.uuid, sid)
    with pytest.raises(AuthenticationError):
        await auth.authenticate(ended.access)
    assert (await auth.authenticate(kept.access)).user_id == ada.uuid
    with pytest.raises(SessionNotFound):
        await admin.revoke_session(ADMIN, ada.uuid, theirs.access.split("|")[2])
    assert (await auth.authenticate(theirs.access)).user_id == theirs.user_uuid
    with pytest.raises(UserNotFound):
        await admin.sessions(ADMIN, uuid.uuid4())


async def test_grant_and_revoke_change_the_roles_by_email_and_end_the_sessions(
    admin, auth, ada, db
):
    pair = await signed_in(auth)
    assert (await admin.grant(" ADA@example.com", "admin")).roles == (Role.ADMIN, Role.USER)
    with pytest.raises(AuthenticationError):
        await auth.authenticate(pair.access)
    assert (await admin.revoke("ada@example.com", "user")).roles == (Role.ADMIN, Role.USER)
    with pytest.raises(UnknownRole):
        await admin.grant("ada@example.com", "root")
    with pytest.raises(UserNotFound):
        await admin.grant("nobody@example.com", "admin")
    with pytest.raises(LastAdmin):
        await admin.revoke("ada@example.com", "admin")
