"""The real `app api` process, as the README starts it, over a real socket."""

import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import free_port, process_env


@pytest.fixture
def api_url(settings):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.interfaces.cli", "api", "--port", str(port)],
        env=process_env(settings, LOG_LEVEL="WARNING"),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/api/v1/debug/health/", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    yield url
    process.terminate()
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status shows the signal.
    assert process.wait(timeout=10) in (0, -15)


def test_the_api_process_serves_health_sign_up_and_openapi(api_url):
    health = httpx.get(f"{api_url}/api/v1/debug/health/")
    assert health.status_code == 200, health.text
    email = f"proc-{os.getpid()}-{time.time_ns()}@example.com"
    created = httpx.post(
        f"{api_url}/api/v1/auth/sign-up/", json={"email": email, "password": "password1"}
    )
    assert created.status_code == 201
    schema = httpx.get(f"{api_url}/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "/api/v1/users/me/" in schema["paths"]
