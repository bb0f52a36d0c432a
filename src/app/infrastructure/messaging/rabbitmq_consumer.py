"""Consuming DEFAULT_QUEUE: ack after success, retry through `<queue>.retry`, dead-letter to DLQ.

Every settlement that moves a message (retry, dead letter) is a confirmed publish first and an
ack second: a crash in between leaves a duplicate for the inbox, never a loss.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextlib import suppress

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from loguru import logger

from app.domain.shared import DependencyUnavailable
from app.infrastructure.messaging.delivery import (
    ATTEMPTS_HEADER,
    Ack,
    DeadLetter,
    Outcome,
    Processor,
    Retry,
    dead_letter_headers,
)
from app.infrastructure.messaging.rabbitmq import RabbitPublisher, declare_topology

SETTLE_RETRY_DELAY = 1.0


class RabbitConsumer:
    def __init__(self, publisher: RabbitPublisher, processor: Processor, prefetch: int) -> None:
        self._publisher, self._processor, self._prefetch = publisher, processor, prefetch
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._tag: str | None = None
        self._in_flight: set[asyncio.Task[object]] = set()

    async def start(self) -> None:
        """Declare the topology and start taking messages (at most `prefetch` unacked)."""
        connection = await self._publisher.connection.get()
        self._channel = await connection.channel()
        await self._channel.set_qos(prefetch_count=self._prefetch)
        self._queue = await declare_topology(self._channel, self._publisher.names)
        self._tag = await self._queue.consume(self._on_message)

    async def stop(self, timeout: float) -> int:
        """Stop intake, wait up to `timeout` for messages in flight; how many were left."""
        if self._queue is not None and self._tag is not None:
            with suppress(Exception):  # a dead channel delivers nothing more anyway
                await self._queue.cancel(self._tag)
        left = 0
        if self._in_flight:
            _, pending = await asyncio.wait(set(self._in_flight), timeout=timeout)
            left = len(pending)
        if self._channel is not None:
            # Unacked messages go back to the queue when the channel closes.
            with suppress(Exception):
                await self._channel.close()
        return left

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            attempt = _failed_attempts(message) + 1
            outcome = await self._processor(message.body, attempt, _text_headers(message))
            await self._settle(message, outcome, attempt)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def _settle(
        self, message: AbstractIncomingMessage, outcome: Outcome, attempt: int
    ) -> None:
        try:
            await self._forward(message, outcome, attempt)
        except DependencyUnavailable as exc:
            logger.warning("cannot settle message {}: {}; it is requeued", message.message_id, exc)
            await asyncio.sleep(SETTLE_RETRY_DELAY)  # no hot loop while the broker struggles
            await _quietly(message.nack(requeue=True))
            return
        await _quietly(message.ack())

    async def _forward(
        self, message: AbstractIncomingMessage, outcome: Outcome, attempt: int
    ) -> None:
        names = self._publisher.names
        if isinstance(outcome, Retry):
            await self._publisher.send_raw(
                names.retry_queue,
                message.body,
                {ATTEMPTS_HEADER: attempt},
                template=message,
                expiration=outcome.delay,
            )
        elif isinstance(outcome, DeadLetter):
            await self._publisher.send_raw(
                names.dead_letter_queue,
                message.body,
                dead_letter_headers(outcome, attempt),
                template=message,
                exchange=names.dead_letter_exchange,
            )
        else:
            assert isinstance(outcome, Ack)


def _text_headers(message: AbstractIncomingMessage) -> dict[str, str]:
    return {k: v for k, v in (message.headers or {}).items() if isinstance(v, str)}


def _failed_attempts(message: AbstractIncomingMessage) -> int:
    raw = (message.headers or {}).get(ATTEMPTS_HEADER, 0)
    try:
        return max(0, int(raw))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


async def _quietly(settlement: Awaitable[object]) -> None:
    # After a reconnect the delivery tag belongs to a dead channel: the broker has already
    # requeued the message, and the inbox will recognise it when it comes back.
    try:
        await settlement
    except Exception as exc:
        logger.warning("ack/nack lost with its channel: {}", exc)
