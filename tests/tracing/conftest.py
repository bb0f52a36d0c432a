"""Tracing fixtures: the environment of a traced process, and waiting for an HTTP process."""

from __future__ import annotations

import asyncio
import time

import httpx

# The messaging folder's brokers and containers, for the tests that publish.
from tests.messaging.conftest import (  # noqa: F401
    broker_container,
    broker_settings,
    rabbitmq,
    tansu,
)


def traced_env(endpoint: str, protocol: str = "http/protobuf") -> dict[str, str]:
    """What makes a process export its spans to `endpoint` within a tenth of a second."""
    return {
        "TRACING_ENABLED": "true",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }


async def wait_until_serving(
    url: str, process: asyncio.subprocess.Process, timeout: float = 60.0
) -> None:
    """Until `url`/livez answers; a process that exits instead fails at once."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while process.returncode is None:
            try:
                if (await http.get(f"{url}/livez", timeout=1)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:  # a loaded machine starts processes slowly
                raise AssertionError(f"{url} did not serve within {timeout}s")
            await asyncio.sleep(0.1)
    raise AssertionError(f"the process of {url} exited with {process.returncode}")
