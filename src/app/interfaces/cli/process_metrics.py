"""METRICS_PORT: the metrics server of `app grpc`, `consume`, `relay`, `worker` and `beat`.

The API serves `/metrics` on its own port; the other processes serve no HTTP, so each starts
prometheus-client's small server on METRICS_HOST:METRICS_PORT (0, the default, turns it off:
several processes on one host would otherwise fight over one port; a pod has its own).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from loguru import logger
from prometheus_client import start_http_server

from app.config.settings import Settings
from app.container import Container
from app.infrastructure.metrics import sampling, scrape_registry


def serve_metrics(settings: Settings) -> Callable[[], None]:
    """Serve the metrics from a daemon thread (none when METRICS_PORT is 0); returns its stop.

    Exits the process, naming the variable, when the address cannot be bound.
    """
    if settings.metrics_port == 0:
        return _nothing
    host, port = settings.metrics_host, settings.metrics_port
    try:
        server, _ = start_http_server(port, host, registry=scrape_registry())
    except OSError as exc:
        raise SystemExit(f"METRICS_PORT: cannot serve metrics on {host}:{port}: {exc}") from None
    logger.info("metrics on http://{}:{}/metrics", host, port)

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return stop


@asynccontextmanager
async def process_metrics(container: Container) -> AsyncIterator[None]:
    """The metrics server and the pool samples of an asyncio process, while the block runs."""
    stop = serve_metrics(container.settings)
    try:
        async with sampling(container.engine, container.hasher):
            yield
    finally:
        stop()


def _nothing() -> None:
    return None
