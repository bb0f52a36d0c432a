"""`app outbox` as an operator runs it: lists the parked rows, queues one or all of them again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.config.settings import MessageBroker
from app.infrastructure.db.tables import OutboxRow
from tests.conftest import app_process

pytestmark = [
    pytest.mark.slow,  # every check runs the command as a process
    pytest.mark.parametrize(
        "broker_settings", [MessageBroker.RABBITMQ], indirect=True, ids=["rabbitmq"]
    ),
]
NOW = datetime.now(UTC)


async def add_row(container, *, parked: bool) -> OutboxRow:
    row = OutboxRow(
        message_id=uuid.uuid4(),
        event="test.parked.v1" if parked else "test.pending.v1",
        payload={},
        ordering_key=str(uuid.uuid4()),
        occurred_at=NOW,
        attempts=3 if parked else 0,
        last_error="MessageRefused: RabbitMQ: PRECONDITION_FAILED\n- message size"
        if parked
        else None,
        failed_at=NOW if parked else None,
    )
    async with container.sessions() as session, session.begin():
        session.add(row)
    return row


async def app_outbox(container, *args: str) -> tuple[int, str, str]:
    async with app_process(container.settings, "outbox", *args, capture=True) as process:
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def reload(container, row: OutboxRow) -> OutboxRow:
    async with container.sessions() as session:
        return await session.scalar(select(OutboxRow).where(OutboxRow.id == row.id))


async def test_app_outbox_lists_the_parked_rows_and_nothing_else(broker_container):
    first = await add_row(broker_container, parked=True)
    second = await add_row(broker_container, parked=True)
    pending = await add_row(broker_container, parked=False)

    for args in ((), ("list",)):
        status, out, _ = await app_outbox(broker_container, *args)
        assert status == 0
        header, *lines = out.splitlines()
        assert header.split("\t") == [
            "id",
            "message_id",
            "event",
            "attempts",
            "failed_at",
            "last_error",
        ]
        assert [line.split("\t")[:4] for line in lines] == [
            [str(row.id), str(row.message_id), "test.parked.v1", "3"] for row in (first, second)
        ]
        assert all(line.endswith("PRECONDITION_FAILED - message size") for line in lines)
        assert str(pending.message_id) not in out


async def test_app_outbox_retry_queues_one_parked_row_and_the_relay_then_sends_it(
    broker_container,
):
    retried = await add_row(broker_container, parked=True)
    still_parked = await add_row(broker_container, parked=True)

    status, out, _ = await app_outbox(broker_container, "retry", str(retried.id))

    assert (status, out.strip()) == (0, f"outbox row {retried.id} queued again")
    row = await reload(broker_container, retried)
    assert (row.failed_at, row.attempts, row.published_at) == (None, 0, None)
    assert row.next_attempt_at <= datetime.now(UTC)
    assert (await reload(broker_container, still_parked)).failed_at is not None
    assert await broker_container.relay.run_once() == 1
    assert (await reload(broker_container, retried)).published_at is not None


async def test_app_outbox_retry_of_an_id_that_is_not_parked_fails_with_status_1(
    broker_container,
):
    pending = await add_row(broker_container, parked=False)

    for row_id in (pending.id, pending.id + 1000):
        status, out, err = await app_outbox(broker_container, "retry", str(row_id))
        assert (status, out) == (1, "")
        assert f"no parked outbox row has id {row_id}" in err


async def test_app_outbox_retry_all_queues_every_parked_row(broker_container):
    rows = [await add_row(broker_container, parked=True) for _ in range(2)]

    status, out, _ = await app_outbox(broker_container, "retry", "--all")

    assert (status, out.strip()) == (0, "2 parked outbox rows queued again")
    assert [(await reload(broker_container, row)).failed_at for row in rows] == [None, None]
    assert (await app_outbox(broker_container))[1].strip() == "no parked outbox rows"


async def test_app_outbox_retry_needs_an_id_or_all_but_not_both(broker_container):
    for args in (("retry",), ("retry", "1", "--all")):
        status, _, err = await app_outbox(broker_container, *args)
        assert status == 2
        assert "--all" in err
