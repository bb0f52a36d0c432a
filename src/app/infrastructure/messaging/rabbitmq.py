"""RabbitMQ: one robust connection per process, its topology, and a confirmed publisher.

Topology (declared idempotently, everything durable):
    exchange <E> (direct) --<Q>--> queue <Q>  (rejected messages dead-letter to <E>.dlx)
    exchange <E>.dlx (direct) --<Q>.dlq--> queue <Q>.dlq
    queue <Q>.retry: messages wait there for their per-message TTL, then dead-letter back to <E>
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractQueue,
    AbstractRobustConnection,
    DeliveryMode,
    ExchangeType,
)
from aio_pika.connection import make_url
from aio_pika.pool import Pool

from app.application.ports import OutgoingMessage
from app.domain.shared import DependencyUnavailable
from app.infrastructure.messaging.publication import MessageRefused, encoded, raise_refusal
from app.infrastructure.telemetry import continued

CHANNEL_POOL_SIZE = 4
RECONNECT_INTERVAL = 1.0  # seconds between reconnection attempts after a broker restart


@dataclass(frozen=True, slots=True)
class RabbitNames:
    exchange: str
    queue: str

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.exchange}.dlx"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.queue}.dlq"

    @property
    def retry_queue(self) -> str:
        return f"{self.queue}.retry"


async def declare_topology(channel: AbstractChannel, names: RabbitNames) -> AbstractQueue:
    """Declare exchanges and queues (a no-op when they exist); return the main queue."""
    exchange = await channel.declare_exchange(names.exchange, ExchangeType.DIRECT, durable=True)
    dlx = await channel.declare_exchange(
        names.dead_letter_exchange, ExchangeType.DIRECT, durable=True
    )
    queue = await channel.declare_queue(
        names.queue,
        durable=True,
        arguments={
            "x-dead-letter-exchange": names.dead_letter_exchange,
            "x-dead-letter-routing-key": names.dead_letter_queue,
        },
    )
    await queue.bind(exchange, routing_key=names.queue)
    dead = await channel.declare_queue(names.dead_letter_queue, durable=True)
    await dead.bind(dlx, routing_key=names.dead_letter_queue)
    await channel.declare_queue(
        names.retry_queue,
        durable=True,
        arguments={
            "x-dead-letter-exchange": names.exchange,
            "x-dead-letter-routing-key": names.queue,
        },
    )
    return queue


async def delete_topology(channel: AbstractChannel, names: RabbitNames) -> None:
    """Delete what declare_topology declares (for throwaway names: tests, benchmarks)."""
    for queue in (names.queue, names.dead_letter_queue, names.retry_queue):
        await channel.queue_delete(queue)
    for exchange in (names.exchange, names.dead_letter_exchange):
        await channel.exchange_delete(exchange)


class RabbitConnection:
    """The process's robust connection, opened on first use; it reconnects by itself."""

    def __init__(self, url: str, timeout: float, name: str) -> None:
        self._url, self.timeout, self.name = url, timeout, name
        self._connection: AbstractRobustConnection | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> AbstractRobustConnection:
        async with self._lock:
            if self._connection is None or self._connection.is_closed:
                connection = aio_pika.RobustConnection(
                    make_url(self._url),
                    reconnect_interval=RECONNECT_INTERVAL,
                    client_properties={"connection_name": self.name},  # shown by rabbitmqctl
                )
                try:
                    await connection.connect(timeout=self.timeout)
                except BaseException:
                    await connection.close()  # else its reconnect machinery outlives the failure
                    raise
                self._connection = connection
        return self._connection

    async def aclose(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None


class RabbitPublisher:
    """Publishes with confirms, persistent messages, over a small pool of channels."""

    name = "broker"

    def __init__(self, connection: RabbitConnection, names: RabbitNames) -> None:
        self.connection, self.names = connection, names
        self._channels: Pool[AbstractChannel] = Pool(self._new_channel, max_size=CHANNEL_POOL_SIZE)
        self._declared = False
        self._publishing: AbstractChannel | None = None
        self._publishing_lock = asyncio.Lock()

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        """Confirmed publication of each message, in order.

        Raises DependencyUnavailable, MessageRefused."""
        raise_refusal(await self.publish_each(messages))

    async def publish_each(
        self, messages: Sequence[OutgoingMessage]
    ) -> list[MessageRefused | None]:
        """Publish in order; per message, None once confirmed or the broker's refusal of it.

        Raises DependencyUnavailable (a nack or a returned message too: a full or missing queue
        refuses every message alike)."""
        built = [_message(m) for m in messages]
        async with self._deadline(), self._publishing_lock:
            channel = await self._publishing_channel()
            exchange = await channel.get_exchange(self.names.exchange, ensure=False)
            # One channel and FIFO frame writes keep the order; confirms overlap.
            outcomes = await asyncio.gather(*(self._confirmed(exchange, m) for m in built))
        return list(outcomes)

    async def send_raw(
        self,
        routing_key: str,
        body: bytes,
        headers: Mapping[str, str | int],
        template: aio_pika.abc.AbstractMessage | None = None,
        expiration: float | None = None,
        exchange: str = "",
    ) -> None:
        """Confirmed publication of a body as it is (retries, dead letters)."""
        message = aio_pika.Message(
            body,
            headers=dict(headers),
            delivery_mode=DeliveryMode.PERSISTENT,
            content_type="application/json",
            message_id=template.message_id if template else None,
            correlation_id=template.correlation_id if template else None,
            type=template.type if template else None,
            expiration=timedelta(seconds=expiration) if expiration is not None else None,
        )
        async with self._channel() as channel:
            target = await channel.get_exchange(exchange, ensure=False) if exchange else None
            await (target or channel.default_exchange).publish(message, routing_key=routing_key)

    async def check(self) -> None:
        """A round trip to the broker: open and close a channel. Raises DependencyUnavailable."""
        # Not a pooled channel: taking one costs no I/O, so it looks fine while the broker is down.
        async with self._deadline():
            channel = await self._new_channel()
            await channel.close()

    async def aclose(self) -> None:
        await self._channels.close()
        await self.connection.aclose()

    async def _confirmed(
        self, exchange: AbstractExchange, message: aio_pika.Message | MessageRefused
    ) -> MessageRefused | None:
        if isinstance(message, MessageRefused):
            return message
        try:
            # Traced, aio-pika's publish span replaces the row's headers with its own context.
            with continued(message.headers):
                await exchange.publish(message, routing_key=self.names.queue)
        except aio_pika.exceptions.ChannelPreconditionFailed as exc:
            # The broker closes the channel on a message it refuses (over max_message_size): the
            # messages in flight behind it fail alike, which is why the relay tries each alone.
            return MessageRefused(f"RabbitMQ: {exc}")
        return None

    @asynccontextmanager
    async def _channel(self) -> AsyncIterator[AbstractChannel]:
        async with self._deadline(), self._channels.acquire() as channel:
            yield channel

    @asynccontextmanager
    async def _deadline(self) -> AsyncIterator[None]:
        # The whole round trip has one deadline: a broker that is down or stuck raises quickly.
        try:
            async with asyncio.timeout(self.connection.timeout):
                yield
        except DependencyUnavailable:
            raise
        except (TimeoutError, OSError, aio_pika.exceptions.AMQPError, RuntimeError) as exc:
            raise DependencyUnavailable(f"RabbitMQ: {type(exc).__name__}: {exc}") from exc

    async def _publishing_channel(self) -> AbstractChannel:
        # The outbox's channel, outside the pool: the broker closes the channel of a message it
        # refuses, and such a channel is replaced here, not left to reopen itself (aio-pika's
        # reopening after a broker's close can fail and leave a pooled channel closed for good).
        if self._publishing is None or self._publishing.is_closed:
            if self._publishing is not None:
                await self._publishing.close()
            self._publishing = await self._new_channel()
        return self._publishing

    async def _new_channel(self) -> AbstractChannel:
        connection = await self.connection.get()
        # An unroutable message (its queue deleted, or not declared yet) is confirmed too, and
        # the broker returns it: without raising on the return it would be lost silently.
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        if not self._declared:
            await declare_topology(channel, self.names)
            self._declared = True
        return channel


def _message(message: OutgoingMessage) -> aio_pika.Message | MessageRefused:
    body = encoded(message)
    if isinstance(body, MessageRefused):
        return body
    return aio_pika.Message(
        body,
        message_id=str(message.id),
        correlation_id=message.correlation_id,
        type=message.event,
        timestamp=message.occurred_at,
        content_type="application/json",
        delivery_mode=DeliveryMode.PERSISTENT,
        headers=dict(message.trace_context),
    )
