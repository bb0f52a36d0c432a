"""Pool metrics: database connections in use and kept, password hashes waiting for a thread."""

from __future__ import annotations

import asyncio

from app.infrastructure.metrics import sample_pools
from app.infrastructure.security import BcryptHasher
from tests.metrics.helpers import value


async def test_the_sample_reads_the_pool_s_connections_in_use_and_its_size(container):
    async with container.engine.connect() as held:
        await held.exec_driver_sql("SELECT 1")
        sample_pools(container.engine, container.hasher)
        in_use = value("app_db_pool_checked_out_connections")
    sample_pools(container.engine, container.hasher)
    assert in_use == value("app_db_pool_checked_out_connections") + 1
    assert value("app_db_pool_size_connections") == container.settings.connections_pool_min_size


async def test_the_sample_counts_the_hashes_queued_behind_the_hashing_threads(container):
    hasher = BcryptHasher(rounds=10, threads=1, queue_limit=8)
    try:
        hashing = [asyncio.create_task(hasher.hash(f"password-{n}")) for n in range(4)]
        await asyncio.sleep(0)  # every call admitted: one running, three waiting
        sample_pools(container.engine, hasher)
        assert value("app_password_hash_queue_length") == 3
        await asyncio.gather(*hashing)
        sample_pools(container.engine, hasher)
        assert value("app_password_hash_queue_length") == 0
    finally:
        hasher.close()
