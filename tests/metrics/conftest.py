"""Fixtures of the metrics tests: the log with each record's level."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from loguru import logger


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Every loguru record of the test as `LEVEL message`."""
    buffer = io.StringIO()
    sink = logger.add(buffer, level="DEBUG", format="{level} {message}", diagnose=False)
    yield buffer
    logger.remove(sink)
