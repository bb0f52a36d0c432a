"""`app relay`: the outbox relay alone, every OUTBOX_RELAY_INTERVAL_SECONDS until SIGTERM."""

from __future__ import annotations

import asyncio

from app.config.settings import Settings, load_settings
from app.container import build_container
from app.infrastructure.logging import configure_logging
from app.interfaces.cli.consume import stop_on_signals


def run_relay() -> int:
    settings = load_settings()
    configure_logging(settings)
    asyncio.run(_main(settings))
    return 0


async def _main(settings: Settings) -> None:
    container = build_container(settings)
    stop = stop_on_signals()
    try:
        await container.relay.run_forever(settings.outbox_relay_interval_seconds, stop)
    finally:
        await container.aclose()
