"""The outbox relay when the broker is unreachable: rows kept (an outage counts against no row),
published once it is back."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC, datetime

import httpx
import pytest
from loguru import logger
from sqlalchemy import select

from app.application.messages import SendMessage
from app.application.ports import OutgoingMessage
from app.config.settings import MessageBroker
from app.container import build_container
from app.domain.shared import DependencyUnavailable
from app.infrastructure.db.tables import OutboxRow
from app.interfaces.api.app import create_app
from tests.conftest import _admin, app_process, free_port, settings_with
from tests.messaging.conftest import eventually, running_consumer
from tests.messaging.helpers import delete_main_queue, echo_count, unique


@pytest.fixture
async def unreachable(broker_settings):
    """A container whose broker address is a closed loopback port."""
    port = free_port()
    built = build_container(
        settings_with(
            broker_settings,
            message_broker_url=f"amqp://guest:guest@127.0.0.1:{port}/",
            kafka_bootstrap_servers=f"127.0.0.1:{port}",
            message_publish_timeout_seconds=1.0,
            outbox_max_attempts=1,  # were an outage counted, one round would park every row
        )
    )
    yield built
    await built.aclose()


class HeldPublisher:
    """A broker that takes messages and confirms none until released: a relay stuck mid-round."""

    name = "broker"

    def __init__(self) -> None:
        self.received: list[OutgoingMessage] = []
        self.holding, self.release = asyncio.Event(), asyncio.Event()

    async def publish(self, messages):
        await self.publish_each(messages)

    async def publish_each(self, messages):
        self.received += messages
        self.holding.set()
        await self.release.wait()
        return [None] * len(messages)

    async def check(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def _rows(container):
    async with container.sessions() as session:
        return (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()


async def test_publishing_to_an_unreachable_broker_fails_fast_as_unavailable(unreachable):
    message = OutgoingMessage(event="debug.echo.v1", data={}, occurred_at=datetime.now(UTC))
    started = time.monotonic()
    with pytest.raises(DependencyUnavailable):
        await unreachable.publisher.publish([message])
    assert time.monotonic() - started < 3


async def test_health_names_the_broker_when_it_is_unreachable(unreachable):
    transport = httpx.ASGITransport(app=create_app(unreachable))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/api/v1/debug/health/")
    assert response.status_code == 503
    assert response.json()["components"] == {
        "postgres": "ok",
        "redis": "ok",
        "broker": "unavailable",
    }


async def test_the_relay_keeps_rows_while_the_broker_is_down_and_publishes_them_later(
    unreachable, broker_container
):
    keys = [unique("outage") for _ in range(3)]
    for key in keys:
        await unreachable.messages.send(SendMessage(event="debug.echo.v1", data={"key": key}))

    for _ in range(3):  # an outage is no fault of the rows: it never counts toward parking
        assert await unreachable.relay.run_once() == 0
    kept = await _rows(unreachable)
    assert [(r.published_at, r.failed_at, r.attempts) for r in kept] == [(None, None, 0)] * 3
    assert all("Unavailable" in (r.last_error or "") for r in kept)

    assert await broker_container.relay.run_once() == 3
    assert all(r.published_at is not None for r in await _rows(broker_container))
    async with running_consumer(broker_container, with_relay=False):
        for key in keys:
            assert await eventually(lambda key=key: echo_count(broker_container, key)) == 1


async def test_a_relay_round_failing_for_another_reason_does_not_end_the_loop(settings):
    # A database without the outbox table: every round fails with a programming error, which
    # must be logged and retried, never end the loop silently (the consumer would go on without
    # a relay and events would wait until a restart).
    name = f"{settings.db_name}_bare"
    await _admin(settings, f'CREATE DATABASE "{name}"')
    bare = build_container(settings_with(settings, db_name=name))
    failures: list[str] = []
    sink = logger.add(failures.append, level="ERROR", filter=lambda r: "relay" in r["message"])
    stop = asyncio.Event()
    loop = asyncio.create_task(bare.relay.run_forever(0.05, stop))
    try:
        await eventually(lambda: _at_least(failures, 3))
        assert not loop.done()
    finally:
        stop.set()
        await asyncio.wait([loop], timeout=5)  # a loop that died has already failed the test
        logger.remove(sink)
        await bare.aclose()
        await _admin(settings, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert loop.done() and loop.exception() is None
    assert 'relation "outbox" does not exist' in failures[0]


async def _at_least(items: list[str], count: int) -> bool:
    return len(items) >= count


@pytest.mark.parametrize(
    "broker_settings", [MessageBroker.RABBITMQ], indirect=True, ids=["rabbitmq"]
)
async def test_while_one_relay_publishes_a_round_another_relay_publishes_nothing(
    broker_container,
):
    # Two relays of two processes: one is in the middle of a round (its broker has not confirmed
    # yet); rows written meanwhile, of its key and of another, wait for it instead of leaving
    # through the second relay, so only one relay publishes at a time, in `id` order.
    held = HeldPublisher()
    holder = build_container(broker_container.settings, publisher=held)
    send = broker_container.messages.send
    try:
        first = await send(SendMessage(event="debug.echo.v1", data={"key": "a"}, key="a"))
        round_in_flight = asyncio.create_task(holder.relay.run_once())
        await asyncio.wait_for(held.holding.wait(), 10)
        await send(SendMessage(event="debug.echo.v1", data={"key": "a"}, key="a"))
        await send(SendMessage(event="debug.echo.v1", data={"key": "b"}, key="b"))

        assert await broker_container.relay.run_once() == 0
        assert all(row.published_at is None for row in await _rows(broker_container))

        held.release.set()
        assert await round_in_flight == 1
        assert [message.id for message in held.received] == [first]
        assert await broker_container.relay.run_once() == 2  # the lock went with the round
    finally:
        held.release.set()
        await holder.aclose()
    assert all(row.published_at is not None for row in await _rows(broker_container))


@pytest.mark.slow
async def test_app_relay_alone_publishes_pending_rows_and_stops_on_sigterm(broker_container):
    key = unique("relay_alone")
    await broker_container.messages.send(SendMessage(event="debug.echo.v1", data={"key": key}))
    async with app_process(broker_container.settings, "relay", LOG_LEVEL="WARNING") as process:
        await eventually(lambda: _all_published(broker_container), timeout=30)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
    # It really reached the broker: a consumer now handles it.
    async with running_consumer(broker_container):
        await eventually(lambda: echo_count(broker_container, key))
    assert await echo_count(broker_container, key) == 1


async def _all_published(container) -> bool:
    rows = await _rows(container)
    return bool(rows) and all(row.published_at is not None for row in rows)


@pytest.mark.parametrize(
    "broker_settings", [MessageBroker.RABBITMQ], indirect=True, ids=["rabbitmq"]
)
async def test_an_event_the_broker_cannot_route_stays_in_the_outbox(broker_container):
    # With its queue gone, RabbitMQ confirms the message and returns it: that must count as a
    # failed publication, or the relay would mark the row sent and the event would be lost.
    # A missing queue is the deployment's fault, not the row's: no attempt is counted.
    settings = broker_container.settings
    warm_up = OutgoingMessage(event="debug.warm_up.v1", data={}, occurred_at=datetime.now(UTC))
    await broker_container.publisher.publish([warm_up])  # declares the topology
    await delete_main_queue(settings)
    await broker_container.messages.send(SendMessage(event="debug.echo.v1", data={"key": "x"}))

    assert await broker_container.relay.run_once() == 0
    [row] = await _rows(broker_container)
    assert (row.published_at, row.failed_at, row.attempts) == (None, None, 0)
    assert "NO_ROUTE" in row.last_error
