"""Parked outbox rows, for the operator (`app outbox`): list them, queue them again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import CursorResult, Update, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.application.ports import Clock
from app.infrastructure.db.tables import OutboxRow


@dataclass(frozen=True, slots=True)
class FailedRow:
    id: int
    message_id: UUID
    event: str
    attempts: int
    last_error: str | None
    failed_at: datetime


class ParkedOutbox:
    """The rows the relay parked after OUTBOX_MAX_ATTEMPTS refusals by the broker."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions, self._clock = sessions, clock

    async def list(self) -> list[FailedRow]:
        """Every parked row, oldest first."""
        query = select(OutboxRow).where(OutboxRow.failed_at.is_not(None)).order_by(OutboxRow.id)
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        return [_failed(row) for row in rows]

    async def retry(self, row_id: int) -> bool:
        """Queue one parked row again; False when no parked row has this id."""
        return await self._requeue(self._requeued().where(OutboxRow.id == row_id)) == 1

    async def retry_all(self) -> int:
        """Queue every parked row again; how many."""
        return await self._requeue(self._requeued())

    def _requeued(self) -> Update:
        # A fresh start: the relay sends it at its next round, with a full set of attempts.
        return (
            update(OutboxRow)
            .where(OutboxRow.failed_at.is_not(None))
            .values(failed_at=None, attempts=0, next_attempt_at=self._clock.now())
        )

    async def _requeue(self, statement: Update) -> int:
        async with self._sessions() as session, session.begin():
            result = await session.execute(statement)
        return result.rowcount if isinstance(result, CursorResult) else 0


def _failed(row: OutboxRow) -> FailedRow:
    assert row.failed_at is not None  # the query's condition
    return FailedRow(
        id=row.id,
        message_id=row.message_id,
        event=row.event,
        attempts=row.attempts,
        last_error=row.last_error,
        failed_at=row.failed_at,
    )
