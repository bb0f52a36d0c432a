"""The reliable event flow of SPEC §6, on RabbitMQ and on Kafka (Tansu)."""

from __future__ import annotations

import uuid

import httpx
import orjson
from sqlalchemy import func, select

from app.config.celery import SEND_WELCOME
from app.container import Container
from app.infrastructure.db.tables import NotificationRow, OutboxRow
from app.interfaces.api.app import create_app
from tests.celery_helpers import FinishedTasks
from tests.messaging.conftest import eventually, running_consumer
from tests.messaging.helpers import (
    dead_letters,
    echo,
    echo_count,
    envelope,
    publish_raw,
    unique,
)


async def _notifications(container: Container) -> int:
    async with container.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(NotificationRow)) or 0)


async def test_sign_up_reaches_the_welcome_task_through_outbox_broker_and_celery(
    broker_container, celery_worker
):
    app = create_app(broker_container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
        response = await http.post(
            "/auth/sign-up/", json={"email": "Ada@Example.com", "password": "long-password-1"}
        )
    assert response.status_code == 201
    async with running_consumer(broker_container):
        await eventually(lambda: _notifications(broker_container))
    async with broker_container.sessions() as session:
        row = (await session.scalars(select(NotificationRow))).one()
        outbox = (await session.scalars(select(OutboxRow))).one()
    assert (str(row.user_uuid), row.kind, row.payload) == (
        response.json()["uuid"],
        "welcome",
        {"email": "ada@example.com"},
    )
    assert outbox.published_at is not None
    assert outbox.correlation_id  # the sign-up request's id travelled with the event


async def test_poison_messages_go_to_the_dlq_with_the_reason_and_the_queue_keeps_flowing(
    broker_container,
):
    after_poison = unique("after_poison")
    poison = {
        b"not json at all": "malformed",
        b"[1, 2, 3]": "malformed",
        b'{"data": {}}': "malformed",
        envelope("nobody.handles.this.v1", {}): "unknown-event",
        envelope("debug.echo.v1", {"fail_times": "many"}): "invalid-data",
    }
    await publish_raw(broker_container, *poison, echo(after_poison))
    async with running_consumer(broker_container):
        await eventually(lambda: echo_count(broker_container, after_poison))
        parked = await dead_letters(broker_container.settings, len(poison))
    assert {body: headers["x-error"] for body, headers in parked} == poison
    assert all(headers["x-error-detail"] and headers["x-attempts"] == "1" for _, headers in parked)


async def test_a_handler_failing_twice_then_succeeding_is_retried_and_handled_once(
    broker_container,
):
    flaky = unique("flaky")
    await publish_raw(broker_container, echo(flaky, fail_times=2))
    async with running_consumer(broker_container):
        assert await eventually(lambda: echo_count(broker_container, flaky)) == 1
        assert await dead_letters(broker_container.settings, 1, timeout=0.5) == []
    assert await echo_count(broker_container, flaky) == 1


async def test_a_handler_that_always_fails_ends_in_the_dlq_after_the_configured_retries(
    broker_container,
):
    hopeless = unique("hopeless")
    body = echo(hopeless, fail_times=50)
    await publish_raw(broker_container, body)
    async with running_consumer(broker_container):
        [(parked, headers)] = await dead_letters(broker_container.settings, 1)
    assert parked == body
    assert headers["x-error"] == "handler-failed"
    assert headers["x-attempts"] == str(broker_container.settings.consumer_max_retries + 1)
    assert "EchoFailed" in headers["x-error-detail"]
    assert await echo_count(broker_container, hopeless) == 0


async def test_the_same_message_id_delivered_twice_is_handled_once(broker_container, celery_worker):
    dedup = unique("dedup")
    marker = unique("marker")
    echo_id, welcome_id = uuid.uuid4(), uuid.uuid4()
    welcome = envelope(
        "users.registered.v1", {"user_uuid": str(uuid.uuid4()), "email": "a@b.io"}, welcome_id
    )
    twice = [echo(dedup, message_id=echo_id), welcome] * 2
    await publish_raw(broker_container, *twice, echo(marker))
    with FinishedTasks(celery_worker) as finished:
        async with running_consumer(broker_container):
            await eventually(lambda: echo_count(broker_container, marker))
            welcomes = await eventually(lambda: _both_ran(finished))
    assert await echo_count(broker_container, dedup) == 1
    # Both deliveries reached the task; the inbox let only the first one record the welcome.
    assert sorted(welcomes) == [("SUCCESS", False), ("SUCCESS", True)]
    assert await _notifications(broker_container) == 1


async def _both_ran(finished: FinishedTasks) -> list[tuple[str, object]] | None:
    welcomes = finished.of(SEND_WELCOME)
    return welcomes if len(welcomes) >= 2 else None


async def test_the_debug_endpoint_publishes_through_the_outbox(broker_container, client):
    via_api = unique("via_api")
    app = create_app(broker_container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
        await http.post("/auth/sign-up/", json={"email": "d@b.io", "password": "long-password-1"})
        tokens = await http.post(
            "/auth/tokens/", json={"email": "d@b.io", "password": "long-password-1"}
        )
        response = await http.post(
            "/debug/send-message/",
            json={"event": "debug.echo.v1", "data": {"key": via_api}},
            headers={"Authorization": f"Bearer {tokens.json()['access']}"},
        )
    assert response.status_code == 202
    async with running_consumer(broker_container):
        assert await eventually(lambda: echo_count(broker_container, via_api)) == 1
    async with broker_container.sessions() as session:
        row = await session.scalar(
            select(OutboxRow).where(OutboxRow.message_id == uuid.UUID(response.json()["id"]))
        )
    assert row is not None and row.published_at is not None
    assert orjson.loads(orjson.dumps(row.payload)) == {"key": via_api}
