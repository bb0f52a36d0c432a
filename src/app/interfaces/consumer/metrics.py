"""The consumer's metrics: each delivery's outcome under its event, its duration, duplicates."""

from __future__ import annotations

import time

from app.infrastructure.messaging.delivery import Ack, DeadLetter, Outcome, Retry
from app.infrastructure.metrics import (
    CONSUMER_DEAD_LETTERED,
    CONSUMER_DURATION,
    CONSUMER_HANDLED,
    CONSUMER_RETRIED,
    INBOX_DUPLICATES,
)

# The event of a message that has none HANDLERS_MAP knows (malformed, unknown): a client's
# free text never becomes a label.
UNKNOWN_EVENT = "unknown"


def counted(event: str, outcome: Outcome, started: float) -> Outcome:
    """Count `outcome` under `event` (a HANDLERS_MAP key) and time it since `started`."""
    match outcome:
        case Ack():
            CONSUMER_HANDLED.labels(event).inc()
        case Retry():
            CONSUMER_RETRIED.labels(event).inc()
        case DeadLetter(reason=reason):
            CONSUMER_DEAD_LETTERED.labels(event, reason.value).inc()
    CONSUMER_DURATION.labels(event).observe(time.perf_counter() - started)
    return outcome


def skipped_duplicate(event: str) -> None:
    """The handler of `event` found the message id handled before."""
    INBOX_DUPLICATES.labels(event).inc()
