"""Consuming DEFAULT_TOPIC in group CONSUMER_GROUP: retry in place, then the DLQ topic, then commit.

A batch is handled in up to `prefetch` concurrent lanes chosen by record key, so one key's records
run one at a time in offset order; offsets are committed afterwards, per partition up to the
first record that did not finish (only possible when stopping), so nothing is committed before
its handler succeeded or its dead letter was acknowledged.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Sequence
from contextlib import suppress

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from loguru import logger

from app.domain.shared import DependencyUnavailable
from app.infrastructure.messaging.delivery import (
    Ack,
    DeadLetter,
    Processor,
    backoff,
    dead_letter_headers,
)
from app.infrastructure.messaging.kafka import KafkaPublisher, dead_letter_topic, ensure_topics

POLL_TIMEOUT_MS = 200
PROBE_INTERVAL, PROBE_TIMEOUT = 1.0, 2.0
LANE_DEPTH = 8  # records per concurrent lane in one poll: one offset commit per this many rounds
DEAD_LETTER_RETRY_DELAY = 1.0


class ConsumerRestart(Exception):
    """The consumer must be rebuilt and rejoin its group."""


class KafkaConsumer:
    def __init__(
        self,
        publisher: KafkaPublisher,
        processor: Processor,
        *,
        bootstrap_servers: str,
        group: str,
        prefetch: int,
        session_timeout_ms: int = 10000,
    ) -> None:
        self._publisher, self._processor = publisher, processor
        self._servers, self._group, self._prefetch = bootstrap_servers, group, prefetch
        self._session_timeout_ms = session_timeout_ms
        self.poll_records = prefetch * LANE_DEPTH
        self._stop = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; the batch in hand is finished first."""
        self._stop = stop
        topic = self._publisher.topic
        topics = [topic, dead_letter_topic(topic)]
        await ensure_topics(self._servers, topics, 10.0, self._publisher.partitions)
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=self._servers,
            group_id=self._group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.poll_records,
            session_timeout_ms=self._session_timeout_ms,
            heartbeat_interval_ms=self._session_timeout_ms // 3,
        )
        await consumer.start()
        next_probe = time.monotonic() + PROBE_INTERVAL
        try:
            while not stop.is_set():
                batch = await consumer.getmany(
                    timeout_ms=POLL_TIMEOUT_MS, max_records=self.poll_records
                )
                if batch:
                    await self._handle(consumer, batch)
                if time.monotonic() >= next_probe:
                    await _probe(consumer, topic)
                    next_probe = time.monotonic() + PROBE_INTERVAL
        finally:
            await _close(consumer)

    async def _handle(
        self, consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        lanes = _lanes(batch, self._prefetch)
        finished: dict[tuple[str, int, int], bool] = {}
        for lane, results in zip(
            lanes, await asyncio.gather(*(self._lane(lane) for lane in lanes)), strict=True
        ):
            finished.update(
                ((r.topic, r.partition, r.offset), ok) for r, ok in zip(lane, results, strict=True)
            )
        offsets = {}
        for partition, items in batch.items():
            done = _finished_prefix(items, finished)
            if done:
                offsets[partition] = done[-1].offset + 1
        try:
            async with asyncio.timeout(PROBE_TIMEOUT * 2):  # a commit waits for the coordinator
                await consumer.commit(offsets)
        except (TimeoutError, KafkaError) as exc:
            # The group's state is in doubt (a rebalance, a broker that lost its data): start
            # again from the committed offsets. Records handled since come again, and the
            # inbox recognises them; skipping ahead could lose some.
            raise ConsumerRestart(f"offset commit failed: {exc!r}") from exc

    async def _lane(self, records: list[ConsumerRecord]) -> list[bool]:
        return [await self._one(record) for record in records]

    async def _one(self, record: ConsumerRecord) -> bool:
        """Handle one record until done (True) or until the consumer stops (False)."""
        attempt = 1
        while True:
            outcome = await self._processor(record.value or b"", attempt, _text_headers(record))
            if isinstance(outcome, Ack):
                return True
            if isinstance(outcome, DeadLetter):
                return await self._dead_letter(record, outcome, attempt)
            if await self._stopped_within(outcome.delay):
                return False
            attempt += 1

    async def _dead_letter(self, record: ConsumerRecord, outcome: DeadLetter, attempt: int) -> bool:
        headers = [(k, v.encode()) for k, v in dead_letter_headers(outcome, attempt).items()]
        failures = 0
        while True:
            try:
                await self._publisher.send_raw(
                    dead_letter_topic(record.topic), record.value or b"", record.key, headers
                )
                return True
            except DependencyUnavailable as exc:
                failures += 1
                logger.warning("dead letter not yet written ({}): {}", failures, exc)
                if await self._stopped_within(backoff(DEAD_LETTER_RETRY_DELAY, failures)):
                    return False

    async def _stopped_within(self, seconds: float) -> bool:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
        return self._stop.is_set()


async def _close(consumer: AIOKafkaConsumer) -> None:
    # In its own task: stopping against a dead broker can hang, and aiokafka's internal
    # cancellations must not leak into ours.
    closing = asyncio.create_task(consumer.stop())
    closing.add_done_callback(lambda task: task.cancelled() or task.exception())
    await asyncio.wait([closing], timeout=PROBE_TIMEOUT)


async def _probe(consumer: AIOKafkaConsumer, topic: str) -> None:
    # aiokafka reconnects by itself but keeps its in-memory fetch positions. After an outage
    # the consumer starts over from the committed offsets instead: if the broker came back
    # without its data (or the topic was recreated), an old position would skip new records.
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            topics = await consumer.topics()
    except (TimeoutError, KafkaError) as exc:
        raise ConsumerRestart(f"broker unreachable: {exc!r}") from exc
    if topic not in topics:
        raise ConsumerRestart(f"topic {topic} disappeared")


def _text_headers(record: ConsumerRecord) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in record.headers or () if v is not None}


def _lanes(
    batch: dict[TopicPartition, list[ConsumerRecord]], count: int
) -> list[list[ConsumerRecord]]:
    """Up to `count` lanes, each handling its records in turn, in offset order.

    A record's lane follows from its key, so the events of one aggregate never run at the same
    time nor overtake each other; different keys run concurrently. Records without a key have
    no order to keep and are dealt round-robin. Lanes, not one task per record: as many
    handlers run at once for a fraction of the scheduling cost.
    """
    lanes: list[list[ConsumerRecord]] = [[] for _ in range(count)]
    unkeyed = 0
    for records in batch.values():
        for record in records:
            if record.key is None:
                index, unkeyed = unkeyed % count, unkeyed + 1
            else:
                index = zlib.crc32(record.key) % count
            lanes[index].append(record)
    return [lane for lane in lanes if lane]


def _finished_prefix(
    records: Sequence[ConsumerRecord], finished: dict[tuple[str, int, int], bool]
) -> list[ConsumerRecord]:
    done = []
    for record in records:
        if not finished[(record.topic, record.partition, record.offset)]:
            break
        done.append(record)
    return done
