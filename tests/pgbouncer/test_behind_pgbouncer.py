"""The service behind PgBouncer in transaction pooling mode (DB_PGBOUNCER=true), as processes.

Two API workers, a consumer with its relay and a Celery worker all reach PostgreSQL through one
PgBouncer whose server pool is smaller than any client pool: each transaction may run on any
server connection, so a statement prepared in one and used in another would fail.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from alembic import command
from sqlalchemy import func, select

from app.config.settings import Settings
from app.container import Container
from app.infrastructure.db.tables import NotificationRow, OutboxRow
from app.interfaces.cli.migrate import alembic_config
from tests.api.helpers import PASSWORD, bearer, unique_email
from tests.celery_helpers import own_redis_prefix
from tests.conftest import (
    _admin,
    app_process,
    delete_rabbit_entities,
    free_port,
    process_env,
    settings_with,
)
from tests.messaging.conftest import eventually
from tests.pgbouncer.conftest import PgBouncer

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pgbouncer")]

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
USERS = 20
CONCURRENT_READS = 100


def through(bouncer: PgBouncer, settings: Settings, **changes: Any) -> Settings:
    """`settings` with PostgreSQL reached through `bouncer` in PgBouncer mode."""
    return settings_with(settings, db_port=bouncer.port, db_pgbouncer=True, **changes)


@asynccontextmanager
async def api_workers(settings: Settings, workers: int = 2) -> AsyncIterator[httpx.AsyncClient]:
    """`app api --workers N` on these settings, and a client with room for every request."""
    port = free_port()
    command = ("api", "--port", str(port), "--workers", str(workers))
    async with app_process(settings, *command, LOG_LEVEL="WARNING") as process:
        limits = httpx.Limits(max_connections=CONCURRENT_READS)
        url = f"http://127.0.0.1:{port}/api/v1"
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
            await _answering(http, process)
            yield http
        process.terminate()
        await process.wait()


async def _answering(http: httpx.AsyncClient, process: asyncio.subprocess.Process) -> None:
    for _ in range(200):
        assert process.returncode is None, "app api exited during start-up"
        try:
            if (await http.get("/debug/health/")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("app api did not answer within 20 s")


async def statuses(requests: Iterable[Awaitable[httpx.Response]]) -> Counter[int | str]:
    """How many requests ended with each status (or, failing outright, each error)."""
    results = await asyncio.gather(*requests, return_exceptions=True)
    return Counter(r.status_code if isinstance(r, httpx.Response) else repr(r) for r in results)


@pytest.fixture(scope="module")
async def api(pgbouncer: PgBouncer, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with api_workers(through(pgbouncer, settings)) as http:
        yield http


async def signed_up(api: httpx.AsyncClient, count: int) -> list[str]:
    """`count` new accounts, signed up at once; their access tokens."""
    emails = [unique_email("bouncer") for _ in range(count)]
    body = {"password": PASSWORD}
    created = await statuses(api.post("/auth/sign-up/", json={"email": e, **body}) for e in emails)
    assert created == {201: count}
    signed_in = await asyncio.gather(
        *(api.post("/auth/tokens/", json={"email": e, **body}) for e in emails)
    )
    assert Counter(r.status_code for r in signed_in) == {200: count}
    return [r.json()["access"] for r in signed_in]


async def test_two_api_workers_serve_sign_up_sign_in_profile_and_patch_under_load(api, container):
    tokens = await signed_up(api, USERS)
    reads = (
        api.get("/users/me/", headers=bearer(tokens[i % USERS])) for i in range(CONCURRENT_READS)
    )
    assert await statuses(reads) == {200: CONCURRENT_READS}
    cities = {token: f"city-{uuid.uuid4().hex[:6]}" for token in tokens}
    patches = (
        api.patch("/users/me/", json={"city": city}, headers=bearer(token))
        for token, city in cities.items()
    )
    assert await statuses(patches) == {200: USERS}
    for token, city in cities.items():
        assert (await api.get("/users/me/", headers=bearer(token))).json()["city"] == city


@pytest.fixture
async def fleet_settings(pgbouncer: PgBouncer, settings: Settings) -> AsyncIterator[Settings]:
    """Through PgBouncer, with broker names and a Redis prefix (Celery's queues) of this test."""
    tag = uuid.uuid4().hex[:10]
    with own_redis_prefix(settings, tag) as named:
        changed = through(
            pgbouncer,
            named,
            default_exchanger=f"test.{tag}.exchange",
            default_queue=f"test.{tag}.queue",
            outbox_relay_interval_seconds=0.2,
        )
        yield changed
        await delete_rabbit_entities(changed)


async def test_relays_consumers_and_a_celery_worker_deliver_every_event_through_pgbouncer(
    api, fleet_settings, container: Container
):
    tokens = await signed_up(api, USERS)  # a users.registered.v1 outbox row each
    keys = [f"bouncer-{uuid.uuid4().hex[:8]}" for _ in range(USERS)]
    sent = (
        api.post(
            "/debug/send-message/",
            json={"event": "debug.echo.v1", "data": {"key": key}},
            headers=bearer(token),
        )
        for key, token in zip(keys, tokens, strict=True)
    )
    assert await statuses(sent) == {202: USERS}
    # Two consumers, so two relays; the worker writes the welcome notes. All through PgBouncer.
    commands = [("consume",), ("consume",), ("worker", "-P", "solo")]
    async with AsyncExitStack() as running:
        for args in commands:
            await running.enter_async_context(app_process(fleet_settings, *args))
        await eventually(lambda: _delivered(container, fleet_settings, keys), timeout=60)
    async with container.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(NotificationRow)) == USERS


async def _delivered(container: Container, settings: Settings, keys: list[str]) -> bool:
    async with container.sessions() as session:
        pending = select(func.count()).where(OutboxRow.published_at.is_(None))
        notes = select(func.count()).select_from(NotificationRow)
        if await session.scalar(pending) or await session.scalar(notes) < len(keys):
            return False
    async with redis.Redis.from_url(settings.redis_url) as client:
        counts = await client.mget([f"{settings.redis_key_prefix}debug:echo:{k}" for k in keys])
    return counts == [b"1"] * len(keys)


async def test_app_migrate_and_alembic_check_run_through_pgbouncer_again_and_at_once(
    pgbouncer, settings
):
    """As a release does: the Job migrates, and every new pod's init container checks at once.

    Each run must leave no named statement behind on PgBouncer's server connections: the next
    run's first statement would otherwise meet one of the same name there.
    """
    fresh = settings_with(settings, db_name=f"bouncer_{uuid.uuid4().hex[:12]}")
    await _admin(settings, f'CREATE DATABASE "{fresh.db_name}"')
    bouncy = through(pgbouncer, fresh)
    try:
        assert await _exit_statuses(bouncy, [["app", "migrate"]]) == [0]
        again = [["app", "migrate"]] * 3 + [["alembic", "check"]] * 3
        assert await _exit_statuses(bouncy, again) == [0] * len(again)
        # Checked directly against PostgreSQL too: raises while a migration is missing.
        await asyncio.to_thread(command.check, alembic_config(fresh.database_url))
    finally:
        await _admin(settings, f'DROP DATABASE IF EXISTS "{fresh.db_name}" WITH (FORCE)')


async def _exit_statuses(settings: Settings, commands: list[list[str]]) -> list[int | str]:
    """Run the image's commands at once (from the repository root, as the image does)."""

    async def run(program: str, *args: str) -> int | str:
        process = await asyncio.create_subprocess_exec(
            str(VENV_BIN / program),
            *args,
            cwd=ROOT,
            env=process_env(settings),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, errors = await process.communicate()
        return process.returncode if process.returncode == 0 else errors.decode()[-500:]

    return list(await asyncio.gather(*(run(*command) for command in commands)))
