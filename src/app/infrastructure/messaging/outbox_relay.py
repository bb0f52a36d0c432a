"""The outbox relay: publishes committed events in order per key, marks them sent, parks refusals.

A relay runs in every `app consume`, alone as `app relay` and from Celery beat, so a fleet has
many; one publishes at a time. Each round is one transaction that starts with
`pg_try_advisory_xact_lock(RELAY_LOCK_KEY)`: the relay that gets it publishes, the others find
it taken, publish nothing that round and try again at their next one. The lock is scoped to the
transaction, not to the session, because behind PgBouncer in transaction pooling a session is
not a connection; it is released by the commit, or by PostgreSQL when the holder's connection
dies (a process killed mid-round), so another relay takes over within one
OUTBOX_RELAY_INTERVAL_SECONDS. Rounds never overlap, so each starts from what the last one
committed: the rows of one ordering key reach the broker in `id` order. A holder killed after the
broker confirmed part of its round and before its commit leaves those rows pending: the next
holder publishes them again (at least once; the consumers' inbox drops the copies).

The rows are still taken `FOR UPDATE SKIP LOCKED`, and a row whose key has an older row pending
outside the batch waits for it: a relay that does not take the lock (an older release during a
rolling upgrade) or a transaction holding a row (`app outbox retry`) cannot make a key overtake
itself either.

A broker that is down (DependencyUnavailable) is no row's fault: the round stops and the rows
stay due, with no attempt counted. A broker that refuses one message (MessageRefused: over its
size limit, say) refuses it every time: that row alone is postponed with `attempts + 1` and a
backoff, and after `max_attempts` refusals it is parked (`failed_at`) for an operator to look
at (`app outbox`); the rows of other keys go on meanwhile.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from loguru import logger
from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from app.application.ports import Clock, EventPublisher, OutgoingMessage
from app.domain.shared import DependencyUnavailable
from app.infrastructure.db.tables import OutboxRow
from app.infrastructure.errors import UNAVAILABLE_ERRORS
from app.infrastructure.messaging.delivery import backoff
from app.infrastructure.messaging.outbox_metrics import report_backlog
from app.infrastructure.metrics import OUTBOX_FAILURES, OUTBOX_PARKED, OUTBOX_PUBLISHED

MAX_BACKOFF_SECONDS = 60.0
MAX_ERROR_LENGTH = 2000


def _lock_key(table: str) -> int:
    """The same signed 64-bit key in every process and release: a digest of the table's name."""
    digest = hashlib.blake2b(f"outbox-relay:{table}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


RELAY_LOCK_KEY = _lock_key(OutboxRow.__tablename__)
_TAKE_THE_TURN = select(func.pg_try_advisory_xact_lock(RELAY_LOCK_KEY))


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        publisher: EventPublisher,
        clock: Clock,
        batch_size: int = 100,
        base_delay: float = 1.0,
        max_attempts: int = 10,
    ) -> None:
        self._sessions, self._publisher, self._clock = sessions, publisher, clock
        self._batch_size, self._base_delay = batch_size, base_delay
        self._max_attempts = max_attempts

    async def run_once(self) -> int:
        """Publish one batch of due rows unless another relay is publishing; how many it sent."""
        async with self._sessions() as session, session.begin():
            if not await session.scalar(_TAKE_THE_TURN):
                return 0  # another relay is in its round; this one tries again at its next
            await report_backlog(session, self._base_delay)  # the gauges: by the holder only
            due = (await session.scalars(self._due())).all()
            return await self._publish(await _first_of_their_keys(session, due))

    async def run_forever(self, interval: float, stop: asyncio.Event) -> None:
        """Drain due rows, then wait `interval` (or until `stop`) and go again."""
        while not stop.is_set():
            try:
                while await self.run_once() == self._batch_size and not stop.is_set():
                    pass
            except UNAVAILABLE_ERRORS as exc:  # the database is down: try again next round
                logger.warning("outbox relay: database unavailable: {}", exc)
            except Exception:  # e.g. a missing table: keep the loop alive, the rows wait
                logger.exception("outbox relay: round failed")
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    def _due(self) -> Select[OutboxRow]:
        now = self._clock.now()
        older = aliased(OutboxRow)
        # Behind an older row of its key that waits for its backoff, a row waits too; left out
        # here (not skipped later), such rows never fill the batch and hold up the other keys.
        behind_a_waiting_row = exists().where(
            older.ordering_key == OutboxRow.ordering_key,
            older.id < OutboxRow.id,
            _pending(older),
            older.next_attempt_at > now,
        )
        return (
            select(OutboxRow)
            .where(_pending(OutboxRow), OutboxRow.next_attempt_at <= now, ~behind_a_waiting_row)
            .order_by(OutboxRow.id)
            .limit(self._batch_size)
            .with_for_update(skip_locked=True)
        )

    async def _publish(self, rows: Sequence[OutboxRow]) -> int:
        held, sent = set[str](), 0
        for wave in _waves(rows):
            wave = [row for row in wave if row.ordering_key not in held]
            if not wave:
                continue
            try:
                outcomes = await self._send(wave)
            except DependencyUnavailable as exc:
                for row in wave:
                    row.last_error = _describe(exc)
                OUTBOX_FAILURES.labels("broker-unavailable").inc(len(wave))
                logger.warning("outbox relay: broker unavailable, rows wait: {}", exc)
                break
            now = self._clock.now()  # a backoff counts from the refusal, not the round's start
            for row, refusal in zip(wave, outcomes, strict=True):
                if refusal is None:
                    row.published_at, sent = now, sent + 1
                    continue
                self._refused(row, refusal, now)
                if row.failed_at is None and row.ordering_key is not None:
                    held.add(row.ordering_key)  # the younger rows of its key wait for it
        OUTBOX_PUBLISHED.inc(sent)
        return sent

    async def _send(self, rows: Sequence[OutboxRow]) -> list[Exception | None]:
        outcomes = list(await self._publisher.publish_each([_message(row) for row in rows]))
        if len(rows) == 1:
            return outcomes
        # A refusal among messages in flight together may be another's (RabbitMQ closes the
        # channel on the message it refuses, failing those behind it): each is tried alone, and
        # only a message refused on its own is counted against.
        for index, refusal in enumerate(outcomes):
            if refusal is not None:
                [outcomes[index]] = await self._publisher.publish_each([_message(rows[index])])
        return outcomes

    def _refused(self, row: OutboxRow, refusal: Exception, now: datetime) -> None:
        row.attempts += 1
        row.last_error = _describe(refusal)
        OUTBOX_FAILURES.labels("refused").inc()
        if row.attempts >= self._max_attempts:
            row.failed_at = now
            OUTBOX_PARKED.inc()
            logger.error(
                "outbox relay: row {} ({}) parked after {} refusals: {}",
                row.id,
                row.event,
                row.attempts,
                refusal,
            )
            return
        delay = backoff(self._base_delay, row.attempts, MAX_BACKOFF_SECONDS)
        row.next_attempt_at = now + timedelta(seconds=delay)
        logger.warning("outbox relay: row {} refused, postponed: {}", row.id, refusal)


def _pending(row: Any) -> ColumnElement[bool]:
    return row.published_at.is_(None) & row.failed_at.is_(None)  # type: ignore[no-any-return]


async def _first_of_their_keys(session: AsyncSession, rows: Sequence[OutboxRow]) -> list[OutboxRow]:
    """The rows that no pending row of their key outside the batch precedes (another relay's)."""
    keys = {row.ordering_key for row in rows if row.ordering_key is not None}
    if not keys:
        return list(rows)
    elsewhere = (
        select(OutboxRow.ordering_key, func.min(OutboxRow.id))
        .where(
            _pending(OutboxRow),
            OutboxRow.ordering_key.in_(keys),
            OutboxRow.id.not_in([row.id for row in rows]),
        )
        .group_by(OutboxRow.ordering_key)
    )
    first: dict[str | None, int] = {key: id_ for key, id_ in await session.execute(elsewhere)}
    return [row for row in rows if row.id < first.get(row.ordering_key, row.id + 1)]


def _waves(rows: Sequence[OutboxRow]) -> list[list[OutboxRow]]:
    """The rows in waves holding at most one row per key, each wave in `id` order.

    A wave is published once the one before it is confirmed, so a row never goes out before
    the older rows of its key did. Rows without a key promise no order: all in the first wave.
    """
    waves: list[list[OutboxRow]] = []
    seen: Counter[str] = Counter()
    for row in rows:
        depth = 0
        if row.ordering_key is not None:
            depth = seen[row.ordering_key]
            seen[row.ordering_key] += 1
        if depth == len(waves):
            waves.append([])
        waves[depth].append(row)
    return waves


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]


def _message(row: OutboxRow) -> OutgoingMessage:
    return OutgoingMessage(
        id=row.message_id,
        event=row.event,
        data=row.payload,
        occurred_at=row.occurred_at,
        correlation_id=row.correlation_id,
        key=row.ordering_key,
        trace_context={
            name: value
            for name, value in (("traceparent", row.traceparent), ("tracestate", row.tracestate))
            if value is not None
        },
    )
