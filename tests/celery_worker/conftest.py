"""Real Celery workers over the real Redis broker and the run's PostgreSQL database.

Each test gets its own Redis key prefix (so its queues are its own, even next to other runs)
and its own PostgreSQL application_name (so its worker's connections can be counted).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from celery.result import AsyncResult
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.application.users import RegisterUser, UserView
from app.config.settings import Settings
from app.container import Container
from app.interfaces.cli.celery_app import ServiceCelery
from tests.celery_helpers import embedded_worker, own_redis_prefix
from tests.conftest import delete_rabbit_entities, process_env, require_service, settings_with

READY_TIMEOUT = 30


@pytest.fixture
def celery_settings(settings: Settings) -> Iterator[Settings]:
    """The run's settings with a Redis key prefix (queues, results) and a name of this test."""
    run = uuid.uuid4().hex[:10]
    with own_redis_prefix(settings, f"celery-{run}") as prefixed:
        yield settings_with(prefixed, project_name=f"celery-test-{run}")


@pytest.fixture
def producer(celery_settings: Settings) -> ServiceCelery:
    """A Celery app that only sends tasks and reads results, like the API or the consumer."""
    return ServiceCelery(lambda: celery_settings)


@pytest.fixture
def in_process_worker(celery_settings: Settings) -> Iterator[ServiceCelery]:
    """Celery's embedded test worker (solo pool, in a thread) with the real bridge."""
    with embedded_worker(celery_settings) as app:
        yield app


async def result_of(result: AsyncResult, timeout: float = 20) -> Any:
    """Wait for a task's result without blocking the test's event loop."""
    return await asyncio.to_thread(result.get, timeout=timeout)


async def register_user(container: Container) -> UserView:
    email = f"celery-{uuid.uuid4().hex[:12]}@example.com"
    return await container.users.register(RegisterUser(email=email, password="password1"))


async def connections_of(engine: AsyncEngine, application_name: str) -> int:
    query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
    async with engine.connect() as conn:
        return int((await conn.execute(query, {"name": application_name})).scalar_one())


class WorkerProcess:
    """`app worker` in its own process group, its output in a file the test can read."""

    def __init__(self, settings: Settings, log: Path, *args: str) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.interfaces.cli", "worker", "-l", "INFO", *args],
                env=process_env(settings),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while " ready." not in self.output:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the worker did not start:\n{self.output}")
            time.sleep(0.1)

    def kill(self) -> int:
        """SIGKILL the whole process group: the main process and its pool children."""
        os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.wait(timeout=10)

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        return self.process.wait(timeout=20)


@pytest.fixture
def worker_process(tmp_path: Path) -> Iterator[Any]:
    """Start `app worker` processes; every one still running is stopped at the end."""
    started: list[WorkerProcess] = []

    def start(settings: Settings, *args: str) -> WorkerProcess:
        worker = WorkerProcess(settings, tmp_path / f"worker-{len(started)}.log", *args)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            os.killpg(worker.process.pid, signal.SIGKILL)
            worker.process.wait(timeout=10)


@asynccontextmanager
async def users_locked(engine: AsyncEngine) -> AsyncIterator[None]:
    """Hold an exclusive lock on `users` so reads block: a task that hangs, for real."""
    async with engine.connect() as conn:
        await conn.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
        yield
        await conn.rollback()


async def wait_until_blocked(engine: AsyncEngine, application_name: str) -> None:
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE application_name = :name AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        async with engine.connect() as conn:
            if (await conn.execute(query, {"name": application_name})).scalar_one():
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the task never reached the database")


@pytest.fixture
async def rabbit_settings(celery_settings: Settings) -> AsyncIterator[Settings]:
    """celery_settings publishing to an exchange and queue of this test, deleted afterwards."""
    require_service("RabbitMQ", "127.0.0.1", 5672)
    tag = uuid.uuid4().hex[:10]
    changed = settings_with(
        celery_settings,
        default_exchanger=f"test.celery.{tag}.exchange",
        default_queue=f"test.celery.{tag}.queue",
        outbox_relay_interval_seconds=0.5,
    )
    yield changed
    await delete_rabbit_entities(changed)


async def queued_messages(settings: Settings) -> int:
    connection = await aio_pika.connect(settings.message_broker_url, timeout=5)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(settings.default_queue, passive=True)
        return int(queue.declaration_result.message_count or 0)


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 20) -> Any:
    """Poll an async check until it returns something truthy."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        if value := await check():
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"not reached within {timeout}s; last value: {value!r}")
