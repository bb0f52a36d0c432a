"""Per-key order in the Kafka consumer: concurrency across keys, never within one key."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest

from app.config.settings import MessageBroker, Settings
from app.infrastructure.messaging.delivery import Ack, Outcome
from app.infrastructure.messaging.kafka import KafkaPublisher
from app.infrastructure.messaging.kafka_consumer import KafkaConsumer
from tests.conftest import settings_with
from tests.messaging.conftest import Tansu, eventually

KEYS = ("alpha", "beta", "gamma")
PER_KEY = 12


class Recorder:
    """A processor that sleeps as long as each record asks, then notes (key, seq)."""

    def __init__(self) -> None:
        self.handled: list[tuple[str, int]] = []
        self.running: dict[str, int] = {}
        self.overlapped: set[str] = set()

    async def __call__(self, body: bytes, attempt: int, headers: object) -> Outcome:
        record = orjson.loads(body)
        key = record["key"]
        self.running[key] = self.running.get(key, 0) + 1
        if self.running[key] > 1:
            self.overlapped.add(key)
        await asyncio.sleep(record["sleep"])
        self.running[key] -= 1
        self.handled.append((key, record["seq"]))
        return Ack()


@pytest.fixture
async def kafka_settings(settings: Settings, tansu: Tansu) -> Settings:
    tag = uuid.uuid4().hex[:10]
    return settings_with(
        settings,
        message_broker=MessageBroker.KAFKA,
        kafka_bootstrap_servers=tansu.bootstrap,
        default_topic=f"test.{tag}.order",
        consumer_group=f"test.{tag}.group",
    )


async def test_records_of_one_key_are_handled_one_at_a_time_in_offset_order(kafka_settings):
    publisher = KafkaPublisher(
        kafka_settings.kafka_bootstrap_servers,
        kafka_settings.default_topic,
        idempotence=False,
        timeout=5.0,
        partitions=1,
    )
    # Early records sleep longest: handled round-robin they would finish in reverse order.
    for seq in range(PER_KEY):
        for key in KEYS:
            body = orjson.dumps({"key": key, "seq": seq, "sleep": (PER_KEY - seq) * 0.005})
            await publisher.send_raw(kafka_settings.default_topic, body, key.encode(), [])
    recorder = Recorder()
    consumer = KafkaConsumer(
        publisher,
        recorder,
        bootstrap_servers=kafka_settings.kafka_bootstrap_servers,
        group=kafka_settings.consumer_group,
        prefetch=8,
        session_timeout_ms=2000,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(consumer.run(stop))
    try:
        await eventually(lambda: _done(recorder), timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(running, 15)
        await publisher.aclose()
    for key in KEYS:
        assert [seq for k, seq in recorder.handled if k == key] == list(range(PER_KEY)), key
    assert recorder.overlapped == set()


async def _done(recorder: Recorder) -> bool:
    return len(recorder.handled) == PER_KEY * len(KEYS)
