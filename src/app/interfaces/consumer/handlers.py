"""HANDLERS_MAP: what each event means to this service. Copy an entry to add one.

An entry is one of two kinds:

- an async handler, `async def handler(container, data, message) -> bool | None`, run in the
  consumer (`debug.echo.v1`). It validates `data` with a TypeAdapter (a failure dead-letters
  the message as `invalid-data`), then calls one use case; one that writes to the database
  claims `message.id` in the inbox in the same unit of work as its writes, so a redelivery
  does nothing, and returns the use case's False then (the metrics count it as a duplicate).
  Raise to fail the attempt: the consumer retries with backoff, then dead-letters.
- a `CeleryRoute(task_name, queue)` (`users.registered.v1`): the consumer queues the message
  for that Celery task and acks once the Celery broker accepted it; its `data` adapter checks
  the payload first (a failure dead-letters it as `invalid-data`), then the task runs the use
  case in a worker. The consumer needs a TaskSender for it (`app consume` passes one).

Before either kind runs, the dispatcher dead-letters as `invalid-data` any `data` that breaks
the storable rule of `domain/storable.py` (a NUL, NaN, an infinity, nesting past 32 levels), so
no handler has to think of what PostgreSQL or a serializer would refuse.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import Field, TypeAdapter
from pydantic.dataclasses import dataclass as pydantic_dataclass

from app.application.echo import Echo
from app.config.celery import DEFAULT_QUEUE, SEND_PASSWORD_RESET, SEND_WELCOME
from app.container import Container
from app.domain.audit.entry import AUDIT_RECORDED
from app.domain.users.events import (
    UserDeactivated,
    UserPasswordChanged,
    UserProfileUpdated,
    UserReactivated,
    UserRolesChanged,
)
from app.infrastructure.tasks import PASSWORD_RESET_REQUESTED, USER_REGISTERED


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """The envelope's metadata, plus which delivery attempt this is (1 for the first)."""

    event: str
    attempt: int
    id: UUID | None = None
    occurred_at: datetime | None = None
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class CeleryRoute:
    """Hand the message to a Celery task on a queue instead of handling it here.

    `data` checks the payload before it is queued, so bad data is dead-lettered as
    `invalid-data` here, where the message can still be kept, not lost in a failed task.
    """

    task_name: str
    queue: str
    data: TypeAdapter[Any] | None = None


Handler = Callable[[Container, Mapping[str, Any], Message], Awaitable[bool | None]]


@pydantic_dataclass(frozen=True)
class EchoData:
    key: Annotated[str, Field(min_length=1, max_length=200)]
    fail_times: Annotated[int, Field(ge=0, le=1000)] = 0
    seq: Annotated[int, Field(ge=0)] | None = None


_ECHO = TypeAdapter(EchoData)


async def echo(container: Container, data: Mapping[str, Any], message: Message) -> bool:
    """`debug.echo.v1`: fails `fail_times` times, then counts `debug:echo:<key>` once per id.

    A `seq` goes to the list `debug:echo:<key>:seq` in the same step: the order of handling."""
    payload = _ECHO.validate_python(data)
    return await container.echo.echo(
        Echo(
            key=payload.key,
            fail_times=payload.fail_times,
            attempt=message.attempt,
            message_id=message.id,
            seq=payload.seq,
        )
    )


async def published_for_others(
    container: Container, data: Mapping[str, Any], message: Message
) -> None:
    """An event this service publishes for other services (a SIEM, a CRM) and receives too,
    since its consumer reads the queue or topic it publishes to: acked, nothing to do."""


# Without an entry they would be dead-lettered as `unknown-event`, one per sign-in.
PUBLISHED_FOR_OTHERS = (
    AUDIT_RECORDED,
    UserProfileUpdated.name,
    UserDeactivated.name,
    UserReactivated.name,
    UserRolesChanged.name,
    UserPasswordChanged.name,
)

HANDLERS_MAP: Mapping[str, Handler | CeleryRoute] = {
    "debug.echo.v1": echo,
    "users.registered.v1": CeleryRoute(SEND_WELCOME, DEFAULT_QUEUE, data=USER_REGISTERED),
    "users.password_reset_requested.v1": CeleryRoute(
        SEND_PASSWORD_RESET, DEFAULT_QUEUE, data=PASSWORD_RESET_REQUESTED
    ),
    **{event: published_for_others for event in PUBLISHED_FOR_OTHERS},
}
# The adapter each async handler checks `data` with (a CeleryRoute carries its own): the event
# schemas of docs/contracts/asyncapi.yaml are read from them.
HANDLER_DATA: Mapping[str, TypeAdapter[Any]] = {"debug.echo.v1": _ECHO}
