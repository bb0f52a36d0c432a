"""The engine maps PostgreSQL outages to DependencyUnavailable, and nothing else."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from app.container import Container


async def test_a_cancelled_query_stays_cancelled_not_an_outage(container: Container):
    # Shutdown, a client gone or a probe's deadline cancel queries: read as an outage, the
    # cancellation would be lost and the task would end with a 503's error instead.
    async def slow_query() -> None:
        async with container.engine.connect() as conn:
            await conn.execute(text("SELECT pg_sleep(5)"))

    task = asyncio.create_task(slow_query())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
