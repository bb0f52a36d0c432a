"""Kafka: one long-lived producer per process (acks=all), and the topics it writes to."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    InvalidTimestampError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)

from app.application.ports import OutgoingMessage
from app.domain.shared import DependencyUnavailable
from app.infrastructure.messaging.publication import MessageRefused, encoded, raise_refusal
from app.infrastructure.telemetry import TRACE_HEADERS, continued

Headers = list[tuple[str, bytes]]
Record = tuple[str, bytes, bytes | None, Headers, int | None]
_ALREADY_EXISTS = 36
# Errors about one record itself (over the producer's max_request_size or the broker's limit, a
# timestamp the topic does not take): sending it again fails again, the others are not concerned.
_REFUSALS = (
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    InvalidTimestampError,
)


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


async def ensure_topics(
    bootstrap_servers: str, topics: Sequence[str], timeout: float, partitions: int
) -> None:
    """Create the missing topics with `partitions` each; existing ones are left as they are.

    Raises DependencyUnavailable."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, request_timeout_ms=int(timeout * 1000)
    )
    try:
        async with asyncio.timeout(timeout):
            await admin.start()
            response = await admin.create_topics([NewTopic(t, partitions, 1) for t in topics])
    except (TimeoutError, OSError, KafkaError) as exc:
        raise DependencyUnavailable(f"Kafka: {type(exc).__name__}: {exc}") from exc
    finally:
        with suppress(Exception):
            await admin.close()
    errors = [(name, code) for name, code, *_ in response.topic_errors if code]
    if any(code != _ALREADY_EXISTS for _, code in errors):
        raise DependencyUnavailable(f"Kafka: cannot create topics: {errors}")


class KafkaPublisher:
    """Publishes to DEFAULT_TOPIC, keyed by aggregate id; started on first use."""

    name = "broker"

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        *,
        idempotence: bool,
        timeout: float,
        partitions: int,
    ) -> None:
        self._servers, self.topic, self.partitions = bootstrap_servers, topic, partitions
        self._idempotence, self._timeout = idempotence, timeout
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        """Acknowledged (acks=all) publication, in order.

        Raises DependencyUnavailable, MessageRefused."""
        raise_refusal(await self.publish_each(messages))

    async def publish_each(
        self, messages: Sequence[OutgoingMessage]
    ) -> list[MessageRefused | None]:
        """Publish in order; per message, None once acknowledged or the refusal of that message.

        Raises DependencyUnavailable."""
        return await self._send([self._record(m) for m in messages])

    async def send_raw(self, topic: str, body: bytes, key: bytes | None, headers: Headers) -> None:
        """Acknowledged publication of a body as it is (dead letters)."""
        [refusal] = await self._send([(topic, body, key, headers, None)])
        if refusal is not None:  # the consumer retries a dead letter it could not write
            raise DependencyUnavailable(str(refusal)) from refusal

    async def check(self) -> None:
        """A round trip to the broker: a metadata request. Raises DependencyUnavailable."""
        async with self._deadline():
            producer = await self._started()
            await producer.client.fetch_all_metadata()

    async def aclose(self) -> None:
        async with self._lock:
            await self._drop()

    def _record(self, message: OutgoingMessage) -> Record | MessageRefused:
        body = encoded(message)
        if isinstance(body, MessageRefused):
            return body
        key = message.key.encode() if message.key else None
        headers = [("message_id", str(message.id).encode()), ("event", message.event.encode())]
        headers += [(name, value.encode()) for name, value in message.trace_context.items()]
        return (self.topic, body, key, headers, int(message.occurred_at.timestamp() * 1000))

    async def _send(
        self, records: Sequence[Record | MessageRefused]
    ) -> list[MessageRefused | None]:
        async with self._deadline():
            producer = await self._started()
            # send() only queues the record: queueing all first keeps their order in one batch.
            pending = [
                r if isinstance(r, MessageRefused) else await _queued(producer, r) for r in records
            ]
            return list(await asyncio.gather(*(_settled(p) for p in pending)))

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                # Declared here rather than auto-created so the partition count is ours.
                await ensure_topics(
                    self._servers,
                    [self.topic, dead_letter_topic(self.topic)],
                    self._timeout,
                    self.partitions,
                )
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._servers,
                    acks="all",
                    enable_idempotence=self._idempotence,
                    request_timeout_ms=int(self._timeout * 1000),
                    linger_ms=1,
                )
                await producer.start()
                self._producer = producer
            return self._producer

    async def _drop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with suppress(Exception):
                async with asyncio.timeout(self._timeout):
                    await producer.stop()

    @asynccontextmanager
    async def _deadline(self) -> AsyncIterator[None]:
        # A producer that timed out may hold half-sent batches: drop it, build a fresh one later.
        try:
            async with asyncio.timeout(self._timeout):
                yield
        except (TimeoutError, OSError, KafkaError) as exc:
            async with self._lock:
                await self._drop()
            raise DependencyUnavailable(f"Kafka: {type(exc).__name__}: {exc}") from exc


async def _queued(
    producer: AIOKafkaProducer, record: Record
) -> asyncio.Future[Any] | MessageRefused:
    topic, value, key, headers, timestamp = record
    trace_context = {name: raw.decode() for name, raw in headers if name in TRACE_HEADERS}
    try:
        with continued(trace_context) as instrumented:
            if instrumented:  # aiokafka's send span adds its own context: one traceparent only
                headers = [(name, raw) for name, raw in headers if name not in TRACE_HEADERS]
            queued: asyncio.Future[Any] = await producer.send(
                topic, value=value, key=key, headers=headers, timestamp_ms=timestamp
            )
    except _REFUSALS as exc:  # the producer checks its max_request_size before queueing
        return _refusal(exc)
    return queued


async def _settled(pending: asyncio.Future[Any] | MessageRefused) -> MessageRefused | None:
    if isinstance(pending, MessageRefused):
        return pending
    try:
        await pending
    except _REFUSALS as exc:
        return _refusal(exc)
    return None


def _refusal(exc: KafkaError) -> MessageRefused:
    return MessageRefused(f"Kafka: {type(exc).__name__}: {exc}")
