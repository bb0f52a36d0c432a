"""The API under gunicorn or `app api --workers`, in a process of its own, for the metrics tests."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.config.settings import Settings
from tests.conftest import process_env
from tests.metrics.helpers import total

GUNICORN = Path(sys.executable).with_name("gunicorn")
CONFIG = Path(__file__).resolve().parents[2] / "src/app/interfaces/cli/gunicorn_config.py"
WORKERS = 2


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited during start-up"
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered {url} within {timeout}s")


def gunicorn(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = process_env(settings, API_PORT=str(port), WEB_CONCURRENCY=str(WORKERS))
    command = [str(GUNICORN), "-c", str(CONFIG), "app.interfaces.cli.main:app"]
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, cwd=log.parent, stdout=out, stderr=out)


def uvicorn_workers(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "app.interfaces.cli", "api", "--port", str(port)]
    with log.open("ab") as out:
        return subprocess.Popen(
            [*command, "--workers", str(WORKERS)], env=process_env(settings), stdout=out, stderr=out
        )


@dataclass
class ApiServer:
    url: str
    process: subprocess.Popen[bytes]

    def scrape(self) -> str:
        return httpx.get(f"{self.url}/metrics").text

    def pools(self) -> float:
        """The pool sizes the workers sampled, added up."""
        return total(self.scrape(), "app_db_pool_size_connections")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]


def until(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.2)
