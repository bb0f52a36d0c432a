import io

import pytest
from loguru import logger


class LogCapture:
    def __init__(self) -> None:
        self.buffer = io.StringIO()

    @property
    def text(self) -> str:
        return self.buffer.getvalue()


@pytest.fixture
def caplog_loguru():
    """Everything loguru writes during the test, in the format the processes use."""
    capture = LogCapture()
    sink = logger.add(
        capture.buffer,
        level="DEBUG",
        format="{message} | {extra} | {exception}",
        diagnose=False,
        backtrace=False,
    )
    yield capture
    logger.remove(sink)
