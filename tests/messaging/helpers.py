"""Helpers of the messaging tests: raw publication, the echo counter, reading dead letters."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import aio_pika
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from app.config.settings import MessageBroker, Settings
from app.container import Container
from app.infrastructure.messaging.kafka import KafkaPublisher, dead_letter_topic
from app.infrastructure.messaging.rabbitmq import RabbitNames, RabbitPublisher

DeadLetters = list[tuple[bytes, dict[str, str]]]


def unique(name: str) -> str:
    """A Redis counter key no other test (or broker parameter) shares."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def envelope(event: str, data: dict[str, Any], message_id: uuid.UUID | None = None) -> bytes:
    body: dict[str, Any] = {"event": event, "data": data}
    if message_id is not None:
        body["id"] = str(message_id)
    return orjson.dumps(body)


def echo(key: str, fail_times: int = 0, message_id: uuid.UUID | None = None) -> bytes:
    return envelope(
        "debug.echo.v1", {"key": key, "fail_times": fail_times}, message_id or uuid.uuid4()
    )


async def publish_raw(container: Container, *bodies: bytes) -> None:
    """Put bodies on the main queue/topic as they are, bypassing the outbox."""
    publisher = container.publisher
    for body in bodies:
        if isinstance(publisher, KafkaPublisher):
            await publisher.send_raw(publisher.topic, body, None, [])
        else:
            assert isinstance(publisher, RabbitPublisher)
            await publisher.send_raw(publisher.names.queue, body, {})


async def echo_count(container: Container, key: str) -> int:
    value = await container.redis.get(f"{container.settings.redis_key_prefix}debug:echo:{key}")
    return int(value or 0)


async def dead_letters(settings: Settings, expected: int, timeout: float = 15.0) -> DeadLetters:
    """Wait for `expected` dead letters (bodies and headers), then return them all."""
    if settings.message_broker is MessageBroker.KAFKA:
        return await _kafka_dead_letters(settings, expected, timeout)
    return await _rabbit_dead_letters(settings, expected, timeout)


async def _rabbit_dead_letters(settings: Settings, expected: int, timeout: float) -> DeadLetters:
    names = RabbitNames(settings.default_exchanger, settings.default_queue)
    found: DeadLetters = []
    deadline = time.monotonic() + timeout
    async with await aio_pika.connect(settings.message_broker_url) as connection:
        channel = await connection.channel()
        queue = await channel.get_queue(names.dead_letter_queue)
        while len(found) < expected and time.monotonic() < deadline:
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                await _pause()
                continue
            headers = {k: str(v) for k, v in (message.headers or {}).items()}
            found.append((message.body, headers))
    return found


async def _kafka_dead_letters(settings: Settings, expected: int, timeout: float) -> DeadLetters:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    found: DeadLetters = []
    try:
        topic = dead_letter_topic(settings.default_topic)
        partitions = [TopicPartition(topic, 0)]  # ensure_topics makes one partition
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout
        while len(found) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                found += [(r.value or b"", {k: v.decode() for k, v in r.headers}) for r in records]
    finally:
        await consumer.stop()
    return found


async def _pause() -> None:
    await asyncio.sleep(0.05)


async def delete_main_queue(settings: Settings) -> None:
    """Delete DEFAULT_QUEUE behind the service's back, as an operator's mistake would."""
    connection = await aio_pika.connect(settings.message_broker_url, timeout=5)
    async with connection:
        await (await connection.channel()).queue_delete(settings.default_queue)


async def close_rabbit_connections(name: str) -> int:
    """Close, from the server side, every RabbitMQ connection named `name`; how many there were."""
    listing = await _run("rabbitmqctl", "list_connections", "pid", "client_properties", "-q")
    pids = [
        line.split("\t", 1)[0]
        for line in listing.splitlines()
        if f'{{"connection_name","{name}"}}' in line
    ]
    for pid in pids:
        await _run("rabbitmqctl", "close_connection", pid, "test: simulated broker failure")
    return len(pids)


async def _run(*command: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {out.decode()}")
    return out.decode()
