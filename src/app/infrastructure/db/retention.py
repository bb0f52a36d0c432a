"""Retention of the messaging tables: published outbox rows and handled inbox ids expire."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import CursorResult, delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.application.ports import Clock
from app.infrastructure.db.tables import InboxRow, OutboxRow


class MessageRetention:
    """Deletes what the outbox and inbox no longer need, so both stay small.

    An inbox id guards against a redelivered message; once it is older than any redelivery
    can be (the retention), it guards nothing. Pending outbox rows are never deleted.
    """

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock, retention_days: int
    ) -> None:
        self._sessions, self._clock = sessions, clock
        self._retention = timedelta(days=retention_days)

    async def purge(self) -> int:
        """Delete published outbox rows and inbox ids older than the retention; how many."""
        cutoff = self._clock.now() - self._retention
        published = delete(OutboxRow).where(OutboxRow.published_at < cutoff)
        handled = delete(InboxRow).where(InboxRow.handled_at < cutoff)
        async with self._sessions() as session, session.begin():
            removed = [await session.execute(query) for query in (published, handled)]
        return sum(_count(result) for result in removed)


def _count(result: object) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0
