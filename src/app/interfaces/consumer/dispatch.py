"""The dispatcher: envelope in, HANDLERS_MAP lookup, outcome out (SPEC §3's consumer column)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

from loguru import logger
from pydantic import ValidationError as PydanticValidationError

from app.application.context import correlation_id
from app.container import Container
from app.domain.shared import (
    AlreadyExistsError,
    AuthenticationError,
    AuthorizationError,
    NotFoundError,
    ValidationError,
)
from app.domain.storable import storable_json
from app.infrastructure.errors import UNAVAILABLE_ERRORS
from app.infrastructure.messaging.delivery import (
    Ack,
    DeadLetter,
    DeadLetterReason,
    Outcome,
    Retry,
    backoff,
)
from app.infrastructure.messaging.envelope import Envelope, MalformedMessage, parse
from app.infrastructure.telemetry import handling
from app.infrastructure.validation import domain_error
from app.interfaces.consumer.handlers import CeleryRoute, Handler, Message
from app.interfaces.consumer.metrics import UNKNOWN_EVENT, counted, skipped_duplicate

_NEVER_SUCCEEDS = (NotFoundError, AuthenticationError, AuthorizationError)


class TaskSender(Protocol):
    """Queues a message for a Celery task (supplied by the Celery integration)."""

    async def send(self, route: CeleryRoute, data: Mapping[str, Any], message: Message) -> None: ...


class ConfigurationError(Exception):
    """HANDLERS_MAP cannot be served as configured (raised at start-up, never per message)."""


class Dispatcher:
    def __init__(
        self,
        container: Container,
        handlers: Mapping[str, Handler | CeleryRoute],
        *,
        max_retries: int,
        base_delay: float,
        task_sender: TaskSender | None = None,
    ) -> None:
        routes = sorted(e for e, h in handlers.items() if isinstance(h, CeleryRoute))
        if routes and task_sender is None:
            raise ConfigurationError(f"Celery routes without a task sender: {', '.join(routes)}")
        self._container, self._handlers = container, handlers
        self._max_retries, self._base_delay = max_retries, base_delay
        self._task_sender = task_sender

    async def __call__(
        self, body: bytes, attempt: int, headers: Mapping[str, str] | None = None
    ) -> Outcome:
        """What to do with this delivery; never raises (except cancellation)."""
        started = time.perf_counter()
        try:
            envelope = parse(body)
        except MalformedMessage as exc:
            return counted(UNKNOWN_EVENT, DeadLetter(DeadLetterReason.MALFORMED, str(exc)), started)
        entry = self._handlers.get(envelope.event)
        if entry is None:
            detail = f"no handler for {envelope.event!r}"
            return counted(
                UNKNOWN_EVENT, DeadLetter(DeadLetterReason.UNKNOWN_EVENT, detail), started
            )
        message = _message(envelope, attempt)
        token = correlation_id.set(envelope.correlation_id)
        try:
            # The producer's trace goes on here (its context travels in the headers).
            with handling(message.event, message.id, headers or {}) as settled:
                outcome = await self._outcome(entry, envelope.data, message)
                return settled(counted(message.event, outcome, started))
        finally:
            correlation_id.reset(token)

    async def _outcome(
        self, entry: Handler | CeleryRoute, data: Mapping[str, Any], message: Message
    ) -> Outcome:
        try:
            done = await self._run(entry, data, message)
        except Exception as exc:
            return self._failure(exc, message)
        if done is False:  # the handler's inbox had seen this message id
            skipped_duplicate(message.event)
        return Ack()

    async def _run(
        self, entry: Handler | CeleryRoute, data: Mapping[str, Any], message: Message
    ) -> bool | None:
        # Before any handler: data PostgreSQL or a serializer would refuse is invalid-data.
        storable_json("data", data)
        if isinstance(entry, CeleryRoute):
            assert self._task_sender is not None  # checked at construction
            if entry.data is not None:
                entry.data.validate_python(data)
            await self._task_sender.send(entry, data, message)
            return None
        return await entry(self._container, data, message)

    def _failure(self, exc: Exception, message: Message) -> Outcome:
        if isinstance(exc, PydanticValidationError):  # its str() would repeat the data
            exc = domain_error(exc)
        detail = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, ValidationError):
            return DeadLetter(DeadLetterReason.INVALID_DATA, detail)
        if isinstance(exc, AlreadyExistsError):
            return Ack()  # already done
        if isinstance(exc, _NEVER_SUCCEEDS):
            return DeadLetter(DeadLetterReason.HANDLER_FAILED, detail)
        delay = backoff(self._base_delay, message.attempt)
        if isinstance(exc, UNAVAILABLE_ERRORS):  # a dependency is down: wait for it, however long
            logger.warning(
                "{} {}: dependency down, retry in {}s: {}", message.event, message.id, delay, detail
            )
            return Retry(delay)
        if message.attempt > self._max_retries:
            logger.opt(exception=exc).error("{} {} dead-lettered", message.event, message.id)
            return DeadLetter(DeadLetterReason.HANDLER_FAILED, detail)
        logger.opt(exception=exc).warning(
            "{} {} attempt {} failed", message.event, message.id, message.attempt
        )
        return Retry(delay)


def _message(envelope: Envelope, attempt: int) -> Message:
    return Message(
        event=envelope.event,
        attempt=attempt,
        id=envelope.id,
        occurred_at=envelope.occurred_at,
        correlation_id=envelope.correlation_id,
    )
