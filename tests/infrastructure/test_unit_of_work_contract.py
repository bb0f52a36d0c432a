"""One contract for the unit of work and its repositories, run on the fake and on PostgreSQL.

The application tests trust `tests/fakes.py`; these tests are what makes that trust earned: a
behaviour the SQL implementation has and the fake lacks (or the reverse) fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import select

from app.application.ports import OutgoingMessage, UnitOfWork
from app.domain.audit.entry import AuditAction, AuditEntry
from app.domain.auth.permissions import Role
from app.domain.users.errors import EmailAlreadyTaken
from app.domain.users.user import User
from app.domain.users.values import Email
from app.infrastructure.db.tables import OutboxRow
from tests.fakes import FakeDatabase

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


@dataclass
class Store:
    """A unit-of-work factory and a way to read what reached the outbox."""

    uow: Callable[[], UnitOfWork]
    outbox_events: Callable[[], object]


@pytest.fixture(params=["fake", "sql"])
def store(request) -> Store:
    if request.param == "fake":
        db = FakeDatabase()

        async def fake_outbox() -> list[str]:
            return [event.name for event in db.events] + [m.event for m in db.messages]

        return Store(db.uow, fake_outbox)
    container = request.getfixturevalue("container")

    async def sql_outbox() -> list[str]:
        async with container.sessions() as session:
            return list(await session.scalars(select(OutboxRow.event).order_by(OutboxRow.id)))

    return Store(container.uow, sql_outbox)


def new_user(email: str = "ada@example.com") -> User:
    return User.register(Email.parse(email), "hash", NOW)


async def saved(store: Store, user: User) -> User:
    async with store.uow() as uow:
        uow.users.add(user)
        await uow.commit()
    return user


async def load(store: Store, user: User) -> User | None:
    async with store.uow() as uow:
        return await uow.users.get(user.id)


async def test_a_committed_user_is_found_by_id_and_by_email(store):
    user = await saved(store, new_user())
    async with store.uow() as uow:
        by_id = await uow.users.get(user.id)
        by_email = await uow.users.get_by_email(Email.parse("ADA@example.com"))
    assert by_id is not None and by_email is not None
    assert (by_id.id, by_email.id, by_id.email) == (user.id, user.id, user.email)


async def test_nothing_is_stored_without_commit(store):
    user = new_user()
    async with store.uow() as uow:
        uow.users.add(user)
    assert await load(store, user) is None
    assert await store.outbox_events() == []


async def test_a_change_to_a_loaded_user_is_kept_only_when_committed(store):
    user = await saved(store, new_user())
    async with store.uow() as uow:
        loaded = await uow.users.get(user.id)
        assert loaded is not None
        loaded.update_profile({"city": "London"}, NOW)
    assert (await load(store, user)).city is None
    async with store.uow() as uow:
        loaded = await uow.users.get(user.id)
        loaded.update_profile({"city": "Paris"}, NOW)
        await uow.commit()
    assert (await load(store, user)).city == "Paris"


async def test_a_loaded_user_is_a_copy_until_the_next_commit(store):
    user = await saved(store, new_user())
    user.update_profile({"city": "changed after commit"}, NOW)
    async with store.uow() as uow:
        first = await uow.users.get(user.id)
    async with store.uow() as uow:
        second = await uow.users.get(user.id)
    assert first is not second
    assert first.city is None


async def test_a_failed_commit_applies_nothing_of_its_unit_of_work(store):
    first = await saved(store, new_user())
    async with store.uow() as uow:
        loaded = await uow.users.get(first.id)
        loaded.update_profile({"city": "London"}, NOW)
        uow.users.add(new_user("ADA@example.com"))
        with pytest.raises(EmailAlreadyTaken):
            await uow.commit()
    assert (await load(store, first)).city is None
    assert await store.outbox_events() == ["users.registered.v1"]


async def test_recorded_events_and_added_messages_reach_the_outbox_at_commit(store):
    user = new_user()
    async with store.uow() as uow:
        uow.users.add(user)
        uow.outbox.add(OutgoingMessage(event="debug.echo.v1", data={"key": "k"}, occurred_at=NOW))
        assert await store.outbox_events() == []
        await uow.commit()
    assert sorted(await store.outbox_events()) == ["debug.echo.v1", "users.registered.v1"]


async def test_the_inbox_claims_a_message_id_once_and_only_when_committed(store):
    message_id = uuid4()
    async with store.uow() as uow:
        assert await uow.inbox.claim(message_id)
    async with store.uow() as uow:
        assert await uow.inbox.claim(message_id)
        assert not await uow.inbox.claim(message_id)
        await uow.commit()
    async with store.uow() as uow:
        assert not await uow.inbox.claim(message_id)


async def test_lock_holders_names_the_active_accounts_holding_the_role(store):
    admin, retired, plain = (new_user(f"{n}@example.com") for n in ("a", "r", "p"))
    for user in (admin, retired):
        user.set_roles(frozenset({Role.ADMIN}), NOW)
    retired.deactivate(NOW)
    for user in (admin, retired, plain):
        await saved(store, user)
    async with store.uow() as uow:
        assert await uow.users.lock_holders(Role.ADMIN) == {admin.id}
        assert await uow.users.lock_holders(Role.USER) == {admin.id, plain.id}


async def issue(store: Store, request_id, user_id, digest: str, expires_at=None) -> bool:
    async with store.uow() as uow:
        issued = await uow.password_resets.issue(
            request_id, user_id, digest, expires_at or NOW + timedelta(minutes=30)
        )
        await uow.commit()
    return issued


async def redeem(store: Store, digest: str, now=NOW):
    async with store.uow() as uow:
        user_id = await uow.password_resets.redeem(digest, now)
        await uow.commit()
    return user_id


async def test_a_reset_token_is_spent_once_with_every_other_token_of_its_account(store):
    user, request, other_request = uuid4(), uuid4(), uuid4()
    await issue(store, request, user, "a" * 64)
    await issue(store, other_request, user, "b" * 64)
    assert await redeem(store, "a" * 64) == user
    assert await redeem(store, "a" * 64) is None
    assert await redeem(store, "b" * 64) is None  # spent with the first
    assert not await issue(store, request, user, "c" * 64)  # a used request issues no more


async def test_a_repeated_request_replaces_its_unused_token(store):
    user, request = uuid4(), uuid4()
    await issue(store, request, user, "a" * 64)
    assert await issue(store, request, user, "b" * 64)
    assert await redeem(store, "a" * 64) is None
    assert await redeem(store, "b" * 64) == user


async def test_an_expired_or_uncommitted_token_redeems_nothing(store):
    user = uuid4()
    await issue(store, uuid4(), user, "a" * 64, expires_at=NOW)
    assert await redeem(store, "a" * 64, NOW) is None
    async with store.uow() as uow:
        await uow.password_resets.issue(uuid4(), user, "b" * 64, NOW + timedelta(minutes=1))
    assert await redeem(store, "b" * 64) is None


async def test_an_audit_entry_commits_with_its_event_or_not_at_all(store):
    entry = AuditEntry(action=AuditAction.SIGN_IN_SUCCEEDED, actor_kind="user", occurred_at=NOW)
    async with store.uow() as uow:
        uow.audit.record(entry)  # no commit
    assert await store.outbox_events() == []
    async with store.uow() as uow:
        uow.audit.record(entry)
        await uow.commit()
    assert await store.outbox_events() == ["audit.recorded.v1"]
