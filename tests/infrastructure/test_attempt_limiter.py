"""The Redis attempt limiter against the real Redis: at most `limit` attempts in any minute."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from app.infrastructure.redis import RedisAttemptLimiter
from tests.fakes import FixedClock

LIMIT = 2
# Just before a minute turns: a limiter that counts per calendar minute starts afresh here.
START = datetime(2026, 12, 1, 13, 47, 59, 900_000, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def prefix(settings) -> str:
    return f"{settings.redis_key_prefix}attempts-{uuid.uuid4().hex[:8]}:"


@pytest.fixture
def limiter(container, prefix, clock) -> RedisAttemptLimiter:
    return RedisAttemptLimiter(container.redis, prefix, LIMIT, clock)


async def test_the_limit_holds_across_the_turn_of_a_minute(limiter, clock):
    assert [await limiter.hit(["client:a"]) for _ in range(LIMIT)] == [None] * LIMIT
    clock.advance(0.2)
    assert await limiter.hit(["client:a"]) == 60


async def test_an_attempt_is_allowed_again_once_the_oldest_is_a_minute_old(limiter, clock):
    await limiter.hit(["client:a"])
    clock.advance(30)
    await limiter.hit(["client:a"])
    clock.advance(20)
    assert await limiter.hit(["client:a"]) == 10
    clock.advance(10)
    assert await limiter.hit(["client:a"]) is None
    assert await limiter.hit(["client:a"]) == 30


async def test_a_refused_attempt_is_not_counted(limiter, clock):
    for _ in range(LIMIT + 5):
        await limiter.hit(["client:a"])
    clock.advance(60)
    assert await limiter.hit(["client:a"]) is None


async def test_every_key_must_be_under_its_limit_and_only_an_allowed_attempt_counts(limiter):
    for _ in range(LIMIT):
        await limiter.hit(["email:x", "client:a"])
    assert await limiter.hit(["email:y", "client:a"]) == 60
    # the refusal above did not count against email:y
    assert [await limiter.hit(["email:y", "client:b"]) for _ in range(LIMIT)] == [None] * LIMIT


async def test_keys_expire_from_redis(limiter, container, prefix):
    await limiter.hit(["client:a"])
    keys = [key async for key in container.redis.scan_iter(f"{prefix}*")]
    assert len(keys) == 1
    assert 0 < await container.redis.pttl(keys[0]) <= 60_000
