import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.application.context import correlation_id
from app.application.users import RegisterUser
from app.container import build_container
from app.domain.auth.permissions import Role
from app.domain.users.errors import EmailAlreadyTaken
from app.domain.users.user import PROFILE_FIELDS, User
from app.domain.users.values import Email, Phone
from app.infrastructure.db.tables import OutboxRow, UserRow
from app.infrastructure.errors import UNAVAILABLE_ERRORS
from tests.conftest import _admin, settings_with

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


async def count(container, model) -> int:
    async with container.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_every_field_round_trips_through_the_repository(container):
    user = User.register(Email.parse("ada@example.com"), "hash", NOW, first_name="Ada")
    user.update_profile(
        {
            "last_name": "Lovelace",
            "phone": "+44 20 7946 0000",
            "birthday": date(1815, 12, 10),
            "street": "12 St James's Square",
            "city": "London",
            "state": "Greater London",
            "zip_code": "SW1Y 4JH",
            "country": "UK",
            "meta": {"title": "Countess", "tags": ["math"]},
        },
        NOW,
    )
    user.set_roles(frozenset({Role.ADMIN}), NOW)
    async with container.uow() as uow:
        uow.users.add(user)
        await uow.commit()
    async with container.uow() as uow:
        loaded = await uow.users.get(user.id)
    assert loaded is not None
    for name in (
        "id",
        "email",
        "password_hash",
        *PROFILE_FIELDS,
        "is_active",
        "roles",
        "updated_at",
    ):
        assert getattr(loaded, name) == getattr(user, name), name
    assert loaded.phone == Phone("+44 20 7946 0000")
    assert loaded.created_at is not None


async def test_the_row_and_its_outbox_rows_commit_together(container):
    token = correlation_id.set("req-123")
    try:
        view = await container.users.register(
            RegisterUser(email="ada@example.com", password="password1")
        )
    finally:
        correlation_id.reset(token)
    async with container.sessions() as session:
        [row] = (await session.scalars(select(OutboxRow))).all()
    assert row.event == "users.registered.v1"
    assert row.payload == {"user_uuid": str(view.uuid), "email": "ada@example.com"}
    assert (row.ordering_key, row.correlation_id, row.published_at) == (
        str(view.uuid),
        "req-123",
        None,
    )


async def test_nothing_is_written_without_commit(container):
    async with container.uow() as uow:
        uow.users.add(User.register(Email.parse("ada@example.com"), "hash", NOW))
    assert await count(container, UserRow) == 0
    assert await count(container, OutboxRow) == 0


async def test_a_duplicate_email_becomes_the_domain_error_and_writes_nothing(container):
    async with container.uow() as uow:
        uow.users.add(User.register(Email.parse("ada@example.com"), "hash", NOW))
        await uow.commit()
    async with container.uow() as uow:
        uow.users.add(User.register(Email.parse("ada@example.com"), "hash", NOW))
        with pytest.raises(EmailAlreadyTaken):
            await uow.commit()
    assert await count(container, UserRow) == 1
    assert await count(container, OutboxRow) == 1


async def test_eight_concurrent_registrations_of_one_email_leave_one_row(container):
    command = RegisterUser(email="race@example.com", password="password1")
    results = await asyncio.gather(
        *(container.users.register(command) for _ in range(8)), return_exceptions=True
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, EmailAlreadyTaken) for r in results if isinstance(r, Exception))
    assert await count(container, UserRow) == 1
    assert await count(container, OutboxRow) == 1


async def test_email_uniqueness_ignores_case_even_below_the_domain(container):
    async with container.uow() as uow:
        uow.users.add(User.register(Email("ada@example.com"), "hash", NOW))
        await uow.commit()
    async with container.uow() as uow:
        uow.users.add(User.register(Email("ADA@example.com"), "hash", NOW))
        with pytest.raises(EmailAlreadyTaken):
            await uow.commit()


async def test_inbox_claims_a_message_id_once(container):
    from uuid import uuid4

    message_id = uuid4()
    async with container.uow() as uow:
        assert await uow.inbox.claim(message_id)
        await uow.commit()
    async with container.uow() as uow:
        assert not await uow.inbox.claim(message_id)


async def test_a_profile_read_on_a_connection_the_server_killed_is_unavailable_then_recovers(
    settings, container
):
    view = await container.users.register(
        RegisterUser(email="kill@example.com", password="long-password-1")
    )
    # Its own engine, so killing its one pooled connection touches no other test.
    own = build_container(settings_with(settings, connections_pool_min_size=1))
    try:
        assert (await own.users.me(view.uuid)).email == "kill@example.com"
        async with own.engine.connect() as conn:
            pid = (await conn.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one()
        await _admin(settings, f"SELECT pg_terminate_backend({pid})")

        with pytest.raises(UNAVAILABLE_ERRORS):
            await own.users.me(view.uuid)
        # The dead connection was dropped, not returned: the next read gets a new one.
        assert (await own.users.me(view.uuid)).email == "kill@example.com"
    finally:
        await own.aclose()
