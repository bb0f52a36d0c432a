"""A real Prometheus (Debian's) scrapes the API under gunicorn and `app consume`'s METRICS_PORT.

It proves the exposition format and the names on the server that reads them: sign-ups and echo
messages driven over HTTP show up in its query API as requests, published outbox rows and
handled deliveries; it also loads the shipped alert rules.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import text

from app.config.celery import SEND_WELCOME
from app.config.settings import Settings
from app.container import Container
from tests.conftest import (
    TABLES,
    app_process,
    delete_rabbit_entities,
    free_port,
    require_service,
    settings_with,
)
from tests.metrics.servers import ApiServer, gunicorn, wait_for

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
ALERTS = Path(__file__).resolve().parents[2] / "deploy/prometheus/alerts.yml"
SIGN_UPS, ECHOES = 3, 4
PASSWORD = "long-password-1"


@pytest.fixture
async def named(settings: Settings, container: Container) -> AsyncIterator[Settings]:
    """The run's settings with queue names of this test, removed afterwards, and empty tables.

    Rows another process test left pending would be published too and change the counts.
    """
    require_service("RabbitMQ", "127.0.0.1", 5672)
    async with container.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    tag = uuid.uuid4().hex[:10]
    changed = settings_with(
        settings,
        default_exchanger=f"test.{tag}.exchange",
        default_queue=f"test.{tag}.queue",
        outbox_relay_interval_seconds=0.2,
    )
    yield changed
    await delete_rabbit_entities(changed)


class Prometheus:
    """Debian's prometheus on a free loopback port, scraping `targets` every second."""

    def __init__(self, directory: Path, targets: dict[str, int]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(ALERTS)],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
                for job, port in targets.items()
            ],
        }
        (directory / "prometheus.yml").write_text(yaml.safe_dump(config))
        self._command = [
            PROMETHEUS,
            f"--config.file={directory / 'prometheus.yml'}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
        ]
        self._log = directory / "prometheus.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(self._command, stdout=log, stderr=log)
        wait_for(f"{self.url}/-/ready", self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    async def value(self, query: str) -> float | None:
        """The query's single value now, None while it has no result."""
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"{self.url}/api/v1/query", params={"query": query})
        result = answer.json()["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    async def rules(self) -> list[dict]:
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"{self.url}/api/v1/rules")
        return [rule for group in answer.json()["data"]["groups"] for rule in group["rules"]]


@pytest.fixture
def api(named: Settings, tmp_path: Path) -> Iterator[ApiServer]:
    port = free_port()
    process = gunicorn(named, port, tmp_path / "api.log")
    server = ApiServer(f"http://127.0.0.1:{port}", process)
    try:
        wait_for(f"{server.url}/livez", process)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


async def _drive(api: ApiServer) -> None:
    async with httpx.AsyncClient(base_url=f"{api.url}/api/v1") as http:
        emails = [f"prom-{uuid.uuid4().hex[:10]}@example.com" for _ in range(SIGN_UPS)]
        for email in emails:
            signed_up = await http.post(
                "/auth/sign-up/", json={"email": email, "password": PASSWORD}
            )
            assert signed_up.status_code == 201, signed_up.text
        tokens = await http.post("/auth/tokens/", json={"email": emails[0], "password": PASSWORD})
        headers = {"authorization": f"Bearer {tokens.json()['access']}"}
        for n in range(ECHOES):
            sent = await http.post(
                "/debug/send-message/",
                json={"event": "debug.echo.v1", "data": {"key": f"prom-{n}"}},
                headers=headers,
            )
            assert sent.status_code == 202, sent.text


@pytest.mark.slow
async def test_a_real_prometheus_scrapes_the_api_and_the_consumer_and_sees_the_traffic(
    named, api, tmp_path
):
    metrics_port = free_port()
    consumer_settings = settings_with(named, metrics_port=metrics_port)
    prometheus = Prometheus(
        tmp_path, {"app-api": int(api.url.rsplit(":", 1)[1]), "app-consumer": metrics_port}
    )
    async with app_process(consumer_settings, "consume"):
        prometheus.start()
        try:
            await _drive(api)
            expected = {
                'sum(up{job=~"app-api|app-consumer"})': 2,
                'sum(app_http_requests_total{job="app-api", route="/api/v1/auth/sign-up/",'
                ' method="POST", status="2xx"})': SIGN_UPS,
                # one event per sign-up and echo, and the audit entry of the one sign-in
                'sum(app_outbox_published_total{job="app-consumer"})': SIGN_UPS + ECHOES + 1,
                'sum(app_consumer_messages_handled_total{event="users.registered.v1"})': SIGN_UPS,
                'sum(app_consumer_messages_handled_total{event="debug.echo.v1"})': ECHOES,
                f'sum(app_celery_tasks_total{{task="{SEND_WELCOME}", state="sent"}})': SIGN_UPS,
                'max(app_outbox_pending_rows{job="app-consumer"})': 0,
                'sum(app_db_pool_size_connections{job="app-api"})': 2
                * named.connections_pool_min_size,
            }
            for query, wanted in expected.items():
                await _eventually_equal(prometheus, query, wanted)
            rules = await prometheus.rules()
            assert {rule["name"] for rule in rules} == set(_alert_names())
            assert {rule["health"] for rule in rules} == {"ok"}
        finally:
            prometheus.stop()


async def _eventually_equal(prometheus: Prometheus, query: str, wanted: float) -> None:
    deadline = asyncio.get_running_loop().time() + 30
    found = None
    while asyncio.get_running_loop().time() < deadline:
        found = await prometheus.value(query)
        if found == wanted:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"{query} = {found}, not {wanted}")


def _alert_names() -> list[str]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule["alert"] for group in groups for rule in group["rules"]]
