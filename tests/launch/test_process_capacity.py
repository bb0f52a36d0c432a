"""`app api` and `app worker`: a process per CPU of the container, within the pod's budget."""

from __future__ import annotations

import asyncio

import httpx

from app.infrastructure.capacity import available_cpus
from tests.conftest import app_process, free_port


async def test_by_default_app_api_runs_a_worker_per_cpu_and_logs_their_connection_budget(
    settings,
):
    port = free_port()
    async with app_process(settings, "api", "--port", str(port), capture=True) as process:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(200):
                assert process.returncode is None, "app api exited during start-up"
                try:
                    await http.get("/livez")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        process.terminate()
        _, errors = await process.communicate()
    cpus = available_cpus()
    pool, overflow = settings.connections_pool_min_size, settings.connections_pool_max_overflow
    processes = "1 process" if cpus == 1 else f"{cpus} processes"
    assert (
        f"connection budget of this pod: {processes} x (CONNECTIONS_POOL_MIN_SIZE {pool} + "
        f"CONNECTIONS_POOL_MAX_OVERFLOW {overflow}) = {cpus * (pool + overflow)} connections"
    ) in errors.decode()


SMALL_BUDGET = {
    "CONNECTIONS_POOL_MIN_SIZE": "5",
    "CONNECTIONS_POOL_MAX_OVERFLOW": "5",
    "DB_MAX_CONNECTIONS_PER_POD": "20",
}


async def _refusal(settings, *args: str) -> str:
    """What the process says on standard error when it refuses to start (exit status 2)."""
    async with app_process(settings, *args, capture=True, **SMALL_BUDGET) as process:
        _, errors = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2, errors.decode()
    return errors.decode()


async def test_app_api_refuses_more_workers_than_the_pod_may_connect(settings):
    assert (await _refusal(settings, "api", "--workers", "3")).startswith(
        "configuration error: DB_MAX_CONNECTIONS_PER_POD: --workers 3 x "
        "(CONNECTIONS_POOL_MIN_SIZE 5 + CONNECTIONS_POOL_MAX_OVERFLOW 5) = 30 connections "
        "exceeds it (20); lower --workers, CONNECTIONS_POOL_MIN_SIZE or "
        "CONNECTIONS_POOL_MAX_OVERFLOW, or raise the limit"
    )


async def test_app_worker_refuses_more_processes_than_the_pod_may_connect(settings):
    assert (await _refusal(settings, "worker", "--concurrency", "3")).startswith(
        "configuration error: DB_MAX_CONNECTIONS_PER_POD: --concurrency 3 x "
        "(CONNECTIONS_POOL_MIN_SIZE 5 + CONNECTIONS_POOL_MAX_OVERFLOW 5) = 30 connections"
    )
