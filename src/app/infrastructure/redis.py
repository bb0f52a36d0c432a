"""Redis adapters: the session store (atomic refresh rotation) and the attempt rate limiter.

A session is a hash and each user has a set of their session ids, so all of a user's sessions
end in one call. The hash's fields, which every reader of sessions shares:

    sub       the user's uuid                 jti       the live refresh token's id
    roles     the user's roles at sign-in, comma-separated (absent in older sessions: `user`)
    deadline  the absolute end, epoch seconds
    created   sign-in, epoch seconds          used      the last sign-in or refresh, epoch seconds
    client    the client address at sign-in   agent     its User-Agent (at most 256 characters)

The scripts below build session keys from ids they read, so the store needs one Redis node, not
a cluster. Time is Redis's own (`TIME`), so every process agrees on the deadline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID, uuid4

from redis.asyncio import Redis

from app.application.ports import Clock
from app.domain.auth.permissions import BASE_ROLE, Role, known_roles
from app.domain.auth.session import RefreshOutcome, SessionInfo, SessionLifetime

# KEYS[1] session, KEYS[2] the user's index; ARGV user id, session id, jti, idle s, max s, prefix,
# roles, client address, user agent.
_CREATE = """
local now = tonumber(redis.call('TIME')[1])
local idle, max = tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('HSET', KEYS[1], 'sub', ARGV[1], 'jti', ARGV[3], 'deadline', now + max,
  'roles', ARGV[7], 'created', now, 'used', now, 'client', ARGV[8], 'agent', ARGV[9])
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
redis.call('HSET', KEYS[1], 'jti', ARGV[3], 'used', now)
redis.call('EXPIRE', KEYS[1], math.min(tonumber(ARGV[4]), left))
return 'rotated'
"""

# KEYS[1] session, KEYS[2] the user's index; ARGV user id, session id. 1 when it was the user's.
_DELETE = """
if redis.call('HGET', KEYS[1], 'sub') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 1
"""

# KEYS[1] the user's index; ARGV session key prefix, user id. Per live session of the user, its
# id then the fields of _FIELDS ('' for one it lacks); ids of sessions gone leave the index.
_LIST = """
local found = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local sub, created, used, client, agent = unpack(
    redis.call('HMGET', ARGV[1] .. id, 'sub', 'created', 'used', 'client', 'agent'))
  if sub == ARGV[2] then
    for _, value in ipairs({id, created or '', used or '', client or '', agent or ''}) do
      found[#found + 1] = value
    end
  elseif not sub then
    redis.call('SREM', KEYS[1], id)
  end
end
return found
"""
_LISTED = 5  # values per session in _LIST's answer
_NEVER = datetime.min.replace(tzinfo=UTC)  # the sessions opened before `created` sort first

# KEYS[1] the user's index; ARGV session key prefix, the id of a session to keep ("" for none).
_REVOKE_ALL = """
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= ARGV[2] then
    redis.call('DEL', ARGV[1] .. id)
    redis.call('SREM', KEYS[1], id)
  end
end
"""

# KEYS: one log of attempt times per key; ARGV limit, window ms, now ms, this attempt's id.
# An attempt counts under every key only when no key is at its limit; else the answer is the
# milliseconds until the oldest attempt that blocks leaves its window, or 0 when allowed.
_HIT = """
local limit, window, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local wait = 0
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local blocking = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    wait = math.max(wait, tonumber(blocking[2]) + window - now)
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
end
return 0
"""


class RedisSessionStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix, self._index = prefix + "session:", prefix + "user-sessions:"
        self._create = redis.register_script(_CREATE)
        self._rotate = redis.register_script(_ROTATE)
        self._revoke_all = redis.register_script(_REVOKE_ALL)
        self._delete = redis.register_script(_DELETE)
        self._list = redis.register_script(_LIST)

    async def create(
        self,
        session_id: str,
        user_id: UUID,
        refresh_jti: str,
        lifetime: SessionLifetime,
        *,
        roles: frozenset[Role] = frozenset({BASE_ROLE}),
        client_address: str = "",
        user_agent: str = "",
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
                ",".join(sorted(roles)),
                client_address,
                user_agent,
            ],
        )

    async def roles_of(self, session_id: str, user_id: UUID) -> frozenset[Role] | None:
        # One HMGET on the hot path: it proves the session is live and whose it is, and reads
        # the roles it was opened with.
        sub, roles = await self._redis.hmget(self._prefix + session_id, ["sub", "roles"])
        if sub != str(user_id):
            return None
        return known_roles(str(roles).split(",") if roles else ())

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

    async def sessions_of(self, user_id: UUID) -> list[SessionInfo]:
        found = await self._list(
            keys=[self._index + str(user_id)], args=[self._prefix, str(user_id)]
        )
        rows = [found[i : i + _LISTED] for i in range(0, len(found), _LISTED)]
        return sorted(
            (_info(*row) for row in rows), key=lambda s: (s.created_at or _NEVER, s.session_id)
        )

    async def delete(self, session_id: str, user_id: UUID) -> bool:
        keys = [self._prefix + session_id, self._index + str(user_id)]
        return bool(await self._delete(keys=keys, args=[str(user_id), session_id]))

    async def revoke_all(self, user_id: UUID, *, keep: str | None = None) -> None:
        # An index left empty is gone: Redis drops an empty set.
        await self._revoke_all(keys=[self._index + str(user_id)], args=[self._prefix, keep or ""])


def _info(session_id: str, created: str, used: str, client: str, agent: str) -> SessionInfo:
    return SessionInfo(session_id, _time(created), _time(used), client, agent)


def _time(epoch: str) -> datetime | None:
    return datetime.fromtimestamp(int(epoch), UTC) if epoch else None


class RedisAttemptLimiter:
    """At most `limit` attempts in any `window_seconds` per key (email, client address), under
    the prefix of one use (`app:sign-in:`, `app:sign-up:`).

    A sliding log (a sorted set of attempt times per key), not calendar minutes: those would
    let twice the limit through around the turn of a minute. A refused attempt is not logged,
    so a client that keeps trying gets exactly the limit, and the log holds at most `limit`
    entries per key."""

    def __init__(
        self, redis: Redis, prefix: str, limit: int, clock: Clock, window_seconds: int = 60
    ) -> None:
        self._hit = redis.register_script(_HIT)
        self._limit, self._window_ms, self._prefix = limit, window_seconds * 1000, prefix
        self._clock = clock

    async def hit(self, keys: Sequence[str]) -> int | None:
        now_ms = int(self._clock.now().timestamp() * 1000)
        wait_ms = await self._hit(
            keys=[self._prefix + key for key in keys],
            args=[self._limit, self._window_ms, now_ms, uuid4().hex],
        )
        return max(math.ceil(int(wait_ms) / 1000), 1) if wait_ms else None


class RedisProbe:
    name = "redis"

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def check(self) -> None:
        await self._redis.ping()
