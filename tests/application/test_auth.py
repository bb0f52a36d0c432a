import pytest

from app.application.auth import AuthService, SignIn, TokenLifetimes
from app.application.users import RegisterUser, UserService
from app.domain.shared import AuthenticationError, RateLimited
from app.domain.users.errors import InactiveAccount, InvalidCredentials
from tests.fakes import (
    FakeDatabase,
    FakeHasher,
    FakeLimiter,
    FakeProfiles,
    FakeSessions,
    FakeTokens,
    FixedClock,
)


@pytest.fixture
def db():
    return FakeDatabase()


@pytest.fixture
def hasher():
    return FakeHasher()


@pytest.fixture
def sessions():
    return FakeSessions()


@pytest.fixture
def auth(db, hasher, sessions):
    return AuthService(
        db.uow, hasher, FakeTokens(), sessions, FakeLimiter(3), TokenLifetimes(300, 3600)
    )


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
