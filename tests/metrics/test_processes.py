"""The processes serve their metrics: METRICS_PORT, and the API's workers added up in one scrape."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import func, select

from app.application.messages import SendMessage
from app.infrastructure.db.tables import OutboxRow
from app.interfaces.grpc import client
from tests.conftest import app_process, free_port, require_service, settings_with
from tests.grpc.conftest import PASSWORD, unique_email
from tests.grpc.test_process import wait_serving
from tests.metrics.helpers import samples, total
from tests.metrics.servers import WORKERS, ApiServer, gunicorn, until, uvicorn_workers, wait_for

REQUESTS = 12


@pytest.fixture(params=[gunicorn, uvicorn_workers], ids=["gunicorn", "app-api-workers"])
def api_server(request, settings, tmp_path) -> Iterator[ApiServer]:
    port = free_port()
    process = request.param(settings, port, tmp_path / "api.log")
    server = ApiServer(f"http://127.0.0.1:{port}", process)
    try:
        wait_for(f"{server.url}/livez", process)
        # Each worker samples its pool as it starts: the sum is every worker's once all run.
        until(lambda: server.pools() == WORKERS * settings.connections_pool_min_size)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.mark.slow
def test_every_scrape_of_a_multi_worker_api_reports_the_requests_of_all_its_workers(api_server):
    before = total(api_server.scrape(), "app_http_requests_total", route="/livez")
    for _ in range(REQUESTS):
        assert httpx.get(f"{api_server.url}/livez").status_code == 200
    # Whichever worker answers it, each scrape counts the requests of both.
    scrapes = [api_server.scrape() for _ in range(6)]
    counts = {total(scrape, "app_http_requests_total", route="/livez") for scrape in scrapes}
    assert counts == {before + REQUESTS}


@pytest.mark.slow
@pytest.mark.parametrize("api_server", [gunicorn], ids=["gunicorn"], indirect=True)
def test_a_killed_worker_leaves_the_live_sums_and_its_replacement_joins_them(api_server, settings):
    (victim, *_) = api_server.workers()
    os.kill(victim, signal.SIGKILL)
    until(lambda: victim not in api_server.workers() and len(api_server.workers()) == WORKERS)
    # gunicorn's child_exit forgets the dead worker; the new one adds its own pool.
    until(lambda: api_server.pools() == WORKERS * settings.connections_pool_min_size)
    time.sleep(1)  # a dead worker's gauges left behind would show by now
    assert api_server.pools() == WORKERS * settings.connections_pool_min_size


@pytest.mark.slow
async def test_app_grpc_serves_its_calls_on_metrics_port(settings, container):
    # `container` empties the tables afterwards: the sign-up left an outbox row.
    port, metrics = free_port(), free_port()
    configured = settings_with(settings, metrics_port=metrics)
    async with app_process(configured, "grpc", "--port", str(port)):
        await wait_serving(port)
        await client.run(f"127.0.0.1:{port}", unique_email(), PASSWORD)
        async with httpx.AsyncClient() as http:
            scrape = (await http.get(f"http://127.0.0.1:{metrics}/metrics")).text
    signed_up = total(scrape, "app_grpc_calls_total", method="/app.v1.AuthService/SignUp")
    assert signed_up == 1
    assert total(scrape, "app_db_pool_size_connections") == settings.connections_pool_min_size


async def test_app_relay_serves_the_rows_it_published_and_its_backlog_on_metrics_port(
    settings, container
):
    require_service("RabbitMQ", "127.0.0.1", 5672)
    port = free_port()
    configured = settings_with(settings, metrics_port=port, outbox_relay_interval_seconds=0.2)
    await container.messages.send(SendMessage(event="test.metrics.v1", data={}))
    async with app_process(configured, "relay") as process:
        scrape = await _scrape_until(f"http://127.0.0.1:{port}/metrics", process, _drained)
    assert total(scrape, "app_outbox_published_total") == 1
    async with container.sessions() as session:
        unpublished = select(func.count()).where(OutboxRow.published_at.is_(None))
        assert await session.scalar(unpublished) == 0


def _drained(scrape: str) -> bool:
    """The row published, and a later round's backlog gauges (absent ones are not zeros)."""
    found = samples(scrape)
    gauges = [
        found.get((name, frozenset()))
        for name in (
            "app_outbox_pending_rows",
            "app_outbox_oldest_pending_age_seconds",
            "app_outbox_parked_rows",
        )
    ]
    return total(scrape, "app_outbox_published_total") >= 1 and gauges == [0, 0, 0]


async def _scrape_until(
    url: str, process: asyncio.subprocess.Process, check: Callable[[str], bool]
) -> str:
    deadline, scrape = time.monotonic() + 20, ""
    async with httpx.AsyncClient() as http:
        while True:
            assert process.returncode is None, "the process exited"
            with contextlib.suppress(httpx.TransportError):
                if check(scrape := (await http.get(url, timeout=1)).text):
                    return scrape
            assert time.monotonic() < deadline, f"not reached in time; last scrape:\n{scrape}"
            await asyncio.sleep(0.2)


async def test_a_taken_metrics_port_stops_the_process_naming_the_variable(settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        configured = settings_with(settings, metrics_port=taken.getsockname()[1])
        async with app_process(configured, "relay", capture=True) as process:
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    assert b"METRICS_PORT: cannot serve metrics on 127.0.0.1:" in stderr


_REPORT = """
from app.infrastructure.metrics import OutboxBacklog, report_outbox_backlog
report_outbox_backlog(OutboxBacklog(pending=4, oldest_pending_at=None, parked=1), 60)
"""
_SCRAPE = """
from app.infrastructure.metrics import exposition
print(exposition(None)[0].decode())
"""


def test_a_prefork_child_s_outbox_backlog_reaches_the_process_serving_the_scrape(tmp_path):
    # In `app worker` the relay task runs in a child; the main process answers METRICS_PORT.
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", _REPORT], env=env, check=True)
    scrape = subprocess.run(
        [sys.executable, "-c", _SCRAPE], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert total(scrape, "app_outbox_pending_rows") == 4
    assert total(scrape, "app_outbox_parked_rows") == 1
