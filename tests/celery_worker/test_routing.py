"""Consumer → Celery: the shipped HANDLERS_MAP hands `users.registered.v1` to a worker."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select

from app.application.password_reset import ConfirmReset
from app.container import Container, build_container
from app.infrastructure.db.tables import NotificationRow
from app.interfaces.cli.celery_app import CeleryTaskSender, ServiceCelery
from app.interfaces.consumer.runner import consume
from tests.celery_helpers import embedded_worker_beside_loop
from tests.celery_worker.conftest import eventually, register_user
from tests.celery_worker.gate import TcpGate
from tests.conftest import app_process, settings_with


@pytest.fixture
async def routing_container(rabbit_settings, container) -> AsyncIterator[Container]:
    built = build_container(rabbit_settings)
    yield built
    await built.aclose()


@asynccontextmanager
async def consumer_routing_to(container: Container, celery: ServiceCelery) -> AsyncIterator[None]:
    stop = asyncio.Event()
    sender = CeleryTaskSender(celery)
    task = asyncio.create_task(consume(container, stop, task_sender=sender))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def _welcomes(container: Container) -> list[NotificationRow]:
    async with container.sessions() as session:
        return list(await session.scalars(select(NotificationRow)))


async def test_a_routed_event_is_handled_by_the_celery_task_once(
    routing_container, rabbit_settings
):
    async with (
        embedded_worker_beside_loop(rabbit_settings) as worker,
        consumer_routing_to(routing_container, worker),
    ):
        user = await register_user(routing_container)
        welcomes = await eventually(lambda: _welcomes(routing_container))

    assert [(w.user_uuid, w.kind, w.payload) for w in welcomes] == [
        (user.uuid, "welcome", {"email": user.email})
    ]


async def test_a_routed_event_waits_in_the_queue_until_the_celery_broker_accepts_it(
    routing_container, rabbit_settings
):
    gate = TcpGate(6379)
    await gate.listen()
    behind_gate = settings_with(
        rabbit_settings, celery_broker_url=f"redis://127.0.0.1:{gate.port}/1"
    )
    try:
        async with (
            embedded_worker_beside_loop(rabbit_settings),
            consumer_routing_to(routing_container, ServiceCelery(lambda: behind_gate)),
        ):
            await register_user(routing_container)
            await eventually(lambda: _dropped(gate))
            assert await _welcomes(routing_container) == []
            await gate.open()
            welcomes = await eventually(lambda: _welcomes(routing_container))
    finally:
        await gate.close()

    assert len(welcomes) == 1


@pytest.mark.slow
async def test_app_consume_hands_a_sign_up_to_the_celery_worker(routing_container, rabbit_settings):
    async with (
        embedded_worker_beside_loop(rabbit_settings),
        app_process(rabbit_settings, "consume", LOG_LEVEL="WARNING") as process,
    ):
        user = await register_user(routing_container)
        welcomes = await eventually(lambda: _welcomes(routing_container), timeout=30)
        process.send_signal(signal.SIGTERM)
        exit_code = await asyncio.wait_for(process.wait(), 30)

    assert exit_code == 0
    assert [(w.user_uuid, w.payload) for w in welcomes] == [(user.uuid, {"email": user.email})]


async def _dropped(gate: TcpGate) -> int:
    return gate.dropped


async def test_a_reset_request_reaches_the_mail_server_through_the_consumer_and_a_worker(
    rabbit_settings, container, smtp_server
):
    """The whole path: the use case's outbox row, the relay, RabbitMQ, the consumer's route,
    Celery, the task, SMTP; the mail's link resets the password."""
    mailing = settings_with(rabbit_settings, smtp_port=smtp_server.port)
    routing = build_container(mailing)
    try:
        async with (
            embedded_worker_beside_loop(mailing) as worker,
            consumer_routing_to(routing, worker),
        ):
            user = await register_user(routing)
            await routing.password_resets.request(user.email, "198.51.100.7")
            [mail] = await smtp_server.wait_for(1, timeout=30)
        token = mail.message.get_content().split("token=")[1].split()[0]
        await routing.password_resets.confirm(ConfirmReset(token=token, new_password="renewed-1"))
    finally:
        await routing.aclose()
    assert mail.recipients == (user.email,)
