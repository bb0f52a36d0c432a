"""What the fleet tests measure: echoes put on a broker raw, and what the fleet made of them."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from redis.asyncio import Redis

from app.config.settings import MessageBroker, Settings
from app.infrastructure.messaging.kafka import dead_letter_topic, ensure_topics
from app.infrastructure.messaging.rabbitmq import RabbitNames, declare_topology

CHUNK = 500  # messages in flight at once while publishing


@dataclass(frozen=True, slots=True)
class Echo:
    key: str
    seq: int
    id: uuid.UUID

    def body(self) -> bytes:
        data = {"key": self.key, "seq": self.seq}
        return orjson.dumps({"id": str(self.id), "event": "debug.echo.v1", "data": data})


def echoes(count: int, keys: int) -> list[Echo]:
    """`count` messages with distinct ids over `keys` keys, each key's seqs 0, 1, 2, ..."""
    return [Echo(f"k{n % keys:03d}", n // keys, uuid.uuid4()) for n in range(count)]


async def create_topics(settings: Settings) -> None:
    topics = [settings.default_topic, dead_letter_topic(settings.default_topic)]
    partitions = settings.kafka_topic_partitions
    await ensure_topics(settings.kafka_bootstrap_servers, topics, 10.0, partitions)


class RawPublisher:
    """Puts echo bodies on the main queue (confirmed) or topic (acks=all, the key as record key)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._connection: aio_pika.abc.AbstractConnection | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None

    async def start(self) -> None:
        settings = self._settings
        if settings.message_broker is MessageBroker.KAFKA:
            await create_topics(settings)
            self._producer = AIOKafkaProducer(
                bootstrap_servers=settings.kafka_bootstrap_servers, acks="all", linger_ms=5
            )
            await self._producer.start()
            return
        self._connection = await aio_pika.connect(settings.message_broker_url)
        channel = await self._connection.channel(publisher_confirms=True)
        names = RabbitNames(settings.default_exchanger, settings.default_queue)
        await declare_topology(channel, names)
        self._exchange = await channel.get_exchange(names.exchange)

    async def publish(self, batch: Sequence[Echo]) -> None:
        """Publish in order and wait for every confirmation."""
        if self._producer is not None:
            topic = self._settings.default_topic
            sent = [await self._producer.send(topic, m.body(), key=m.key.encode()) for m in batch]
            await asyncio.gather(*sent)
            return
        assert self._exchange is not None
        queue = self._settings.default_queue
        await asyncio.gather(
            *(self._exchange.publish(aio_pika.Message(m.body()), routing_key=queue) for m in batch)
        )

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
        if self._connection is not None:
            await self._connection.close()


async def publish_steadily(
    publisher: RawPublisher, messages: Sequence[Echo], seconds: float
) -> None:
    """Publish in chunks spread over about `seconds`, each key's messages in seq order."""
    pause = seconds / max(1, len(messages) // CHUNK)
    for start in range(0, len(messages), CHUNK):
        await publisher.publish(messages[start : start + CHUNK])
        await asyncio.sleep(pause)


@dataclass(frozen=True, slots=True)
class Tally:
    """What Redis holds after the fleet handled the messages."""

    counted: int
    seqs: dict[str, list[int]]

    def lost(self, expected: Sequence[Echo]) -> int:
        seen = {(key, seq) for key, seqs in self.seqs.items() for seq in seqs}
        return sum((m.key, m.seq) not in seen for m in expected)

    def duplicated(self) -> int:
        return sum(len(seqs) - len(set(seqs)) for seqs in self.seqs.values())

    def out_of_order(self) -> int:
        """Seqs handled after a higher seq of their key (0 when every key is in publish order)."""
        late = 0
        for seqs in self.seqs.values():
            highest = -1
            for seq in seqs:
                late += seq < highest
                highest = max(highest, seq)
        return late


async def counted(settings: Settings, keys: Sequence[str]) -> int:
    """The sum of the keys' echo counters."""
    prefix = f"{settings.redis_key_prefix}debug:echo:"
    async with Redis.from_url(settings.redis_url, decode_responses=True) as redis:
        return sum(int(c or 0) for c in await redis.mget([f"{prefix}{key}" for key in keys]))


async def tally(settings: Settings, keys: Sequence[str]) -> Tally:
    prefix = f"{settings.redis_key_prefix}debug:echo:"
    async with Redis.from_url(settings.redis_url, decode_responses=True) as redis:
        counts = await redis.mget([f"{prefix}{key}" for key in keys])
        async with redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.lrange(f"{prefix}{key}:seq", 0, -1)
            lists = await pipe.execute()
    seqs = {key: [int(s) for s in found] for key, found in zip(keys, lists, strict=True)}
    return Tally(sum(int(c or 0) for c in counts), seqs)


async def wait_until(
    check: Callable[[], Awaitable[bool]], timeout: float, interval: float = 0.2
) -> float:
    """Poll until `check` is true; the seconds it took. Fails after `timeout`."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not reached within {timeout}s")
        await asyncio.sleep(interval)
    return time.monotonic() - started


async def published_bodies(settings: Settings) -> list[dict[str, object]]:
    """Every envelope on the main queue (taken off it) or topic (all partitions, offset order)."""
    if settings.message_broker is MessageBroker.KAFKA:
        return await _topic_bodies(settings)
    found = []
    async with await aio_pika.connect(settings.message_broker_url) as connection:
        queue = await (await connection.channel()).get_queue(settings.default_queue)
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            found.append(orjson.loads(message.body))
    return found


async def _topic_bodies(settings: Settings) -> list[dict[str, object]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    try:
        topic = settings.default_topic
        await consumer.topics()  # loads the topics' metadata
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        assert partitions, f"topic {topic} has no partitions"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found = []
        for partition in partitions:
            while await consumer.position(partition) < ends[partition]:
                batch = await consumer.getmany(partition, timeout_ms=500)
                found += [orjson.loads(r.value or b"") for r in batch.get(partition, [])]
        return found
    finally:
        await consumer.stop()


def pid_of_connection(client_port: int, pids: Sequence[int]) -> int | None:
    """Which of these processes owns the local TCP socket on `client_port` (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == client_port:
                inodes.add(fields[9])
    for pid in pids:
        try:
            links = {str(path.readlink()) for path in Path(f"/proc/{pid}/fd").iterdir()}
        except (FileNotFoundError, ProcessLookupError):
            continue
        if any(f"socket:[{inode}]" in links for inode in inodes):
            return pid
    return None
