"""Redis adapters: the session store (atomic refresh rotation) and the sign-in rate limiter."""

from __future__ import annotations

import time
from collections.abc import Sequence
from uuid import UUID

from redis.asyncio import Redis

from app.domain.auth.session import RefreshOutcome

# KEYS[1] session hash; ARGV presented jti, new jti, ttl.
# One script, so two concurrent refreshes with the same token cannot both see it as live.
_ROTATE = """
local live = redis.call('HGET', KEYS[1], 'jti')
if not live then return 'missing' end
if live ~= ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 'reused'
end
redis.call('HSET', KEYS[1], 'jti', ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 'rotated'
"""

# KEYS: one counter per key; ARGV limit, window seconds. Returns the seconds to wait, or 0.
_HIT = """
local wait = 0
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, tonumber(ARGV[2])) end
  if count > tonumber(ARGV[1]) then
    local ttl = redis.call('TTL', key)
    if ttl > wait then wait = ttl end
  end
end
return wait
"""


class RedisSessionStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis, self._prefix = redis, prefix + "session:"
        self._rotate = redis.register_script(_ROTATE)

    async def create(self, session_id: str, user_id: UUID, refresh_jti: str, ttl: int) -> None:
        key = self._prefix + session_id
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"sub": str(user_id), "jti": refresh_jti})
            pipe.expire(key, ttl)
            await pipe.execute()

    async def exists(self, session_id: str) -> bool:
        return bool(await self._redis.exists(self._prefix + session_id))

    async def rotate(
        self, session_id: str, presented_jti: str, new_jti: str, ttl: int
    ) -> RefreshOutcome:
        outcome = await self._rotate(
            keys=[self._prefix + session_id], args=[presented_jti, new_jti, ttl]
        )
        return RefreshOutcome(outcome.decode() if isinstance(outcome, bytes) else outcome)

    async def delete(self, session_id: str) -> None:
        await self._redis.delete(self._prefix + session_id)


class RedisAttemptLimiter:
    """Fixed one-minute windows per key (email, client address)."""

    def __init__(self, redis: Redis, prefix: str, limit: int, window_seconds: int = 60) -> None:
        self._hit = redis.register_script(_HIT)
        self._limit, self._window, self._prefix = limit, window_seconds, prefix + "sign-in:"

    async def hit(self, keys: Sequence[str]) -> int | None:
        window = int(time.time()) // self._window
        redis_keys = [f"{self._prefix}{key}:{window}" for key in keys]
        wait = int(await self._hit(keys=redis_keys, args=[self._limit, self._window]))
        return max(wait, 1) if wait else None


class RedisProbe:
    name = "redis"

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def check(self) -> None:
        await self._redis.ping()
