"""The outbox row keeps the trace context, and the relay sends it with the message."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select

from app.application.ports import OutgoingMessage
from app.container import Container
from app.infrastructure.db.tables import OutboxRow
from app.infrastructure.messaging.delivery import Ack, Outcome
from app.infrastructure.messaging.kafka import KafkaPublisher
from app.infrastructure.messaging.kafka_consumer import KafkaConsumer
from app.infrastructure.messaging.rabbitmq import RabbitPublisher
from app.infrastructure.messaging.rabbitmq_consumer import RabbitConsumer
from tests.messaging.conftest import eventually

TRACE = {
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "tracestate": "vendor=opaque",
}


class Deliveries:
    """A processor that acks everything and keeps the headers it was given."""

    def __init__(self) -> None:
        self.headers: list[Mapping[str, str]] = []

    async def __call__(self, body: bytes, attempt: int, headers: Mapping[str, str]) -> Outcome:
        self.headers.append(headers)
        return Ack()


async def test_an_untraced_relay_sends_the_rows_trace_context_to_the_consumer(broker_container):
    message = OutgoingMessage(
        event="debug.echo.v1", data={"key": "k"}, occurred_at=datetime.now(UTC), trace_context=TRACE
    )
    async with broker_container.uow() as uow:
        uow.outbox.add(message)
        await uow.commit()
    async with broker_container.sessions() as session:
        row = (await session.scalars(select(OutboxRow))).one()
    assert {"traceparent": row.traceparent, "tracestate": row.tracestate} == TRACE
    assert await broker_container.relay.run_once() == 1
    headers = await _first_delivery(broker_container)
    assert {name: headers.get(name) for name in TRACE} == TRACE


async def test_a_row_written_outside_any_trace_has_no_trace_context(broker_container):
    async with broker_container.uow() as uow:
        uow.outbox.add(
            OutgoingMessage(event="debug.echo.v1", data={}, occurred_at=datetime.now(UTC))
        )
        await uow.commit()
    async with broker_container.sessions() as session:
        row = (await session.scalars(select(OutboxRow))).one()
    assert (row.traceparent, row.tracestate) == (None, None)
    assert await broker_container.relay.run_once() == 1
    assert not set(TRACE) & set(await _first_delivery(broker_container))


async def _first_delivery(container: Container) -> Mapping[str, str]:
    deliveries = Deliveries()
    publisher = container.publisher
    if isinstance(publisher, RabbitPublisher):
        consumer = RabbitConsumer(publisher, deliveries, prefetch=1)
        await consumer.start()
        try:
            await eventually(lambda: _any(deliveries))
        finally:
            await consumer.stop(5)
        return deliveries.headers[0]
    assert isinstance(publisher, KafkaPublisher)
    settings = container.settings
    kafka = KafkaConsumer(
        publisher,
        deliveries,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group=settings.consumer_group,
        prefetch=1,
        session_timeout_ms=settings.kafka_session_timeout_ms,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(kafka.run(stop))
    try:
        await eventually(lambda: _any(deliveries), timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(running, 15)
    return deliveries.headers[0]


async def _any(deliveries: Deliveries) -> bool:
    return bool(deliveries.headers)
