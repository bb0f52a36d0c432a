"""`app relay`: the outbox relay alone, every OUTBOX_RELAY_INTERVAL_SECONDS until SIGTERM."""

from __future__ import annotations

import asyncio

from app.config.settings import Settings, load_settings
from app.container import build_container
from app.infrastructure.logging import configure_logging
from app.infrastructure.telemetry import traced_process
from app.interfaces.cli.consume import stop_on_signals
from app.interfaces.cli.process_metrics import process_metrics


def run_relay() -> int:
    settings = load_settings()
    configure_logging(settings)
    with traced_process(settings, "app-relay"):
        asyncio.run(_main(settings))
    return 0


async def _main(settings: Settings) -> None:
    container = build_container(settings)
    stop = stop_on_signals()
    try:
        async with process_metrics(container):
            await container.relay.run_forever(settings.outbox_relay_interval_seconds, stop)
    finally:
        await container.aclose()
