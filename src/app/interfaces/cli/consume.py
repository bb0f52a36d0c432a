"""`app consume`: the consumer process (with an outbox relay loop), stopped by SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import signal
import sys

from loguru import logger

from app.config.settings import Settings, load_settings
from app.container import build_container
from app.infrastructure.logging import configure_logging
from app.infrastructure.telemetry import traced_process
from app.interfaces.cli.celery_app import CeleryTaskSender, celery_app
from app.interfaces.cli.process_metrics import process_metrics
from app.interfaces.consumer.dispatch import ConfigurationError
from app.interfaces.consumer.runner import consume


def run_consume(with_relay: bool = True) -> int:
    settings = load_settings()
    configure_logging(settings)
    try:
        with traced_process(settings, "app-consumer"):
            asyncio.run(_main(settings, with_relay))
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


async def _main(settings: Settings, with_relay: bool) -> None:
    container = build_container(settings)
    stop = stop_on_signals()
    try:
        sender = CeleryTaskSender(celery_app)
        async with process_metrics(container):
            await consume(container, stop, task_sender=sender, with_relay=with_relay)
    finally:
        await container.aclose()
    logger.info("consumer exited")


def stop_on_signals() -> asyncio.Event:
    """An event set by the first SIGTERM or SIGINT (the process then drains and exits 0)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
