"""REST limits per address: X-Forwarded-For counts only when a trusted proxy sends it."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from tests.api.helpers import PASSWORD, unique_email
from tests.conftest import client_on, free_port, process_env, settings_with

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
LIMIT = 2


def own_prefix(settings) -> str:
    """A Redis prefix of the test's own, so its attempts are counted apart from any other's."""
    return f"{settings.redis_key_prefix}{uuid.uuid4().hex[:8]}:"


@asynccontextmanager
async def client_of(settings, **changes) -> AsyncIterator[httpx.AsyncClient]:
    limited = settings_with(
        settings,
        redis_key_prefix=own_prefix(settings),
        sign_in_attempts_per_minute=LIMIT,
        sign_up_attempts_per_minute=LIMIT,
        **changes,
    )
    async with client_on(limited) as http:
        yield http


async def sign_in_from(http: httpx.AsyncClient, forwarded_for: str) -> int:
    body = {"email": unique_email(), "password": PASSWORD}
    headers = {"X-Forwarded-For": forwarded_for}
    return (await http.post("/auth/tokens/", json=body, headers=headers)).status_code


async def test_an_untrusted_peer_forging_x_forwarded_for_is_limited_by_its_own_address(settings):
    async with client_of(settings) as http:
        statuses = [await sign_in_from(http, f"198.51.100.{i}") for i in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429]


async def test_a_trusted_proxy_is_limited_per_forwarded_address(settings):
    async with client_of(settings, trusted_proxies=("127.0.0.0/8",)) as http:
        first = [await sign_in_from(http, "203.0.113.1, 198.51.100.1") for _ in range(LIMIT + 1)]
        other = await sign_in_from(http, "203.0.113.1, 198.51.100.2")
    assert first == [401] * LIMIT + [429]
    assert other == 401


async def test_sign_up_behind_a_trusted_proxy_is_limited_per_forwarded_address(settings):
    async with client_of(settings, trusted_proxies=("127.0.0.1",)) as http:

        async def sign_up_from(address: str) -> int:
            body = {"email": unique_email(), "password": PASSWORD}
            headers = {"X-Forwarded-For": address}
            return (await http.post("/auth/sign-up/", json=body, headers=headers)).status_code

        first = [await sign_up_from("198.51.100.1") for _ in range(LIMIT + 1)]
        other = await sign_up_from("198.51.100.2")
    assert first == [201] * LIMIT + [429]
    assert other == 201


@pytest.fixture(params=["uvicorn", "gunicorn"])
def served(request, settings, tmp_path) -> Iterator[str]:
    """`app api` or gunicorn with its config, on a free port, with no TRUSTED_PROXIES."""
    port = free_port()
    env = process_env(
        settings,
        API_HOST="127.0.0.1",
        API_PORT=str(port),
        WEB_CONCURRENCY="1",
        LOG_LEVEL="WARNING",
        REDIS_KEY_PREFIX=own_prefix(settings),
        SIGN_IN_ATTEMPTS_PER_MINUTE=str(LIMIT),
        TRUSTED_PROXIES="",
        FORWARDED_ALLOW_IPS="*",  # what uvicorn and gunicorn would trust of their own accord
    )
    config = ROOT / "src/app/interfaces/cli/gunicorn_config.py"
    command = {
        "uvicorn": [sys.executable, "-m", "app.interfaces.cli", "api"],
        "gunicorn": [str(GUNICORN), "-c", str(config), "app.interfaces.cli.main:app"],
    }[request.param]
    process = subprocess.Popen(command, cwd=tmp_path, env=env)
    url = f"http://127.0.0.1:{port}/api/v1"
    try:
        _wait_for(f"{url}/debug/health/", process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_for(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited during start-up"
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"no answer from {url} within 30 s")


@pytest.mark.slow
def test_the_served_app_ignores_x_forwarded_for_without_trusted_proxies(served):
    statuses = []
    for i in range(LIMIT + 1):
        body = {"email": unique_email(), "password": PASSWORD}
        headers = {"X-Forwarded-For": f"198.51.100.{i}"}
        statuses.append(
            httpx.post(f"{served}/auth/tokens/", json=body, headers=headers).status_code
        )
    assert statuses == [401] * LIMIT + [429]
