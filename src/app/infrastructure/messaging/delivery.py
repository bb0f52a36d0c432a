"""What the consumer decides about one delivery, and what the broker adapters then do with it.

The broker adapters (RabbitMQ, Kafka) know how to ack, delay and dead-letter; the dispatcher of
the consumer process knows what a message means. This module is the contract between them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

ERROR_HEADER, DETAIL_HEADER, ATTEMPTS_HEADER = "x-error", "x-error-detail", "x-attempts"
MAX_DETAIL = 1000  # header values stay small; the log keeps the full traceback


class DeadLetterReason(StrEnum):
    MALFORMED = "malformed"
    UNKNOWN_EVENT = "unknown-event"
    INVALID_DATA = "invalid-data"
    HANDLER_FAILED = "handler-failed"


@dataclass(frozen=True, slots=True)
class Ack:
    """Handled (or already handled before): remove it from the queue."""


@dataclass(frozen=True, slots=True)
class Retry:
    """Failed on this attempt: deliver it again after `delay` seconds."""

    delay: float


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Never going to succeed: park it in the dead-letter destination with the reason."""

    reason: DeadLetterReason
    detail: str


Outcome = Ack | Retry | DeadLetter

# Called with the body, the attempt number (1 for the first delivery) and the message's
# text headers (the trace context among them).
Processor = Callable[[bytes, int, Mapping[str, str]], Awaitable[Outcome]]


def dead_letter_headers(outcome: DeadLetter, attempts: int) -> dict[str, str]:
    return {
        ERROR_HEADER: outcome.reason.value,
        DETAIL_HEADER: outcome.detail[:MAX_DETAIL],
        ATTEMPTS_HEADER: str(attempts),
    }


def backoff(base_seconds: float, attempt: int, cap_seconds: float = 60.0) -> float:
    """Exponential delay before retry number `attempt` (1, 2, ...), capped."""
    return float(min(cap_seconds, base_seconds * 2 ** max(0, attempt - 1)))
