"""Loguru, configured once per process; stdlib, uvicorn and SQLAlchemy logs routed into it."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from loguru import logger

from app.config.settings import LaunchMode, Settings

if TYPE_CHECKING:
    from loguru import Record

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


_UNTRACED = {"trace_id": "-", "span_id": "-"}
_TRACE_FORMAT = "trace_id={extra[trace_id]} span_id={extra[span_id]} | "


def _span_ids() -> Callable[[Record], None]:
    """A patcher writing the current span's ids into each record (imported only when traced)."""
    from opentelemetry import trace

    def patch(record: Record) -> None:
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            record["extra"]["trace_id"] = trace.format_trace_id(span.trace_id)
            record["extra"]["span_id"] = trace.format_span_id(span.span_id)

    return patch


def _untraced(record: Record) -> None:
    pass


class _InterceptHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        level: str | int
        try:
            level = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.opt(depth=6, exception=record.exc_info).log(level, record.getMessage())


def configure_logging(settings: Settings, sink: TextIO | None = None) -> None:
    """Log to `sink` (standard error by default) in the format and level the settings ask for.

    With tracing enabled every record also carries the current span's `trace_id` and
    `span_id` ("-" outside any span), next to the request id."""
    local = settings.launch_mode is LaunchMode.LOCAL
    traced = settings.tracing_enabled
    logger.remove()
    if traced:
        logger.configure(extra=_UNTRACED | {"request_id": "-"}, patcher=_span_ids())
    else:  # loguru keeps a patcher once set: this one replaces an earlier configuration's
        logger.configure(extra={"request_id": "-"}, patcher=_untraced)
    logger.add(
        sink or sys.stderr,
        level=settings.log_level,
        serialize=settings.log_json,
        # Variables shown in tracebacks may hold passwords and tokens: only on a developer's box.
        diagnose=local,
        backtrace=local,
        format="<green>{time:YYYY-MM-DD HH:mm:ss.SSS}</green> | <level>{level: <8}</level> | "
        f"{{extra[request_id]}} | {_TRACE_FORMAT if traced else ''}"
        "<cyan>{name}</cyan> - <level>{message}</level>",
    )
    logging.basicConfig(handlers=[_InterceptHandler()], level=logging.INFO, force=True)
    for name in _ROUTED:
        routed = logging.getLogger(name)
        routed.handlers = []
        routed.propagate = True
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
