"""The Redis counter behind `debug.echo.v1`: `debug:echo:<key>`, counted once per message id."""

from __future__ import annotations

from uuid import UUID

from redis.asyncio import Redis

TTL_SECONDS = 3600

# KEYS counter, seen-marker, seq list; ARGV ttl, has-id, seq ('' for none). The marker, the
# increment and the seq are one atomic step, so a crash can never leave a message marked but
# uncounted (or counted twice), nor its seq missing from the list or in it twice.
_INCREMENT_ONCE = """
if ARGV[2] == '1' and not redis.call('SET', KEYS[2], '1', 'NX', 'EX', tonumber(ARGV[1])) then
  return 0
end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
if ARGV[3] ~= '' then
  redis.call('RPUSH', KEYS[3], ARGV[3])
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[1]))
end
return 1
"""


class RedisEchoCounter:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis, self._prefix = redis, prefix
        self._script = redis.register_script(_INCREMENT_ONCE)

    def key(self, key: str) -> str:
        return f"{self._prefix}debug:echo:{key}"

    def seq_key(self, key: str) -> str:
        return f"{self.key(key)}:seq"

    async def increment_once(self, key: str, message_id: UUID | None, seq: int | None) -> bool:
        seen = f"{self._prefix}debug:echo-seen:{message_id}"
        has_id = "1" if message_id is not None else "0"
        counted = await self._script(
            keys=[self.key(key), seen, self.seq_key(key)],
            args=[TTL_SECONDS, has_id, "" if seq is None else str(seq)],
        )
        return bool(counted)
