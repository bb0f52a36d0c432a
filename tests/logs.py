"""The log as a process writes it (configure_logging), read back by request id."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from loguru import logger

from app.config.settings import Settings
from app.infrastructure.logging import configure_logging
from tests.conftest import settings_with


class ProcessLog:
    def __init__(self, *, json_lines: bool) -> None:
        self.json_lines, self.buffer = json_lines, io.StringIO()

    @property
    def text(self) -> str:
        return self.buffer.getvalue()

    def messages(self, request_id: str) -> list[str]:
        """The messages of the records bound to this request id, in order."""
        if self.json_lines:
            records = [json.loads(line)["record"] for line in self.text.splitlines()]
            return [r["message"] for r in records if r["extra"]["request_id"] == request_id]
        marker = f" | {request_id} | "
        return [line.split(" - ", 1)[1] for line in self.text.splitlines() if marker in line]


@contextmanager
def process_log(
    settings: Settings, *, json_lines: bool, level: str = "DEBUG"
) -> Iterator[ProcessLog]:
    """Loguru configured as in a process, text or JSON lines, into a buffer; reset afterwards."""
    log = ProcessLog(json_lines=json_lines)
    configure_logging(settings_with(settings, log_json=json_lines, log_level=level), log.buffer)
    try:
        yield log
    finally:
        logger.remove()
        logger.add(sys.stderr, level="DEBUG")
