"""A row the broker always refuses is postponed alone, then parked; the rest of the outbox goes on.

The refusals are the brokers' own: on Kafka the producer's request limit (aiokafka's default
`max_request_size`, 1 MiB, which KafkaPublisher keeps; Tansu itself enforces none), on RabbitMQ
the broker's `max_message_size` (read from the running broker), which closes the channel.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import aio_pika
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import select

from app.application.messages import SendMessage
from app.config.settings import MessageBroker, Settings
from app.container import build_container
from app.infrastructure.db.tables import OutboxRow
from tests.conftest import settings_with
from tests.fakes import FixedClock

KAFKA_MAX_REQUEST_BYTES = 1024 * 1024
BACKOFF_SECONDS = 2.0  # the first backoff after a refusal


@pytest.fixture
def clock() -> FixedClock:
    """The relay's time, ahead of the database's so new rows are due; backoffs pass on demand."""
    return FixedClock(datetime.now(UTC) + timedelta(minutes=1))


@pytest.fixture
async def relay_container(broker_settings, container, clock):
    """A container on `broker_settings`; `container` empties the tables afterwards."""
    built = build_container(
        settings_with(
            broker_settings, outbox_relay_interval_seconds=BACKOFF_SECONDS, outbox_max_attempts=2
        ),
        clock=clock,
    )
    yield built
    await built.aclose()


async def refused_size(settings: Settings) -> int:
    """A payload size the broker (or its producer) refuses to publish."""
    if settings.message_broker is MessageBroker.KAFKA:
        return KAFKA_MAX_REQUEST_BYTES + 1024
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl",
        "eval",
        "application:get_env(rabbit, max_message_size).",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    assert process.returncode == 0, out
    return int(re.search(rb"\d+", out).group()) + 1024


async def send(container, key: str, **data) -> uuid.UUID:
    return await container.messages.send(SendMessage(event="test.row.v1", data=data, key=key))


async def rows(container) -> dict[uuid.UUID, OutboxRow]:
    async with container.sessions() as session:
        found = (await session.scalars(select(OutboxRow))).all()
    return {row.message_id: row for row in found}


async def published_ids(settings: Settings, expected: int) -> list[str]:
    """The message ids on the main queue/topic: `expected` of them, and any extra copies."""
    if settings.message_broker is MessageBroker.KAFKA:
        bodies = await _kafka_bodies(settings, expected)
    else:
        bodies = await _rabbit_bodies(settings, expected)
    return sorted(orjson.loads(body)["id"] for body in bodies)


async def _rabbit_bodies(settings: Settings, expected: int) -> list[bytes]:
    found: list[bytes] = []
    async with await aio_pika.connect(settings.message_broker_url) as connection:
        queue = await (await connection.channel()).get_queue(settings.default_queue)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            message = await queue.get(no_ack=True, fail=False)
            if message is not None:
                found.append(message.body)
            elif len(found) >= expected:
                break
            else:
                await asyncio.sleep(0.05)
    return found


async def _kafka_bodies(settings: Settings, expected: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    found: list[bytes] = []
    try:
        partition = TopicPartition(settings.default_topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            records = [r.value or b"" for records in batch.values() for r in records]
            found += records
            if not records and len(found) >= expected:
                break
    finally:
        await consumer.stop()
    return found


@pytest.mark.slow  # on RabbitMQ it sends messages over the broker's limit (128 MiB by default)
async def test_a_refused_row_is_postponed_alone_then_parked_and_the_other_rows_are_sent_once(
    relay_container, clock
):
    container = relay_container
    size = await refused_size(container.settings)
    before = await send(container, "key-a")
    poisoned = await send(container, "key-b", blob="x" * size)
    behind = await send(container, "key-b")  # same key: must never overtake the refused row
    beside = await send(container, "key-c")

    assert await container.relay.run_once() == 2
    found = await rows(container)
    assert found[before].published_at and found[beside].published_at
    refused = found[poisoned]
    assert (refused.published_at, refused.failed_at, refused.attempts) == (None, None, 1)
    assert "larger than" in refused.last_error  # both brokers say so, naming the limit
    assert (found[behind].published_at, found[behind].attempts) == (None, 0)

    # While the refused row backs off, the younger row of its key still waits for it.
    assert await container.relay.run_once() == 0
    assert (await rows(container))[behind].published_at is None

    clock.advance(BACKOFF_SECONDS)
    assert await container.relay.run_once() == 1  # the second refusal parks it; `behind` goes
    found = await rows(container)
    parked = found[poisoned]
    assert (parked.published_at, parked.attempts) == (None, 2)
    assert parked.failed_at is not None and parked.last_error
    assert found[behind].published_at is not None
    assert await container.relay.run_once() == 0  # a parked row is not tried again

    expected = sorted(str(i) for i in (before, behind, beside))
    assert await published_ids(container.settings, len(expected)) == expected


@pytest.mark.parametrize(
    "broker_settings", [MessageBroker.RABBITMQ], indirect=True, ids=["rabbitmq"]
)
async def test_a_row_waits_while_another_relay_holds_an_older_row_of_its_key(relay_container):
    container = relay_container
    held = await send(container, "key-a")
    behind = await send(container, "key-a")
    other = await send(container, "key-b")

    async with container.sessions() as other_relay, other_relay.begin():
        # Another relay publishing `held` right now: its row is locked until it commits.
        lock = select(OutboxRow).where(OutboxRow.message_id == held).with_for_update()
        await other_relay.execute(lock)
        assert await container.relay.run_once() == 1

    found = await rows(container)
    assert found[other].published_at is not None
    assert found[held].published_at is None and found[behind].published_at is None
    assert await container.relay.run_once() == 2


async def test_a_row_whose_data_has_no_json_form_is_refused_not_taken_for_an_outage(
    relay_container,
):
    # JSONB stores integers of any size; the envelope's JSON encoder takes 64 bits at most.
    container = relay_container
    unencodable = uuid.uuid4()
    async with container.sessions() as session, session.begin():
        session.add(
            OutboxRow(
                message_id=unencodable,
                event="test.row.v1",
                payload={"n": 2**70},
                ordering_key="key-a",
                occurred_at=datetime.now(UTC),
            )
        )
    fine = await send(container, "key-b")

    assert await container.relay.run_once() == 1
    found = await rows(container)
    assert found[fine].published_at is not None
    refused = found[unencodable]
    assert (refused.published_at, refused.attempts) == (None, 1)
    assert "cannot encode" in refused.last_error
