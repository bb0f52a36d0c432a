"""The edges of messaging: the debug endpoint, the envelope, HANDLERS_MAP configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.config.settings import LaunchMode
from app.container import build_container
from app.infrastructure.db.tables import OutboxRow
from app.infrastructure.messaging.delivery import Ack, DeadLetter, DeadLetterReason, Retry
from app.infrastructure.messaging.envelope import MalformedMessage, parse
from app.interfaces.api.app import create_app
from app.interfaces.consumer.dispatch import ConfigurationError, Dispatcher
from app.interfaces.consumer.handlers import HANDLERS_MAP, CeleryRoute, Message
from tests.api.helpers import assert_problem, bearer, signed_in
from tests.conftest import settings_with
from tests.messaging.helpers import echo, envelope, unique


async def test_send_message_needs_an_access_token(client):
    response = await client.post("/debug/send-message/", json={"event": "x.v1", "data": {}})
    assert_problem(response, 401)


async def test_send_message_answers_202_with_the_id_of_the_outbox_row(client, container):
    _, tokens = await signed_in(client)
    response = await client.post(
        "/debug/send-message/",
        json={"event": "debug.echo.v1", "data": {"key": "k"}, "correlation_id": None},
        headers=bearer(tokens["access"]),
    )
    assert response.status_code == 202
    async with container.sessions() as session:
        row = (
            await session.scalars(select(OutboxRow).where(OutboxRow.event == "debug.echo.v1"))
        ).one()
    assert str(row.message_id) == response.json()["id"]
    assert row.correlation_id == response.headers.get("x-request-id", row.correlation_id)


@pytest.mark.parametrize(
    "body",
    [
        {"id": "5f0c6a3e-5b7e-4b7a-9c1e-0d3c2b1a0f9e", "event": "e.v1", "data": {}},
        {"event": "", "data": {}},
        {"event": "has spaces", "data": {}},
        {"event": "e.v1", "data": [1]},
        {"data": {}},
    ],
)
async def test_send_message_rejects_a_bad_envelope_with_422(client, body):
    _, tokens = await signed_in(client)
    response = await client.post(
        "/debug/send-message/", json=body, headers=bearer(tokens["access"])
    )
    assert_problem(response, 422)


async def test_send_message_is_absent_in_prod(settings):
    prod = build_container(settings_with(settings, launch_mode=LaunchMode.PROD))
    transport = httpx.ASGITransport(app=create_app(prod))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
            response = await http.post("/debug/send-message/", json={"event": "e", "data": {}})
    finally:
        await prod.aclose()
    assert_problem(response, 404)


def test_an_envelope_without_id_is_accepted_and_extra_keys_are_ignored():
    parsed = parse(b'{"event": "a.v1", "data": {"x": 1}, "extra": true}')
    assert (parsed.id, parsed.event, parsed.data) == (None, "a.v1", {"x": 1})


@pytest.mark.parametrize("body", [b"\xff", b"null", b'{"event": "a", "data": 1}', b'{"id": 1}'])
def test_a_body_that_is_not_an_envelope_is_malformed(body):
    with pytest.raises(MalformedMessage):
        parse(body)


def test_a_celery_route_without_a_task_sender_is_a_configuration_error(container):
    handlers = {"users.registered.v1": CeleryRoute("app.welcome", "default_queue")}
    with pytest.raises(ConfigurationError, match=r"users\.registered\.v1"):
        Dispatcher(container, handlers, max_retries=1, base_delay=0.01)


class RecordingSender:
    """The seam the Celery integration fills; here it records what it was given."""

    def __init__(self) -> None:
        self.sent: list[tuple[CeleryRoute, Mapping[str, Any], Message]] = []

    async def send(self, route: CeleryRoute, data: Mapping[str, Any], message: Message) -> None:
        self.sent.append((route, data, message))


async def test_a_celery_route_hands_the_message_to_the_task_sender(container):
    route = CeleryRoute("app.welcome", "default_queue")
    sender = RecordingSender()
    dispatcher = Dispatcher(
        container, {"x.v1": route}, max_retries=1, base_delay=0.01, task_sender=sender
    )
    assert await dispatcher(envelope("x.v1", {"a": 1}), 1) == Ack()
    [(sent_route, data, message)] = sender.sent
    assert (sent_route, data, message.event, message.attempt) == (route, {"a": 1}, "x.v1", 1)


async def test_a_dependency_down_is_retried_past_the_retry_limit(settings):
    broken = build_container(settings_with(settings, redis_url="redis://127.0.0.1:1/0"))
    try:
        dispatcher = Dispatcher(
            broken, HANDLERS_MAP, max_retries=1, base_delay=0.01, task_sender=RecordingSender()
        )
        outcome = await dispatcher(echo(unique("down")), 5)
    finally:
        await broken.aclose()
    assert isinstance(outcome, Retry)


async def test_an_unknown_event_is_dead_lettered_without_running_anything(container):
    sender = RecordingSender()
    dispatcher = Dispatcher(
        container, HANDLERS_MAP, max_retries=1, base_delay=0.01, task_sender=sender
    )
    outcome = await dispatcher(envelope("nobody.v1", {}), 1)
    assert isinstance(outcome, DeadLetter)
    assert outcome.reason is DeadLetterReason.UNKNOWN_EVENT
    assert sender.sent == []


@pytest.mark.parametrize(
    "data",
    [{}, {"user_uuid": "not-a-uuid", "email": "ada@example.com"}, {"user_uuid": None}],
)
async def test_a_routed_event_with_invalid_data_is_dead_lettered_before_any_task(container, data):
    sender = RecordingSender()
    dispatcher = Dispatcher(
        container, HANDLERS_MAP, max_retries=1, base_delay=0.01, task_sender=sender
    )
    outcome = await dispatcher(envelope("users.registered.v1", data), 1)
    assert isinstance(outcome, DeadLetter)
    assert outcome.reason is DeadLetterReason.INVALID_DATA
    assert "user_uuid" in outcome.detail
    assert sender.sent == []
