"""`gunicorn -c src/app/interfaces/cli/gunicorn_config.py app.interfaces.cli.main:app` (SPEC 1)."""

import importlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.infrastructure.capacity import available_cpus
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


def test_the_config_stops_with_the_variable_named_when_a_setting_is_invalid(monkeypatch, capsys):
    monkeypatch.setenv("LAUNCH_MODE", "TEST")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("API_PORT", "not-a-port")
    with pytest.raises(SystemExit) as stopped:
        load_config(monkeypatch)
    assert stopped.value.code == 2  # as the `app` command exits on a configuration error
    error = capsys.readouterr().err
    assert error.startswith("configuration error: ")
    assert "API_PORT" in error


def test_without_web_concurrency_the_workers_are_the_cpus_the_container_may_use(monkeypatch):
    monkeypatch.setenv("LAUNCH_MODE", "TEST")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert load_config(monkeypatch)["workers"] == available_cpus()


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_a_web_concurrency_that_is_not_a_positive_number_stops_the_start(
    monkeypatch, capsys, value
):
    monkeypatch.setenv("LAUNCH_MODE", "TEST")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("WEB_CONCURRENCY", value)
    with pytest.raises(SystemExit) as stopped:
        load_config(monkeypatch)
    assert stopped.value.code == 2
    assert f"WEB_CONCURRENCY: {value!r}" in capsys.readouterr().err


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
    budget = "1 process x (CONNECTIONS_POOL_MIN_SIZE {} + CONNECTIONS_POOL_MAX_OVERFLOW {}) = {} "
    pool, overflow = settings.connections_pool_min_size, settings.connections_pool_max_overflow
    expected = budget.format(pool, overflow, pool + overflow)
    assert f"connection budget of this pod: {expected}connections (no limit)" in output
    assert f"connection budget of this process: {expected}" in output  # the worker's own pool


@pytest.mark.parametrize(
    ("workers_from", "extra_args"),
    [({"WEB_CONCURRENCY": "3"}, []), ({}, ["--workers", "3"])],
    ids=["WEB_CONCURRENCY", "command-line"],
)
def test_gunicorn_refuses_before_forking_more_workers_than_the_pod_may_connect(
    settings, tmp_path, workers_from, extra_args
):
    env = process_env(
        settings,
        API_HOST="127.0.0.1",
        API_PORT=str(free_port()),
        CONNECTIONS_POOL_MIN_SIZE="5",
        CONNECTIONS_POOL_MAX_OVERFLOW="5",
        DB_MAX_CONNECTIONS_PER_POD="20",
    )
    env.pop("WEB_CONCURRENCY", None)
    env |= workers_from
    command = [str(GUNICORN), "-c", str(CONFIG), *extra_args, "app.interfaces.cli.main:app"]
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2, done.stderr
    assert (
        "configuration error: DB_MAX_CONNECTIONS_PER_POD: WEB_CONCURRENCY 3 x "
        "(CONNECTIONS_POOL_MIN_SIZE 5 + CONNECTIONS_POOL_MAX_OVERFLOW 5) = 30 connections "
        "exceeds it (20)"
    ) in done.stderr
    assert "Booting worker" not in done.stderr
