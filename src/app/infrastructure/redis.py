"""Redis adapters: the session store (atomic refresh rotation) and the attempt rate limiter.

A session is a hash (`sub` its user, `jti` the live refresh token, `deadline` its absolute end in
epoch seconds) and each user has a set of their session ids, so all of a user's sessions end in
one call. The scripts below build session keys from ids they read, so the store needs one Redis
node, not a cluster. Time is Redis's own (`TIME`), so every process agrees on the deadline.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from uuid import UUID

from redis.asyncio import Redis

from app.domain.auth.session import RefreshOutcome, SessionLifetime

# KEYS[1] session, KEYS[2] the user's index; ARGV user id, session id, jti, idle s, max s, prefix.
_CREATE = """
local now = tonumber(redis.call('TIME')[1])
local idle, max = tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('HSET', KEYS[1], 'sub', ARGV[1], 'jti', ARGV[3], 'deadline', now + max)
redis.call('EXPIRE', KEYS[1], math.min(idle, max))
-- Forget the sessions that expired on their own, so the index stays as small as the live set.
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[6] .. id) == 0 then redis.call('SREM', KEYS[2], id) end
end
redis.call('SADD', KEYS[2], ARGV[2])
-- Outlives every member: none ends later than `max` after its creation.
redis.call('EXPIRE', KEYS[2], max)
"""

# KEYS[1] session, KEYS[2] the user's index; ARGV user id, presented jti, new jti, idle s, max s,
# session id. One script, so two concurrent refreshes with the same token cannot both see it as
# live; another user's session is answered 'missing' and left untouched.
_ROTATE = """
local sub, live, deadline = unpack(redis.call('HMGET', KEYS[1], 'sub', 'jti', 'deadline'))
if not live or sub ~= ARGV[1] then return 'missing' end
if live ~= ARGV[2] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[6])
  return 'reused'
end
local now = tonumber(redis.call('TIME')[1])
if not deadline then
  -- Opened before sessions had deadlines: it gets one now, and joins its user's index.
  deadline = now + tonumber(ARGV[5])
  redis.call('HSET', KEYS[1], 'deadline', deadline)
  redis.call('SADD', KEYS[2], ARGV[6])
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[5]))
end
local left = tonumber(deadline) - now
if left <= 0 then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[6])
  return 'expired'
end
redis.call('HSET', KEYS[1], 'jti', ARGV[3])
redis.call('EXPIRE', KEYS[1], math.min(tonumber(ARGV[4]), left))
return 'rotated'
"""

# KEYS[1] the user's index; ARGV session key prefix.
_REVOKE_ALL = """
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('DEL', ARGV[1] .. id) end
redis.call('DEL', KEYS[1])
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
        self._redis = redis
        self._prefix, self._index = prefix + "session:", prefix + "user-sessions:"
        self._create = redis.register_script(_CREATE)
        self._rotate = redis.register_script(_ROTATE)
        self._revoke_all = redis.register_script(_REVOKE_ALL)

    async def create(
        self, session_id: str, user_id: UUID, refresh_jti: str, lifetime: SessionLifetime
    ) -> None:
        await self._create(
            keys=[self._prefix + session_id, self._index + str(user_id)],
            args=[
                str(user_id),
                session_id,
                refresh_jti,
                lifetime.idle_seconds,
                lifetime.max_seconds,
                self._prefix,
            ],
        )

    async def belongs_to(self, session_id: str, user_id: UUID) -> bool:
        # One HGET on the hot path: it proves the session is live and whose it is.
        return await self._redis.hget(self._prefix + session_id, "sub") == str(user_id)

    async def rotate(
        self,
        session_id: str,
        user_id: UUID,
        presented_jti: str,
        new_jti: str,
        lifetime: SessionLifetime,
    ) -> RefreshOutcome:
        outcome = await self._rotate(
            keys=[self._prefix + session_id, self._index + str(user_id)],
            args=[
                str(user_id),
                presented_jti,
                new_jti,
                lifetime.idle_seconds,
                lifetime.max_seconds,
                session_id,
            ],
        )
        return RefreshOutcome(outcome.decode() if isinstance(outcome, bytes) else outcome)

    async def delete(self, session_id: str, user_id: UUID) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._prefix + session_id)
            pipe.srem(self._index + str(user_id), session_id)
            await pipe.execute()

    async def revoke_all(self, user_id: UUID) -> None:
        await self._revoke_all(keys=[self._index + str(user_id)], args=[self._prefix])


class RedisAttemptLimiter:
    """Fixed one-minute windows per key (email, client address), under the prefix of one use
    (`app:sign-in:`, `app:sign-up:`)."""

    def __init__(self, redis: Redis, prefix: str, limit: int, window_seconds: int = 60) -> None:
        self._hit = redis.register_script(_HIT)
        self._limit, self._window, self._prefix = limit, window_seconds, prefix

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
