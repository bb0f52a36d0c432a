from dataclasses import replace

import pytest

from app.application.auth import AttemptLimits, AuthService, SignIn, TokenLifetimes
from app.application.users import RegisterUser, UserService
from app.domain.auth.permissions import Role
from app.domain.auth.session import USER_AGENT_MAX
from app.domain.shared import AuthenticationError, RateLimited
from app.domain.users.errors import InactiveAccount, InvalidCredentials
from tests.fakes import (
    FakeHasher,
    FakeLimiter,
    FakeProfiles,
    FakeTokens,
    FixedClock,
)

SESSION_SECONDS = 86400  # the absolute lifetime; the refresh token lives 3600 s


@pytest.fixture
def auth(db, hasher, sessions, clock):
    limits = AttemptLimits(
        sign_in=FakeLimiter(3), sign_up=FakeLimiter(2), password_reset=FakeLimiter(2)
    )
    lifetimes = TokenLifetimes(300, 3600, SESSION_SECONDS)
    return AuthService(db.uow, hasher, FakeTokens(), sessions, limits, lifetimes, clock)


@pytest.fixture
async def user(db, hasher):
    users = UserService(db.uow, hasher, FixedClock(), FakeProfiles(db))
    return await users.register(RegisterUser(email="ada@example.com", password="password1"))


async def test_sign_in_opens_a_session_and_issues_a_pair(auth, user, sessions):
    pair = await auth.sign_in(SignIn(email="ADA@example.com", password="password1"))
    assert pair.user_uuid == user.uuid
    assert pair.expires_in == 300
    principal = await auth.authenticate(pair.access)
    assert principal.user_id == user.uuid
    assert principal.session_id in sessions.live


async def test_unknown_email_still_verifies_a_hash(auth, user, hasher):
    with pytest.raises(InvalidCredentials):
        await auth.sign_in(SignIn(email="nobody@example.com", password="password1"))
    assert hasher.verified == [FakeHasher.dummy_hash]


async def test_wrong_password_and_unknown_email_raise_the_same_error(auth, user):
    errors = []
    for email, password in [("ada@example.com", "wrong-pass"), ("eve@example.com", "password1")]:
        with pytest.raises(InvalidCredentials) as caught:
            await auth.sign_in(SignIn(email=email, password=password))
        errors.append(str(caught.value))
    assert errors[0] == errors[1]


async def test_a_malformed_email_is_just_wrong_credentials(auth):
    with pytest.raises(InvalidCredentials):
        await auth.sign_in(SignIn(email="not an email", password="password1"))


async def test_inactive_account_is_refused_after_the_password_check(auth, user, db):
    db.users[user.uuid].is_active = False
    with pytest.raises(InactiveAccount):
        await auth.sign_in(SignIn(email="ada@example.com", password="password1"))


async def test_sign_in_attempts_over_the_limit_are_rate_limited(auth, user):
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            await auth.sign_in(SignIn(email="ada@example.com", password="wrong-pass"))
    with pytest.raises(RateLimited) as caught:
        await auth.sign_in(SignIn(email="ada@example.com", password="password1"))
    assert caught.value.retry_after == 60


async def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_session(auth, user):
    first = await auth.sign_in(SignIn(email="ada@example.com", password="password1"))
    second = await auth.refresh(first.refresh)
    assert second.refresh != first.refresh
    with pytest.raises(AuthenticationError):
        await auth.refresh(first.refresh)
    with pytest.raises(AuthenticationError):
        await auth.authenticate(second.access)
    with pytest.raises(AuthenticationError):
        await auth.refresh(second.refresh)


async def test_sign_out_ends_the_session(auth, user):
    pair = await auth.sign_in(SignIn(email="ada@example.com", password="password1"))
    await auth.sign_out(await auth.authenticate(pair.access))
    with pytest.raises(AuthenticationError):
        await auth.authenticate(pair.access)
    with pytest.raises(AuthenticationError):
        await auth.refresh(pair.refresh)


def forged(token: str, **changes: str) -> str:
    """A FakeTokens token with some of its parts (typ, user, sid, jti) replaced."""
    parts = dict(zip(("typ", "user", "sid", "jti"), token.split("|"), strict=True)) | changes
    return "|".join(parts.values())


async def second_user(db, hasher) -> object:
    users = UserService(db.uow, hasher, FixedClock(), FakeProfiles(db))
    return await users.register(RegisterUser(email="bob@example.com", password="password2"))


async def test_an_access_token_naming_another_users_session_is_refused(auth, user, db, hasher):
    await second_user(db, hasher)
    mine = await auth.sign_in(SignIn(email="ada@example.com", password="password1"))
    theirs = await auth.sign_in(SignIn(email="bob@example.com", password="password2"))
    their_sid = theirs.access.split("|")[2]
    with pytest.raises(AuthenticationError):
        await auth.authenticate(forged(mine.access, sid=their_sid))


async def test_a_refresh_token_naming_another_users_session_is_refused_and_spends_nothing(
    auth, user, db, hasher
):
    await second_user(db, hasher)
    mine = await auth.sign_in(SignIn(email="ada@example.com", password="password1"))
    theirs = await auth.sign_in(SignIn(email="bob@example.com", password="password2"))
    _, _, their_sid, their_jti = theirs.refresh.split("|")
    with pytest.raises(AuthenticationError):
        await auth.refresh(forged(mine.refresh, sid=their_sid, jti=their_jti))
    assert (await auth.refresh(theirs.refresh)).user_uuid == theirs.user_uuid


async def test_refresh_of_an_account_deactivated_behind_the_services_back_is_refused(
    auth, user, db
):
    pair = await auth.sign_in(SignIn(email="ada@example.com", password="password1"))
    db.users[user.uuid].is_active = False
    with pytest.raises(AuthenticationError):
        await auth.refresh(pair.refresh)


async def test_refresh_of_a_deleted_account_is_refused(auth, user, db):
    pair = await auth.sign_in(SignIn(email="ada@example.com", password="password1"))
    del db.users[user.uuid]
    with pytest.raises(AuthenticationError):
        await auth.refresh(pair.refresh)


async def test_refreshing_cannot_extend_a_session_past_its_absolute_lifetime(auth, user, clock):
    pair = await auth.sign_in(SignIn(email="ada@example.com", password="password1"))
    for _ in range(SESSION_SECONDS // 3000):  # each refresh well inside the 3600 s idle window
        clock.advance(3000)
        pair = await auth.refresh(pair.refresh)
    clock.advance(3000)
    with pytest.raises(AuthenticationError):
        await auth.refresh(pair.refresh)
    with pytest.raises(AuthenticationError):
        await auth.authenticate(pair.access)


async def test_sign_ups_over_the_limit_per_client_address_are_rate_limited(auth):
    for _ in range(2):
        await auth.admit_sign_up("203.0.113.7")
    with pytest.raises(RateLimited) as caught:
        await auth.admit_sign_up("203.0.113.7")
    assert caught.value.retry_after == 60
    await auth.admit_sign_up("198.51.100.1")


async def test_a_session_is_opened_with_the_accounts_roles_and_where_from(auth, user, db, sessions):
    db.users[user.uuid].roles = frozenset({Role.USER, Role.ADMIN})
    cmd = SignIn(email="ada@example.com", password="password1", client="203.0.113.7")
    pair = await auth.sign_in(replace(cmd, user_agent="x" * (USER_AGENT_MAX + 10)))
    principal = await auth.authenticate(pair.access)
    assert principal.roles == {Role.USER, Role.ADMIN}
    [info] = await sessions.sessions_of(user.uuid)
    assert (info.client_address, info.user_agent) == ("203.0.113.7", "x" * USER_AGENT_MAX)


async def test_a_sign_in_overtaken_by_a_change_of_roles_opens_its_session_with_the_new_ones(
    auth, user, db, sessions
):
    create = sessions.create

    async def roles_changed_first(*args, **options):
        db.users[user.uuid].roles = frozenset({Role.USER, Role.ADMIN})  # committed meanwhile
        await sessions.revoke_all(user.uuid)  # what the change does after its commit
        sessions.create = create
        await create(*args, **options)

    sessions.create = roles_changed_first
    pair = await auth.sign_in(SignIn(email="ada@example.com", password="password1"))
    assert (await auth.authenticate(pair.access)).roles == {Role.USER, Role.ADMIN}
    assert len(sessions.live) == 1
