"""The message envelope of SPEC §6: one TypeAdapter parses it, one function writes it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import orjson
from pydantic import ConfigDict, Field, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from pydantic.dataclasses import dataclass

from app.application.ports import OutgoingMessage
from app.infrastructure.validation import domain_error


@dataclass(frozen=True, slots=True, kw_only=True, config=ConfigDict(extra="ignore"))
class Envelope:
    """A message as it travels; without `id` it is processed but cannot be deduplicated."""

    event: Annotated[str, Field(min_length=1, max_length=255)]
    data: dict[str, Any]
    id: UUID | None = None
    occurred_at: datetime | None = None
    correlation_id: str | None = None


_ENVELOPE = TypeAdapter(Envelope)


class MalformedMessage(Exception):
    """The body is not an envelope: not JSON, not an object, or `event`/`data` missing or bad."""


def parse(body: bytes) -> Envelope:
    """The envelope in `body`. Raises MalformedMessage naming what is wrong."""
    try:
        return _ENVELOPE.validate_json(body)
    except PydanticValidationError as exc:
        raise MalformedMessage(domain_error(exc).detail) from None


def encode(message: OutgoingMessage) -> bytes:
    return orjson.dumps(
        {
            "id": str(message.id),
            "event": message.event,
            "data": message.data,
            "occurred_at": message.occurred_at.isoformat(),
            "correlation_id": message.correlation_id,
        }
    )
