"""Three `app consume` processes on one queue or one consumer group, one of them killed midway.

10,000 `debug.echo.v1` messages with distinct ids over 50 keys, each key's seqs 0, 1, 2, ... in
publish order, put on the broker raw while the fleet consumes. Halfway, one consumer gets
SIGKILL and a new one starts. Then Redis tells what the fleet did: the counters' sum (each id
counts once), and per key the list of seqs in the order they were handled.

What is asserted, and what only measured:
- both brokers: every message counted exactly once (sum == 10,000, every seq present, none
  twice), through the kill (its unacked / uncommitted messages go to the others, which
  recognise the ids they already counted);
- Kafka: each key's seqs handled in publish order (one partition per key, one lane per key
  inside a consumer);
- RabbitMQ: order is not promised (three consumers, CONSUMER_PREFETCH=32 each, redeliveries of
  the killed consumer's messages): it is measured and printed, not asserted.

Run with `-s` to see the figures line.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest

from app.config.settings import MessageBroker, Settings
from tests.conftest import app_process
from tests.fleet.helpers import (
    RawPublisher,
    counted,
    echoes,
    publish_steadily,
    tally,
    wait_until,
)

MESSAGES, KEYS, CONSUMERS = 10_000, 50, 3
PUBLISH_SECONDS = 8.0

pytestmark = pytest.mark.slow


@asynccontextmanager
async def consumer(settings: Settings) -> AsyncIterator[asyncio.subprocess.Process]:
    async with app_process(settings, "consume", "--no-relay", LOG_LEVEL="WARNING") as process:
        yield process


async def test_a_fleet_of_consumers_counts_every_message_once_through_a_kill(fleet_settings):
    settings = fleet_settings
    messages = echoes(MESSAGES, KEYS)
    keys = sorted({m.key for m in messages})
    publisher = RawPublisher(settings)
    await publisher.start()
    started = time.monotonic()
    try:
        async with AsyncExitStack() as fleet:
            running = [await fleet.enter_async_context(consumer(settings)) for _ in range(3)]
            publishing = asyncio.create_task(publish_steadily(publisher, messages, PUBLISH_SECONDS))
            await wait_until(lambda: _counted_at_least(settings, keys, MESSAGES // 2), 60)
            victim = running[0]
            victim.send_signal(signal.SIGKILL)
            await victim.wait()
            running[0] = await fleet.enter_async_context(consumer(settings))
            await publishing
            await wait_until(lambda: _counted_at_least(settings, keys, MESSAGES), 60)
            await asyncio.sleep(1.0)  # a late duplicate would show now
            result = await tally(settings, keys)
            alive = [process.returncode is None for process in running]
    finally:
        await publisher.stop()

    lost, duplicated, late = result.lost(messages), result.duplicated(), result.out_of_order()
    print(
        f"\nfleet consumers [{settings.message_broker}]: messages={MESSAGES} keys={KEYS} "
        f"consumers={CONSUMERS} prefetch={settings.consumer_prefetch} kills=1 "
        f"counted={result.counted} lost={lost} duplicated={duplicated} out_of_order={late} "
        f"seconds={time.monotonic() - started:.1f}"
    )
    assert alive == [True] * CONSUMERS
    assert (result.counted, lost, duplicated) == (MESSAGES, 0, 0)
    if settings.message_broker is MessageBroker.KAFKA:
        assert late == 0
        assert all(seqs == list(range(MESSAGES // KEYS)) for seqs in result.seqs.values())


async def _counted_at_least(settings: Settings, keys: list[str], count: int) -> bool:
    return await counted(settings, keys) >= count
