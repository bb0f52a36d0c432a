"""HANDLERS_MAP: what each event means to this service. Copy a handler to add one.

A handler is `async def handler(container, data, message) -> None`. It validates `data` with a
TypeAdapter (a failure dead-letters the message as `invalid-data`), then calls one use case.
A handler that writes to the database claims `message.id` in the inbox inside the same unit of
work as its writes (see NotificationService.record_welcome), so a redelivery does nothing.
Raise to fail the attempt: the consumer retries with backoff, then dead-letters.
Instead of a handler, an event may name a Celery task (`CeleryRoute`): the consumer sends the
message there and acks once the task is queued.
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
from app.application.notifications import RecordWelcome
from app.container import Container


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
    """Hand the message to a Celery task on a queue instead of handling it here."""

    task_name: str
    queue: str


Handler = Callable[[Container, Mapping[str, Any], Message], Awaitable[None]]


@pydantic_dataclass(frozen=True)
class EchoData:
    key: Annotated[str, Field(min_length=1, max_length=200)]
    fail_times: Annotated[int, Field(ge=0, le=1000)] = 0


@pydantic_dataclass(frozen=True)
class UserRegisteredData:
    user_uuid: UUID
    email: Annotated[str, Field(min_length=3, max_length=254)]


_ECHO = TypeAdapter(EchoData)
_USER_REGISTERED = TypeAdapter(UserRegisteredData)


async def echo(container: Container, data: Mapping[str, Any], message: Message) -> None:
    """`debug.echo.v1`: fails `fail_times` times, then counts `debug:echo:<key>` once per id."""
    payload = _ECHO.validate_python(data)
    await container.echo.echo(
        Echo(
            key=payload.key,
            fail_times=payload.fail_times,
            attempt=message.attempt,
            message_id=message.id,
        )
    )


async def welcome(container: Container, data: Mapping[str, Any], message: Message) -> None:
    """`users.registered.v1`: record the new user's welcome notification."""
    payload = _USER_REGISTERED.validate_python(data)
    await container.notifications.record_welcome(
        RecordWelcome(user_id=payload.user_uuid, email=payload.email, message_id=message.id)
    )


HANDLERS_MAP: Mapping[str, Handler | CeleryRoute] = {
    "debug.echo.v1": echo,
    "users.registered.v1": welcome,
}
