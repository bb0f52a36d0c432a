"""Loguru, configured once per process; stdlib, uvicorn and SQLAlchemy logs routed into it."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from loguru import logger

from app.config.settings import LaunchMode, Settings

# Not uvicorn.access: `app api` turns uvicorn's access log off (the request-context middleware
# logs each request with its id), and propagating it would turn it back on.
_ROUTED = (
    "uvicorn",
    "uvicorn.error",
    "sqlalchemy",
    "alembic",
    "celery",
    "aio_pika",
    "aiokafka",
    "grpc",
)


class _InterceptHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        level: str | int
        try:
            level = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.opt(depth=6, exception=record.exc_info).log(level, record.getMessage())


def configure_logging(settings: Settings, sink: TextIO | None = None) -> None:
    """Log to `sink` (standard error by default) in the format and level the settings ask for."""
    local = settings.launch_mode is LaunchMode.LOCAL
    logger.remove()
    logger.configure(extra={"request_id": "-"})
    logger.add(
        sink or sys.stderr,
        level=settings.log_level,
        serialize=settings.log_json,
        # Variables shown in tracebacks may hold passwords and tokens: only on a developer's box.
        diagnose=local,
        backtrace=local,
        format="<green>{time:YYYY-MM-DD HH:mm:ss.SSS}</green> | <level>{level: <8}</level> | "
        "{extra[request_id]} | <cyan>{name}</cyan> - <level>{message}</level>",
    )
    logging.basicConfig(handlers=[_InterceptHandler()], level=logging.INFO, force=True)
    for name in _ROUTED:
        routed = logging.getLogger(name)
        routed.handlers = []
        routed.propagate = True
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
