"""Outbox metrics: the relay holder's backlog gauges, and what each round published or refused.

Against the real RabbitMQ: a refusal is the publisher's own (a row holding an integer JSONB
stores but the envelope's encoder cannot write, as a row older than the storable rule may), an
outage a broker URL whose port nobody listens on.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from app.application.messages import SendMessage
from app.config.settings import Settings
from app.container import Container, build_container
from app.infrastructure.db.tables import OutboxRow
from app.infrastructure.messaging.outbox_relay import RELAY_LOCK_KEY
from app.infrastructure.metrics import OutboxBacklog, report_outbox_backlog
from tests.conftest import free_port, require_service, settings_with
from tests.fakes import FixedClock
from tests.metrics.helpers import value


@pytest.fixture
def rabbit_settings(settings: Settings) -> Settings:
    require_service("RabbitMQ", "127.0.0.1", 5672)
    return settings_with(settings, outbox_max_attempts=1, message_publish_timeout_seconds=2.0)


@pytest.fixture
async def relay_container(
    rabbit_settings: Settings, container: Container
) -> AsyncIterator[Container]:
    """A container of its own; `container` empties the tables afterwards."""
    built = build_container(rabbit_settings)
    yield built
    await built.aclose()


async def _send(container: Container) -> None:
    await container.messages.send(SendMessage(event="test.metrics.v1", data={}))


async def _unencodable_row(container: Container) -> None:
    row = OutboxRow(
        message_id=uuid.uuid4(),
        event="test.metrics.v1",
        payload={"n": 2**70},
        occurred_at=datetime.now(UTC),
    )
    async with container.sessions() as session, session.begin():
        session.add(row)


def _gauge(name: str) -> float | None:
    return REGISTRY.get_sample_value(name)


async def test_the_holder_reports_the_pending_rows_and_the_age_of_the_oldest(
    rabbit_settings, container
):
    # Rows recorded 90 s ago by this clock (and not due yet for its relay): they stay pending.
    clock = FixedClock(datetime.now(UTC) - timedelta(seconds=90))
    built = build_container(rabbit_settings, clock=clock)
    try:
        await _send(built)
        clock.advance(30)
        await _send(built)
        assert await built.relay.run_once() == 0
    finally:
        await built.aclose()
    assert _gauge("app_outbox_pending_rows") == 2
    assert 89 <= (_gauge("app_outbox_oldest_pending_age_seconds") or 0) < 120
    assert _gauge("app_outbox_parked_rows") == 0


async def test_published_rows_are_counted_and_leave_the_pending_gauge(relay_container):
    published = value("app_outbox_published_total")
    await _send(relay_container)
    await _send(relay_container)
    assert await relay_container.relay.run_once() == 2
    assert value("app_outbox_published_total") == published + 2
    assert await relay_container.relay.run_once() == 0
    assert _gauge("app_outbox_pending_rows") == 0
    assert _gauge("app_outbox_oldest_pending_age_seconds") == 0


async def test_a_broker_outage_counts_a_failure_per_row_it_held_back(rabbit_settings, container):
    closed = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    built = build_container(settings_with(rabbit_settings, message_broker_url=closed))
    failures = value("app_outbox_publish_failures_total", reason="broker-unavailable")
    try:
        await _send(built)
        assert await built.relay.run_once() == 0
    finally:
        await built.aclose()
    assert value("app_outbox_publish_failures_total", reason="broker-unavailable") == failures + 1
    assert _gauge("app_outbox_pending_rows") == 1


async def test_a_refused_row_counts_as_a_failure_then_as_parked(relay_container):
    refused = value("app_outbox_publish_failures_total", reason="refused")
    parked = value("app_outbox_parked_total")
    await _unencodable_row(relay_container)
    assert await relay_container.relay.run_once() == 0  # OUTBOX_MAX_ATTEMPTS=1: parked at once
    assert value("app_outbox_publish_failures_total", reason="refused") == refused + 1
    assert value("app_outbox_parked_total") == parked + 1
    await relay_container.relay.run_once()
    assert _gauge("app_outbox_parked_rows") == 1


async def test_a_relay_that_does_not_hold_the_turn_reports_nothing(relay_container):
    report_outbox_backlog(OutboxBacklog(pending=7, oldest_pending_at=None, parked=0), -1)
    assert _gauge("app_outbox_pending_rows") is None  # expired figures are not shown
    await _send(relay_container)
    async with relay_container.engine.connect() as holder, holder.begin():
        await holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RELAY_LOCK_KEY})
        assert await relay_container.relay.run_once() == 0
        assert _gauge("app_outbox_pending_rows") is None
    assert await relay_container.relay.run_once() == 1
    assert _gauge("app_outbox_pending_rows") == 1  # the backlog the round started from
