"""Shared fixtures: a fresh PostgreSQL database per run (and per xdist worker), the real Redis.

The suite never skips for a missing service: it stops and says how to start it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import fields, replace

import aio_pika
import asyncpg
import httpx
import pytest
import redis
from alembic import command
from sqlalchemy import text

from app.config.settings import Settings, load_settings
from app.container import Container, build_container
from app.infrastructure.messaging.rabbitmq import RabbitNames, delete_topology
from app.interfaces.api.app import create_app
from app.interfaces.cli.migrate import alembic_config
from tests.smtp import SmtpServer, running_smtp_server

TEST_ENV = {
    "LAUNCH_MODE": "TEST",
    "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    "PROJECT_NAME": "app-test",
    "PASSWORD_HASH_ROUNDS": "4",  # bcrypt's minimum: the suite checks behaviour, not cost
    "LOG_LEVEL": "DEBUG",
    "KAFKA_ENABLE_IDEMPOTENCE": "false",
    # The tests read back a topic's partition 0; the fleet tests choose their own count.
    "KAFKA_TOPIC_PARTITIONS": "1",
    "CONNECTIONS_POOL_MIN_SIZE": "5",
    # Every test client comes from 127.0.0.1: the limit has its own test with a low value.
    "SIGN_IN_ATTEMPTS_PER_MINUTE": "100000",
    "SIGN_UP_ATTEMPTS_PER_MINUTE": "100000",
}
_HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
    "RabbitMQ": "rabbitmq-server -detached",
}
TABLES = ("users", "outbox", "inbox", "notifications", "password_resets", "audit_log")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that makes a child process load exactly these settings."""
    env = dict(os.environ)
    for field in fields(settings):
        value = getattr(settings, field.name)
        env[field.name.upper()] = ",".join(value) if isinstance(value, tuple) else str(value)
    return env | extra


@asynccontextmanager
async def app_process(
    settings: Settings, *args: str, capture: bool = False, stdin: bool = False, **env: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m app.interfaces.cli ARGS` on these settings; killed if still running at exit.

    `capture` pipes its stdout and stderr (read them with `process.communicate()`), `stdin`
    its standard input (`process.communicate(input)` writes it)."""
    pipe = asyncio.subprocess.PIPE if capture else None
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.interfaces.cli",
        *args,
        env=process_env(settings, **env),
        stdin=asyncio.subprocess.PIPE if stdin else None,
        stdout=pipe,
        stderr=pipe,
        # A group of its own: a multi-worker `app api` or a prefork worker has children that
        # outlive a killed parent, and the group is how they are killed with it.
        start_new_session=True,
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):  # a failed check must leave nothing behind
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()


def require_service(name: str, host: str, port: int) -> None:
    """Stop the run with a clear message when a service does not answer."""
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        pytest.exit(
            f"{name} is not reachable on {host}:{port}. Start it "
            f"(e.g. `{_HOW_TO_START.get(name, '')}`) or run `bash local_prepare.sh`.",
            returncode=3,
        )


@pytest.fixture(scope="session")
def base_settings(worker_id: str) -> Iterator[Settings]:
    run = f"{uuid.uuid4().hex[:8]}_{worker_id}"
    with pytest.MonkeyPatch.context() as patch:
        for key, value in TEST_ENV.items():
            patch.setenv(key, os.environ.get(f"TEST_{key}", value))
        patch.setenv("DB_NAME", f"app_test_{run}")
        patch.setenv("REDIS_KEY_PREFIX", f"test:{run}:")
        # Broker names of this run only: nothing shared with a local service or another run.
        patch.setenv("DEFAULT_EXCHANGER", f"test.{run}.exchange")
        patch.setenv("DEFAULT_QUEUE", f"test.{run}.queue")
        patch.setenv("DEFAULT_TOPIC", f"test.{run}.topic")
        patch.setenv("CONSUMER_GROUP", f"test.{run}.group")
        settings = load_settings()
        require_service("PostgreSQL", settings.db_host, settings.db_port)
        require_service("Redis", "127.0.0.1", 6379)
        yield settings


async def _admin(settings: Settings, sql: str) -> None:
    conn = await asyncpg.connect(
        host=settings.db_host,
        port=settings.db_port,
        user=settings.db_user,
        password=settings.db_password or None,
        database="postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def delete_rabbit_entities(settings: Settings) -> None:
    """Remove the exchanges and queues a test's settings name (they are unique per test)."""
    names = RabbitNames(settings.default_exchanger, settings.default_queue)
    connection = await aio_pika.connect(settings.message_broker_url, timeout=5)
    async with connection:
        await delete_topology(await connection.channel(), names)


def delete_redis_keys(settings: Settings) -> None:
    """Remove every key under the settings' prefix, in the service's and Celery's databases."""
    for url in {settings.redis_url, settings.celery_broker_url, settings.celery_result_backend}:
        with redis.Redis.from_url(url) as client:
            keys = list(client.scan_iter(match=f"{settings.redis_key_prefix}*", count=500))
            if keys:
                client.delete(*keys)


@pytest.fixture(scope="session")
def settings(base_settings: Settings) -> Iterator[Settings]:
    """Settings of a database made for this run and migrated to head; dropped at the end."""
    asyncio.run(_admin(base_settings, f'CREATE DATABASE "{base_settings.db_name}"'))
    command.upgrade(alembic_config(base_settings.database_url), "head")
    yield base_settings
    asyncio.run(
        _admin(base_settings, f'DROP DATABASE IF EXISTS "{base_settings.db_name}" WITH (FORCE)')
    )
    delete_redis_keys(base_settings)
    asyncio.run(delete_rabbit_entities(base_settings))


@pytest.fixture(scope="session")
async def session_container(settings: Settings) -> AsyncIterator[Container]:
    container = build_container(settings)
    yield container
    await container.aclose()


@pytest.fixture
async def container(session_container: Container) -> AsyncIterator[Container]:
    """The real container over the run's database, empty before and after each test.

    Before too: a test that builds a container of its own on the run's settings leaves its rows
    behind, and a test that counts or lists rows must not see them.
    """
    await _empty(session_container)
    yield session_container
    await _empty(session_container)


async def _empty(container: Container) -> None:
    async with container.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))


@asynccontextmanager
async def asgi_client(
    container: Container, base_url: str = "http://test/api/v1"
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the real app over `container`, in process."""
    transport = httpx.ASGITransport(app=create_app(container), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
        yield http


@asynccontextmanager
async def client_on(
    settings: Settings, base_url: str = "http://test/api/v1"
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app over a container of its own built on `settings`, closed at exit."""
    container = build_container(settings)
    try:
        async with asgi_client(container, base_url) as http:
            yield http
    finally:
        await container.aclose()


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP client for the real app wired to the real container."""
    async with asgi_client(container) as http:
        yield http


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A local SMTP server on 127.0.0.1 that keeps what it receives (tests/smtp.py)."""
    with running_smtp_server(free_port()) as server:
        yield server


def settings_with(settings: Settings, **changes: object) -> Settings:
    """The run's settings with some values changed (a closed port, a lower limit, ...)."""
    return replace(settings, **changes)  # type: ignore[arg-type]
