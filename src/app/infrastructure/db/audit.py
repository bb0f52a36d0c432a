"""The audit trail's writer: a row and its `audit.recorded.v1` outbox message, one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.application.audit import audit_message
from app.application.ports import Outbox
from app.domain.audit.entry import AuditEntry
from app.infrastructure.db.tables import AuditRow


class SqlAuditTrail:
    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        self._session, self._outbox = session, outbox

    def record(self, entry: AuditEntry) -> None:
        message = audit_message(entry)
        self._session.add(
            AuditRow(
                uuid=entry.id,
                occurred_at=entry.occurred_at,
                action=str(entry.action),
                actor_kind=str(entry.actor_kind),
                actor_uuid=entry.actor_id,
                target_uuid=entry.target_id,
                request_id=entry.request_id,
                client_address=entry.client_address,
                detail=message.data["detail"],
            )
        )
        self._outbox.add(message)
