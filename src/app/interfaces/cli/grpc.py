"""`app grpc`: the gRPC server in one process, stopped gracefully by SIGTERM."""

from __future__ import annotations

import asyncio
import sys

from loguru import logger

from app.config.settings import load_settings
from app.infrastructure.logging import configure_logging
from app.infrastructure.telemetry import traced_process


def run_grpc(port: int | None = None) -> int:
    from app.interfaces.grpc.server import serve

    settings = load_settings()
    configure_logging(settings)
    try:
        with traced_process(settings, "app-grpc"):
            asyncio.run(serve(settings, port))
    except RuntimeError as exc:  # gRPC's way of saying the address cannot be bound
        logger.error("grpc server failed: {}", exc)
        print(f"grpc server failed: {exc}", file=sys.stderr)
        return 1
    return 0
