"""`debug.echo.v1`'s optional `seq`: appended to `debug:echo:<key>:seq` with the count, once."""

from __future__ import annotations

import uuid

import pytest

from app.container import Container
from app.infrastructure.messaging.echo_counter import TTL_SECONDS, RedisEchoCounter
from tests.messaging.conftest import eventually, running_consumer
from tests.messaging.helpers import dead_letters, echo_count, envelope, publish_raw, unique


@pytest.fixture
def counter(container: Container) -> RedisEchoCounter:
    return RedisEchoCounter(container.redis, container.settings.redis_key_prefix)


async def seqs(container: Container, key: str) -> list[int]:
    prefix = container.settings.redis_key_prefix
    return [int(s) for s in await container.redis.lrange(f"{prefix}debug:echo:{key}:seq", 0, -1)]


async def test_a_seq_is_appended_with_the_count_once_per_message_id(container, counter):
    key, first, second = unique("seq"), uuid.uuid4(), uuid.uuid4()
    assert await counter.increment_once(key, first, 7)
    assert not await counter.increment_once(key, first, 7)  # a redelivery: neither counted again
    assert await counter.increment_once(key, second, 3)
    assert (await echo_count(container, key), await seqs(container, key)) == (2, [7, 3])
    assert 0 < await container.redis.ttl(counter.seq_key(key)) <= TTL_SECONDS


async def test_without_a_seq_the_message_is_counted_and_no_list_is_written(container, counter):
    key = unique("no_seq")
    assert await counter.increment_once(key, uuid.uuid4(), None)
    assert await counter.increment_once(key, None, None)  # no id: counted every time
    assert await echo_count(container, key) == 2
    assert not await container.redis.exists(counter.seq_key(key))


async def test_the_consumer_records_each_seq_once_and_dead_letters_a_negative_one(broker_container):
    key, ids = unique("consumed"), [uuid.uuid4() for _ in range(3)]
    bodies = [envelope("debug.echo.v1", {"key": key, "seq": n}, i) for n, i in enumerate(ids)]
    await publish_raw(broker_container, *bodies, bodies[1])  # the last one: a redelivered id
    async with running_consumer(broker_container, with_relay=False):
        await eventually(lambda: _at_least(broker_container, key, 3))
        await publish_raw(broker_container, envelope("debug.echo.v1", {"key": key, "seq": -1}))
        [(_, headers)] = await dead_letters(broker_container.settings, 1)
    assert headers["x-error"] == "invalid-data"  # a seq is a position: never negative
    assert await echo_count(broker_container, key) == 3
    assert sorted(await seqs(broker_container, key)) == [0, 1, 2]


async def _at_least(container: Container, key: str, count: int) -> bool:
    return len(await seqs(container, key)) >= count
