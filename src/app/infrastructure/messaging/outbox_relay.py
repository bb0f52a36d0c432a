"""The outbox relay: publishes committed events in order and marks them sent.

Several relays may run at once (in every `app consume`, alone as `app relay`, from Celery beat):
`FOR UPDATE SKIP LOCKED` hands each pending row to one of them. The rows stay locked while they
are published, so a row is never sent by two relays at the same time. A failed publication
leaves the rows pending with `attempts` incremented and an exponential backoff.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import suppress
from datetime import timedelta

from loguru import logger
from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.application.ports import Clock, EventPublisher, OutgoingMessage
from app.infrastructure.db.tables import OutboxRow
from app.infrastructure.errors import UNAVAILABLE_ERRORS
from app.infrastructure.messaging.delivery import backoff

MAX_BACKOFF_SECONDS = 60.0
MAX_ERROR_LENGTH = 2000


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        publisher: EventPublisher,
        clock: Clock,
        batch_size: int = 100,
        base_delay: float = 1.0,
    ) -> None:
        self._sessions, self._publisher, self._clock = sessions, publisher, clock
        self._batch_size, self._base_delay = batch_size, base_delay

    async def run_once(self) -> int:
        """Publish one batch of due rows; the number published (0 when none or on failure)."""
        async with self._sessions() as session, session.begin():
            rows = (await session.scalars(self._due())).all()
            if not rows:
                return 0
            try:
                await self._publisher.publish([_message(row) for row in rows])
            except Exception as exc:  # the rows stay pending, whatever the failure was
                self._postpone(rows, exc)
                logger.warning("outbox relay: {} rows postponed: {}", len(rows), exc)
                return 0
            now = self._clock.now()
            ids = [row.id for row in rows]
            await session.execute(
                update(OutboxRow).where(OutboxRow.id.in_(ids)).values(published_at=now)
            )
        return len(rows)

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
        return (
            select(OutboxRow)
            .where(OutboxRow.published_at.is_(None), OutboxRow.next_attempt_at <= self._clock.now())
            .order_by(OutboxRow.id)
            .limit(self._batch_size)
            .with_for_update(skip_locked=True)
        )

    def _postpone(self, rows: Sequence[OutboxRow], exc: Exception) -> None:
        now = self._clock.now()
        for row in rows:
            row.attempts += 1
            delay = backoff(self._base_delay, row.attempts, MAX_BACKOFF_SECONDS)
            row.next_attempt_at = now + timedelta(seconds=delay)
            row.last_error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]


def _message(row: OutboxRow) -> OutgoingMessage:
    return OutgoingMessage(
        id=row.message_id,
        event=row.event,
        data=row.payload,
        occurred_at=row.occurred_at,
        correlation_id=row.correlation_id,
        key=row.ordering_key,
    )
