"""The `debug.echo.v1` use case: a smoke test that makes retries and deduplication visible."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID


class EchoCounter(Protocol):
    async def increment_once(self, key: str, message_id: UUID | None, seq: int | None) -> bool:
        """Add 1 to the key's counter unless this message id was counted; True when counted.

        In the same atomic step, a `seq` is appended to the key's list of handled seqs."""
        ...


class EchoFailed(Exception):
    """A deliberate failure, asked for by the message's `fail_times`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Echo:
    key: str
    fail_times: int
    attempt: int  # 1 on the first delivery of the message
    message_id: UUID | None = None
    seq: int | None = None  # where the sender put it in its key's sequence: order made visible


class EchoService:
    def __init__(self, counter: EchoCounter) -> None:
        self._counter = counter

    async def echo(self, cmd: Echo) -> bool:
        """Fail the first `fail_times` attempts, then count the message (and its seq) once.

        Raises EchoFailed."""
        if cmd.attempt <= cmd.fail_times:
            raise EchoFailed(f"attempt {cmd.attempt} of {cmd.fail_times} planned failures")
        return await self._counter.increment_once(cmd.key, cmd.message_id, cmd.seq)
