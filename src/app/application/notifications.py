"""Notifications of users: the welcome note recorded when an account is registered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from app.application.ports import UnitOfWork

WELCOME = "welcome"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordWelcome:
    user_id: UUID
    email: str
    message_id: UUID | None = None  # the event that asked for it: handled at most once


class NotificationService:
    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    async def record_welcome(self, cmd: RecordWelcome) -> bool:
        """Record the welcome note once per message id; False when that id was handled before."""
        async with self._uow() as uow:
            # The claim and the row commit together: a redelivery finds the id and does nothing.
            if cmd.message_id is not None and not await uow.inbox.claim(cmd.message_id):
                return False
            uow.notifications.add(cmd.user_id, WELCOME, {"email": cmd.email})
            await uow.commit()
        return True
