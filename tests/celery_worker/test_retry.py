"""A task whose database is unreachable is retried with backoff and then succeeds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from app.config.celery import READ_PROFILE
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
