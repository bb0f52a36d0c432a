"""Nothing is lost when the consumer is stopped mid-stream or the broker goes away."""

from __future__ import annotations

import asyncio
import signal

import pytest
from sqlalchemy import func, select

from app.application.messages import SendMessage
from app.config.settings import MessageBroker
from app.infrastructure.db.tables import OutboxRow
from tests.conftest import app_process
from tests.messaging.conftest import eventually, running_consumer
from tests.messaging.helpers import (
    close_rabbit_connections,
    dead_letters,
    delete_main_queue,
    echo,
    echo_count,
    publish_raw,
    unique,
)

pytestmark = pytest.mark.slow


async def test_sigterm_with_messages_in_flight_loses_none(broker_container):
    key, total = unique("sigterm"), 1500
    await publish_raw(broker_container, *(echo(key) for _ in range(total)))
    async with app_process(broker_container.settings, "consume", LOG_LEVEL="WARNING") as process:
        await eventually(lambda: _at_least(broker_container, key, 50), timeout=20, interval=0.01)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
    stopped_at = await echo_count(broker_container, key)
    assert stopped_at < total  # it really was stopped mid-stream

    async with running_consumer(broker_container):
        await eventually(lambda: _at_least(broker_container, key, total), timeout=30)
        assert await dead_letters(broker_container.settings, 1, timeout=0.3) == []
    assert await echo_count(broker_container, key) == total


async def test_the_broker_going_away_mid_stream_loses_none(broker_container, request):
    key, batch = unique("restart"), 40
    async with running_consumer(broker_container):
        await _send(broker_container, key, batch)
        if broker_container.settings.message_broker is MessageBroker.KAFKA:
            # Tansu keeps data in memory: wait for the first batch before it forgets everything.
            await eventually(lambda: _at_least(broker_container, key, batch), timeout=20)
            tansu = request.getfixturevalue("tansu")
            tansu.stop()
            await _send(broker_container, key, batch)  # into the outbox while the broker is down
            await eventually(lambda: _relay_failed(broker_container), timeout=20)
            tansu.start()
        else:
            settings = broker_container.settings
            name = f"{settings.project_name}:{settings.default_queue}"
            assert await close_rabbit_connections(name) >= 1
            await _send(broker_container, key, batch)
        await _send(broker_container, key, batch)
        await eventually(lambda: _at_least(broker_container, key, 3 * batch), timeout=45)
    assert await echo_count(broker_container, key) == 3 * batch


async def _send(container, key: str, count: int) -> None:
    for _ in range(count):
        await container.messages.send(SendMessage(event="debug.echo.v1", data={"key": key}))


async def _relay_failed(container) -> bool:
    # An outage counts no attempt against the rows; the relay notes it in last_error.
    query = select(func.count()).where(OutboxRow.last_error.is_not(None))
    async with container.sessions() as session:
        return bool(await session.scalar(query))


async def _at_least(container, key: str, count: int) -> bool:
    return await echo_count(container, key) >= count


@pytest.mark.parametrize(
    "broker_settings", [MessageBroker.RABBITMQ], indirect=True, ids=["rabbitmq"]
)
async def test_a_queue_deleted_under_the_consumer_is_declared_again_and_consumed(broker_container):
    # The broker cancels the consumer (basic.cancel); the robust channel re-declares the queue
    # with its binding and consumes again, without a restart of the process.
    key = unique("deleted_queue")
    async with running_consumer(broker_container):
        await _send(broker_container, key, 1)
        await eventually(lambda: _at_least(broker_container, key, 1))
        await delete_main_queue(broker_container.settings)
        await _send(broker_container, key, 5)
        await eventually(lambda: _at_least(broker_container, key, 6), timeout=30)
    assert await echo_count(broker_container, key) == 6
