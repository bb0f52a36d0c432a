"""The notifications repository: rows added to the unit of work's session, written at commit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.infrastructure.db.tables import NotificationRow


class SqlNotifications:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, user_id: UUID, kind: str, payload: dict[str, Any]) -> None:
        self._session.add(NotificationRow(user_uuid=user_id, kind=kind, payload=payload))
