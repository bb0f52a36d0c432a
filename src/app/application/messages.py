"""Use case of sending an arbitrary message to the broker, through the outbox like any event."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from app.application.ports import Clock, OutgoingMessage, UnitOfWork
from app.domain.shared import ValidationError

_EVENT_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,255}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class SendMessage:
    event: str
    data: dict[str, Any]
    key: str | None = None


class MessageService:
    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def send(self, cmd: SendMessage) -> UUID:
        """Write the message to the outbox; the relay publishes it. Raises ValidationError."""
        if not _EVENT_NAME.match(cmd.event):
            raise ValidationError(
                "event: 1 to 255 letters, digits or . _ : -", errors=[("event", "invalid name")]
            )
        message = OutgoingMessage(
            event=cmd.event, data=cmd.data, occurred_at=self._clock.now(), key=cmd.key
        )
        async with self._uow() as uow:
            uow.outbox.add(message)
            await uow.commit()
        return message.id
