"""A task whose database is unreachable is retried with backoff and then succeeds, however long
the outage lasts: the delay between retries is capped, their number is not."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from app.config.celery import READ_PROFILE, SEND_WELCOME
from app.infrastructure.db.tables import NotificationRow
from tests.celery_helpers import embedded_worker_beside_loop
from tests.celery_worker.conftest import register_user, result_of
from tests.celery_worker.gate import TcpGate
from tests.conftest import settings_with


@pytest.fixture
async def gate(celery_settings) -> AsyncIterator[TcpGate]:
    gate = TcpGate(celery_settings.db_port)
    yield gate
    await gate.close()


async def wait_for_state(result, state: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while result.state != state:
        assert time.monotonic() < deadline, f"task stayed {result.state}, never {state}"
        await asyncio.sleep(0.05)


async def test_a_task_whose_database_is_down_is_retried_and_then_succeeds(
    container, celery_settings, gate
):
    user = await register_user(container)
    unreachable = settings_with(celery_settings, db_port=gate.port)

    async with embedded_worker_beside_loop(unreachable) as worker:
        result = worker.send_task(READ_PROFILE, args=[str(user.uuid)])
        await wait_for_state(result, "RETRY")
        await gate.open()
        profile = await result_of(result, timeout=30)

    assert profile["email"] == user.email
    assert result.retries >= 1


# Each retry waits at most half the visibility timeout: 3 s here. The old policy gave up after
# five retries, at most 1 + 2 + 3 + 3 + 3 = 12 s; this outage lasts well beyond that.
SHORT_VISIBILITY = 6.0
OUTAGE_SECONDS = 20.0
OLD_RETRY_BUDGET = 5


@pytest.mark.slow
async def test_an_event_task_outlives_a_database_outage_longer_than_the_old_retry_budget(
    container, celery_settings, gate
):
    user = await register_user(container)
    unreachable = settings_with(
        celery_settings, db_port=gate.port, celery_visibility_timeout=SHORT_VISIBILITY
    )
    data = {"user_uuid": str(user.uuid), "email": user.email}

    async with embedded_worker_beside_loop(unreachable) as worker:
        result = worker.send_task(SEND_WELCOME, args=[data, str(uuid.uuid4())])
        await wait_for_state(result, "RETRY")
        await asyncio.sleep(OUTAGE_SECONDS)
        assert result.state == "RETRY", "the task gave up while the database was down"
        await gate.open()
        assert await result_of(result, timeout=30) is True

    assert result.retries > OLD_RETRY_BUDGET
    async with container.sessions() as session:
        count = select(func.count()).select_from(NotificationRow)
        assert await session.scalar(count) == 1
