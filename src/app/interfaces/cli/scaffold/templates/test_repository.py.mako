<%
    E, e, N = c.Entity, c.entity, c.name
    owner = "uuid4(), " if c.owner else ""
%>\
"""The ${c.words} repository on the fake and on PostgreSQL (one contract), and their read side."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy import select

from app.application.ports import ListQuery, UnitOfWork
from app.domain.${N}.${e} import ${E}
from app.domain.shared import ValidationError
from app.infrastructure.db.${N} import ${c.ENTITY}_ORDER_FIELDS, ${E}Queries
from app.infrastructure.db.keyset import Cursors
from app.infrastructure.db.tables import OutboxRow
from tests.domain.test_${N} import CHANGED, VALUES
from tests.fakes import FakeDatabase, Fake${c.Entities}

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


@dataclass
class Store:
    """A unit-of-work factory and a way to read the events that reached the outbox."""

    uow: Callable[[], UnitOfWork]
    outbox_events: Callable[[], object]


@pytest.fixture(params=["fake", "sql"])
def store(request) -> Store:
    if request.param == "fake":
        fake = Fake${c.Entities}(FakeDatabase())

        async def fake_outbox() -> list[str]:
            return [message.event for message in fake.db.messages]

        return Store(fake.uow, fake_outbox)
    container = request.getfixturevalue("container")

    async def sql_outbox() -> list[str]:
        async with container.sessions() as session:
            return list(await session.scalars(select(OutboxRow.event).order_by(OutboxRow.id)))

    return Store(container.uow, sql_outbox)


async def saved(uow_factory: Callable[[], UnitOfWork], ${e}: ${E}) -> ${E}:
    async with uow_factory() as uow:
        uow.${N}.add(${e})
        await uow.commit()
    return ${e}


async def load(uow_factory: Callable[[], UnitOfWork], ${e}: ${E}) -> ${E} | None:
    async with uow_factory() as uow:
        return await uow.${N}.get(${e}.id)


async def test_a_committed_${e}_reads_back_with_every_field(store):
    ${e} = await saved(store.uow, ${E}.create(${owner}VALUES, NOW))
    loaded = await load(store.uow, ${e})
    assert loaded is not None and loaded is not ${e}
    assert loaded.values() == VALUES
% if c.owner:
    assert (loaded.owner_id, loaded.created_at, loaded.updated_at) == (${e}.owner_id, NOW, NOW)
% else:
    assert (loaded.created_at, loaded.updated_at) == (NOW, NOW)
% endif
% if "created" in c.events:
    assert await store.outbox_events() == ["${N}.created.v1"]
% endif


async def test_nothing_is_stored_without_commit(store):
    ${e} = ${E}.create(${owner}VALUES, NOW)
    async with store.uow() as uow:
        uow.${N}.add(${e})
    assert await load(store.uow, ${e}) is None
    assert await store.outbox_events() == []


async def test_a_change_is_kept_only_when_committed(store):
    ${e} = await saved(store.uow, ${E}.create(${owner}VALUES, NOW))
    async with store.uow() as uow:
        loaded = await uow.${N}.get(${e}.id)
        loaded.update(CHANGED, NOW)
    assert (await load(store.uow, ${e})).values() == VALUES
    async with store.uow() as uow:
        loaded = await uow.${N}.get(${e}.id)
        loaded.update(CHANGED, NOW)
        await uow.commit()
    assert (await load(store.uow, ${e})).values() == CHANGED


async def test_a_removed_${e}_is_gone_once_committed(store):
    ${e} = await saved(store.uow, ${E}.create(${owner}VALUES, NOW))
    async with store.uow() as uow:
        loaded = await uow.${N}.get(${e}.id)
% if "deleted" in c.events:
        loaded.delete(NOW)
% endif
        await uow.${N}.remove(loaded)
        await uow.commit()
    assert await load(store.uow, ${e}) is None
% if "deleted" in c.events:
    assert (await store.outbox_events())[-1] == "${N}.deleted.v1"
% endif


@pytest.fixture
def queries(container) -> ${E}Queries:
    settings = container.settings
    return ${E}Queries(
        container.sessions,
        Cursors(settings.secret_key),
        max_page_size=settings.max_page_size,
        max_filters=settings.max_filters,
    )


async def test_the_list_filters_orders_and_pages_by_cursor(container, queries):
    made = [await saved(container.uow, ${E}.create(${owner}VALUES, NOW)) for _ in range(3)]
    uuids = sorted(str(${e}.id) for ${e} in made)
    query = ListQuery(filters=[("uuid__in", ",".join(uuids))], order_by=["uuid"], limit=2)
    first = await queries.page(query)
    assert ([str(row["uuid"]) for row in first.items], first.total) == (uuids[:2], 3)
    rest = await queries.page(replace(query, after=first.next))
    assert [str(row["uuid"]) for row in rest.items] == uuids[2:]
    for field in ${c.ENTITY}_ORDER_FIELDS:
        assert (await queries.page(ListQuery(order_by=[f"-{field}"]))).total == 3
% if c.owner:
    mine = await queries.page(ListQuery(), {"owner_uuid": made[0].owner_id})
    assert [row["uuid"] for row in mine.items] == [made[0].id]
% endif


async def test_the_list_refuses_a_field_outside_its_allow_list(queries):
    with pytest.raises(ValidationError) as error:
        await queries.page(ListQuery(filters=[("id", "1"), ("no_such_field__e", "x")]))
    assert [field for field, _ in error.value.errors] == ["id", "no_such_field__e"]
