"""Use case of sending an arbitrary message to the broker, through the outbox like any event."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from app.application.ports import Clock, OutgoingMessage, UnitOfWork
from app.domain.shared import ValidationError, check_all
from app.domain.storable import storable_json

EVENT_NAME_PATTERN = r"^[A-Za-z0-9_.:-]{1,255}$"
_EVENT_NAME = re.compile(EVENT_NAME_PATTERN)
_EVENT_RULE = "1 to 255 letters, digits or . _ : -"


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
        check_all(
            {
                "event": lambda: check_event_name(cmd.event),
                "data": lambda: storable_json("data", cmd.data),
            }
        )
        message = OutgoingMessage(
            event=cmd.event, data=cmd.data, occurred_at=self._clock.now(), key=cmd.key
        )
        async with self._uow() as uow:
            uow.outbox.add(message)
            await uow.commit()
        return message.id


def check_event_name(event: str) -> str:
    """`event` unchanged; raises ValidationError unless it is a name the brokers can route."""
    if not _EVENT_NAME.fullmatch(event):  # match would let a trailing newline through
        raise ValidationError(f"event: {_EVENT_RULE}", errors=[("event", _EVENT_RULE)])
    return event
