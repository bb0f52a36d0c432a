"""The outbox's backlog, measured by the relay that holds the turn: pending, oldest, parked.

One statement, run in the relay's own transaction right after it took the turn, so only the
process publishing queries it and the figures are those the round starts from. Both counts
use a partial index (`ix_outbox_pending`, `ix_outbox_parked`): the cost follows the rows
waiting or parked, not the published rows the table keeps for OUTBOX_RETENTION_DAYS.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.infrastructure.db.tables import OutboxRow
from app.infrastructure.metrics import OutboxBacklog, report_outbox_backlog

# A relay that stopped taking the turn stops reporting after this many of its intervals.
FRESH_ROUNDS = 3
MIN_FRESH_SECONDS = 10.0

_pending = OutboxRow.published_at.is_(None) & OutboxRow.failed_at.is_(None)
_BACKLOG = select(
    select(func.count()).where(_pending).scalar_subquery(),
    select(func.min(OutboxRow.occurred_at)).where(_pending).scalar_subquery(),
    select(func.count()).where(OutboxRow.failed_at.is_not(None)).scalar_subquery(),
)


async def measure_backlog(session: AsyncSession) -> OutboxBacklog:
    """The outbox as this transaction sees it."""
    pending, oldest, parked = (await session.execute(_BACKLOG)).one()
    return OutboxBacklog(
        pending=int(pending),
        oldest_pending_at=None if oldest is None else oldest.timestamp(),
        parked=int(parked),
    )


async def report_backlog(session: AsyncSession, interval: float) -> None:
    """Measure the backlog and publish it as the outbox gauges for a few relay intervals."""
    valid_for = max(MIN_FRESH_SECONDS, FRESH_ROUNDS * interval)
    report_outbox_backlog(await measure_backlog(session), valid_for)
