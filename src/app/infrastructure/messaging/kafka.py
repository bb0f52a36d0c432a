"""Kafka: one long-lived producer per process (acks=all), and the topics it writes to."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from app.application.ports import OutgoingMessage
from app.domain.shared import DependencyUnavailable
from app.infrastructure.messaging.envelope import encode

Headers = list[tuple[str, bytes]]
_ALREADY_EXISTS = 36


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


async def ensure_topics(bootstrap_servers: str, topics: Sequence[str], timeout: float) -> None:
    """Create the missing topics (one partition each). Raises DependencyUnavailable."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, request_timeout_ms=int(timeout * 1000)
    )
    try:
        async with asyncio.timeout(timeout):
            await admin.start()
            response = await admin.create_topics([NewTopic(t, 1, 1) for t in topics])
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
        self, bootstrap_servers: str, topic: str, *, idempotence: bool, timeout: float
    ) -> None:
        self._servers, self.topic = bootstrap_servers, topic
        self._idempotence, self._timeout = idempotence, timeout
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        """Acknowledged (acks=all) publication, in order. Raises DependencyUnavailable."""
        await self._send(
            [
                (
                    self.topic,
                    encode(m),
                    m.key.encode() if m.key else None,
                    [("message_id", str(m.id).encode()), ("event", m.event.encode())],
                    int(m.occurred_at.timestamp() * 1000),
                )
                for m in messages
            ]
        )

    async def send_raw(self, topic: str, body: bytes, key: bytes | None, headers: Headers) -> None:
        """Acknowledged publication of a body as it is (dead letters)."""
        await self._send([(topic, body, key, headers, None)])

    async def check(self) -> None:
        async with self._deadline():
            producer = await self._started()
            await producer.client.fetch_all_metadata()

    async def aclose(self) -> None:
        async with self._lock:
            await self._drop()

    async def _send(
        self, records: list[tuple[str, bytes, bytes | None, Headers, int | None]]
    ) -> None:
        async with self._deadline():
            producer = await self._started()
            # send() only queues the record: queueing all first keeps their order in one batch.
            pending = [
                await producer.send(t, value=v, key=k, headers=h, timestamp_ms=ts)
                for t, v, k, h, ts in records
            ]
            await asyncio.gather(*pending)

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                # Declared here rather than auto-created so the partition count is ours.
                await ensure_topics(
                    self._servers, [self.topic, dead_letter_topic(self.topic)], self._timeout
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
