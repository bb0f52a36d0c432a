"""`gunicorn -c src/app/interfaces/cli/gunicorn_config.py app.interfaces.cli.main:app` (SPEC 1)."""

import importlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, process_env

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "src/app/interfaces/cli/gunicorn_config.py"
GUNICORN = Path(sys.executable).with_name("gunicorn")
MODULE = "app.interfaces.cli.gunicorn_config"


def load_config(monkeypatch) -> dict:
    """Execute the config afresh, as gunicorn does at each start, with the patched environment."""
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    return vars(importlib.import_module(MODULE))


def test_the_config_reads_the_bind_address_and_workers_from_the_environment(monkeypatch):
    monkeypatch.setenv("LAUNCH_MODE", "TEST")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("API_HOST", "127.0.0.1")
    monkeypatch.setenv("API_PORT", "9123")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    config = load_config(monkeypatch)
    assert config["bind"] == ["127.0.0.1:9123"]
    assert config["workers"] == 3
    assert config["worker_class"] == "uvicorn_worker.UvicornWorker"
    assert config["preload_app"] is False


def test_the_config_stops_with_the_variable_named_when_a_setting_is_invalid(monkeypatch):
    monkeypatch.setenv("LAUNCH_MODE", "TEST")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("API_PORT", "not-a-port")
    with pytest.raises(SystemExit, match="API_PORT"):
        load_config(monkeypatch)


def _wait_for_health(url: str, process: subprocess.Popen) -> httpx.Response:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited during start-up"
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer {url} within 20 s")


def test_gunicorn_serves_health_with_uvicorn_workers_and_stops_cleanly(settings, tmp_path):
    port = free_port()
    env = process_env(settings, API_HOST="127.0.0.1", API_PORT=str(port), WEB_CONCURRENCY="1")
    log = (tmp_path / "gunicorn.log").open("w+")
    command = [str(GUNICORN), "-c", str(CONFIG), "app.interfaces.cli.main:app"]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log)
    try:
        health = _wait_for_health(f"http://127.0.0.1:{port}/api/v1/debug/health/", process)
        assert health.status_code == 200, health.text
        assert health.json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
    log.seek(0)
    output = log.read()
    assert code == 0, output
    assert "uvicorn_worker.UvicornWorker" in output or "Booting worker" in output
    assert "Shutting down: Master" in output
