"""The caller's own account: sessions, sign-out everywhere, password change and reset; and the
audit trail every one of them (and every admin change) leaves, on the fakes."""

from __future__ import annotations

import uuid

import pytest

from app.application.admin import AdminService, UpdateUser
from app.application.auth import (
    AttemptLimits,
    AuthService,
    ChangePassword,
    Principal,
    SignIn,
    TokenLifetimes,
)
from app.application.context import client_address, correlation_id
from app.application.password_reset import (
    ConfirmReset,
    PasswordResetService,
    ResetPolicy,
    SendReset,
    digest,
)
from app.application.users import RegisterUser, UserService
from app.domain.audit.entry import AUDIT_RECORDED, ActorKind, AuditAction
from app.domain.auth.permissions import Role
from app.domain.shared import RateLimited, ValidationError
from app.domain.users.errors import InvalidCredentials, InvalidResetToken, WrongPassword
from app.domain.users.events import UserPasswordResetRequested
from tests.fakes import FakeHasher, FakeLimiter, FakeMailer, FakeProfiles, FakeTokens

PASSWORD, NEW = "password1", "new-password-2"
LINK = "https://app.example/reset?token={token}"
SIGN_INS = 6  # per email and client address


@pytest.fixture
def limits() -> AttemptLimits:
    return AttemptLimits(
        sign_in=FakeLimiter(SIGN_INS), sign_up=FakeLimiter(100), password_reset=FakeLimiter(2)
    )


@pytest.fixture
def auth(db, hasher, sessions, clock, limits):
    lifetimes = TokenLifetimes(300, 3600, 86400)
    return AuthService(db.uow, hasher, FakeTokens(), sessions, limits, lifetimes, clock)


@pytest.fixture
def mailer() -> FakeMailer:
    return FakeMailer()


@pytest.fixture
def resets(db, hasher, sessions, clock, limits, mailer):
    policy = ResetPolicy(token_seconds=1800, link=LINK)
    return PasswordResetService(
        db.uow, hasher, sessions, mailer, limits.password_reset, clock, policy
    )


@pytest.fixture
async def ada(db, hasher, clock):
    users = UserService(db.uow, hasher, clock, FakeProfiles(db))
    return await users.register(RegisterUser(email="ada@example.com", password=PASSWORD))


async def signed_in(auth, sessions) -> Principal:
    pair = await auth.sign_in(SignIn(email="ada@example.com", password=PASSWORD))
    return await auth.authenticate(pair.access)


def actions(db) -> list[str]:
    return [entry.action for entry in db.audit]


async def test_the_callers_sessions_are_listed_and_signing_out_everywhere_ends_them(
    auth, sessions, ada, db, clock
):
    first = await signed_in(auth, sessions)
    clock.advance(1)
    second = await signed_in(auth, sessions)
    listed = await auth.sessions(first)
    assert [s.session_id for s in listed] == [first.session_id, second.session_id]
    await auth.sign_out_everywhere(second)
    assert sessions.live == {}
    assert actions(db)[-1] == AuditAction.SIGNED_OUT_EVERYWHERE
    assert db.audit[-1].actor_id == ada.uuid


async def test_a_password_change_keeps_only_the_callers_session(auth, sessions, ada, db):
    other, caller = await signed_in(auth, sessions), await signed_in(auth, sessions)
    await auth.change_password(caller, ChangePassword(current_password=PASSWORD, new_password=NEW))
    assert set(sessions.live) == {caller.session_id}
    await auth.sign_in(SignIn(email="ada@example.com", password=NEW))
    with pytest.raises(InvalidCredentials):
        await auth.sign_in(SignIn(email="ada@example.com", password=PASSWORD))
    assert AuditAction.PASSWORD_CHANGED in actions(db)
    assert "users.password_changed.v1" in [event.name for event in db.events]
    assert other.session_id not in sessions.live


async def test_a_wrong_current_password_is_refused_audited_and_counts_as_a_sign_in(
    auth, sessions, ada, db, limits
):
    caller = await signed_in(auth, sessions)
    for _ in range(SIGN_INS - 1):
        with pytest.raises(WrongPassword):
            await auth.change_password(
                caller, ChangePassword(current_password="not-it-at-all", new_password=NEW)
            )
    assert actions(db).count(AuditAction.PASSWORD_CHANGE_FAILED) == SIGN_INS - 1
    # one sign-in and the wrong passwords used up the limit: the next sign-in is over it
    with pytest.raises(RateLimited):
        await auth.sign_in(SignIn(email="ada@example.com", password=PASSWORD))


async def test_a_weak_new_password_names_new_password(auth, sessions, ada):
    caller = await signed_in(auth, sessions)
    with pytest.raises(ValidationError) as caught:
        await auth.change_password(
            caller, ChangePassword(current_password=PASSWORD, new_password="short")
        )
    assert [field for field, _ in caught.value.errors] == ["new_password"]


async def test_sign_ins_are_audited_with_the_request_context(auth, ada, db):
    correlation_id.set("req-1")
    client_address.set("203.0.113.9")
    await auth.sign_in(SignIn(email="ada@example.com", password=PASSWORD))
    with pytest.raises(InvalidCredentials):
        await auth.sign_in(SignIn(email="ada@example.com", password="wrong-pass"))
    with pytest.raises(InvalidCredentials):
        await auth.sign_in(SignIn(email="nobody@example.com", password=PASSWORD))
    succeeded, wrong, unknown = db.audit
    assert (succeeded.action, succeeded.actor_kind) == (AuditAction.SIGN_IN_SUCCEEDED, "user")
    assert (succeeded.request_id, succeeded.client_address) == ("req-1", "203.0.113.9")
    assert (wrong.target_id, wrong.detail["reason"]) == (ada.uuid, "password")
    assert unknown.actor_kind == ActorKind.ANONYMOUS
    assert unknown.detail == {"reason": "unknown_email", "email": "nobody@example.com"}
    # each entry is also an event, in the same commit
    assert [m.event for m in db.messages] == [AUDIT_RECORDED] * 3
    assert all(PASSWORD not in str(m.data) for m in db.messages)


async def test_a_reset_request_is_the_same_for_an_unknown_address(resets, ada, db):
    await resets.request("ADA@example.com", "198.51.100.1")
    await resets.request("nobody@example.com", "198.51.100.1")
    requested = [e for e in db.events if isinstance(e, UserPasswordResetRequested)]
    assert [(e.user_id, e.email) for e in requested] == [(ada.uuid, "ada@example.com")]
    assert [e.detail["outcome"] for e in db.audit] == ["sent", "no_active_account"]


async def test_reset_requests_are_limited_per_address(resets, ada):
    for _ in range(2):
        await resets.request("ada@example.com", "198.51.100.1")
    with pytest.raises(RateLimited):
        await resets.request("ada@example.com", "198.51.100.2")


async def reset_token(resets, db, mailer, ada) -> str:
    await resets.request("ada@example.com", "198.51.100.1")
    event = next(e for e in db.events if isinstance(e, UserPasswordResetRequested))
    cmd = SendReset(request_id=event.event_id, user_id=ada.uuid, email=event.email)
    assert await resets.send(cmd)
    text = mailer.sent[-1].text
    return text.split("token=")[1].split()[0]


async def test_the_token_is_only_in_the_mail_and_stored_as_its_digest(resets, db, mailer, ada):
    token = await reset_token(resets, db, mailer, ada)
    assert mailer.sent[-1].to == "ada@example.com"
    [row] = db.resets.values()
    assert row.digest == digest(token) != token
    assert token not in str([m.data for m in db.messages])


async def test_a_resent_mail_replaces_the_token(resets, db, mailer, ada):
    first = await reset_token(resets, db, mailer, ada)
    event = next(e for e in db.events if isinstance(e, UserPasswordResetRequested))
    await resets.send(SendReset(request_id=event.event_id, user_id=ada.uuid, email=event.email))
    second = mailer.sent[-1].text.split("token=")[1].split()[0]
    assert len(db.resets) == 1 and first != second
    with pytest.raises(InvalidResetToken):
        await resets.confirm(ConfirmReset(token=first, new_password=NEW))
    await resets.confirm(ConfirmReset(token=second, new_password=NEW))


async def test_a_token_sets_the_password_once_and_ends_every_session(
    resets, auth, sessions, db, mailer, ada
):
    await signed_in(auth, sessions)
    token = await reset_token(resets, db, mailer, ada)
    await resets.confirm(ConfirmReset(token=token, new_password=NEW))
    assert sessions.live == {}
    await auth.sign_in(SignIn(email="ada@example.com", password=NEW))
    with pytest.raises(InvalidResetToken):
        await resets.confirm(ConfirmReset(token=token, new_password="another-one-3"))
    assert db.audit[-2].action == AuditAction.PASSWORD_RESET
    event = next(e for e in db.events if isinstance(e, UserPasswordResetRequested))
    resend = SendReset(request_id=event.event_id, user_id=ada.uuid, email=event.email)
    assert not await resets.send(resend)  # a used request sends nothing more


async def test_an_expired_token_is_refused(resets, db, mailer, ada, clock):
    token = await reset_token(resets, db, mailer, ada)
    clock.advance(1801)
    with pytest.raises(InvalidResetToken):
        await resets.confirm(ConfirmReset(token=token, new_password=NEW))


async def test_nothing_is_sent_for_an_account_deactivated_since_the_request(
    resets, db, mailer, ada
):
    await resets.request("ada@example.com", "198.51.100.1")
    db.users[ada.uuid].is_active = False
    cmd = SendReset(request_id=uuid.uuid4(), user_id=ada.uuid, email="ada@example.com")
    assert not await resets.send(cmd)
    assert mailer.sent == []


async def test_admin_changes_are_audited_by_kind_with_the_admin_as_actor(db, sessions, clock, ada):
    admin = AdminService(db.uow, sessions, clock, FakeProfiles(db))
    actor = Principal(uuid.uuid4(), "s", frozenset({Role.USER, Role.ADMIN}))
    users = UserService(db.uow, FakeHasher(), clock, FakeProfiles(db))
    root = await users.register(RegisterUser(email="root@example.com", password=PASSWORD))
    db.users[root.uuid].roles = frozenset({Role.USER, Role.ADMIN})  # ada is never the last admin
    await admin.update(actor, UpdateUser(ada.uuid, {"city": "London"}, ["admin"]))
    await admin.update(actor, UpdateUser(ada.uuid, {"city": "London"}, ["admin"]))  # no change
    await admin.update(actor, UpdateUser(ada.uuid, {}, []))
    await admin.deactivate(actor, ada.uuid)
    await admin.reactivate(actor, ada.uuid)
    assert [(e.action, dict(e.detail)) for e in db.audit] == [
        (AuditAction.PROFILE_CHANGED, {"fields": ["city"]}),
        (AuditAction.ROLES_CHANGED, {"roles": ["admin", "user"]}),
        (AuditAction.ROLES_CHANGED, {"roles": ["user"]}),
        (AuditAction.DEACTIVATED, {}),
        (AuditAction.REACTIVATED, {}),
    ]
    assert {(e.actor_id, e.actor_kind, e.target_id) for e in db.audit} == {
        (actor.user_id, ActorKind.ADMIN, ada.uuid)
    }


async def test_the_operator_is_the_actor_of_app_users(db, sessions, clock, ada):
    admin = AdminService(db.uow, sessions, clock, FakeProfiles(db))
    await admin.grant("ada@example.com", "admin")
    [granted] = db.audit
    assert (granted.action, granted.actor_kind, granted.actor_id) == (
        AuditAction.ROLES_CHANGED,
        ActorKind.OPERATOR,
        None,
    )
