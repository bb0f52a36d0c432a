"""Celery task bodies: each runs one use case with the worker process's services.

The tasks never build anything themselves: `run` (the worker's bridge) owns the one container
and the one event loop of the process, so every task shares the engine's pool. Delivery is at
least once (late acks), so each use case here is safe to repeat.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict
from functools import partial
from typing import Annotated, Any, Protocol, TypeVar
from uuid import UUID

from celery import Celery
from pydantic import Field, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from pydantic.dataclasses import dataclass as pydantic_dataclass

from app.application.notifications import NotificationService, RecordWelcome
from app.application.password_reset import PasswordResetService, SendReset
from app.application.users import UserService
from app.config.celery import (
    PING,
    PURGE_HANDLED_MESSAGES,
    READ_PROFILE,
    RELAY_OUTBOX,
    SEND_PASSWORD_RESET,
    SEND_WELCOME,
)
from app.domain.shared import DomainError, ValidationError
from app.domain.storable import storable_text
from app.domain.users.values import EMAIL_MAX
from app.infrastructure.db.retention import MessageRetention
from app.infrastructure.errors import UNAVAILABLE_ERRORS
from app.infrastructure.messaging.outbox_relay import OutboxRelay
from app.infrastructure.metrics import INBOX_DUPLICATES
from app.infrastructure.validation import domain_check, domain_error

T = TypeVar("T")


class Services(Protocol):
    """What the tasks use of the container (kept structural: infrastructure never imports it)."""

    @property
    def users(self) -> UserService: ...

    @property
    def notifications(self) -> NotificationService: ...

    @property
    def password_resets(self) -> PasswordResetService: ...

    @property
    def relay(self) -> OutboxRelay: ...

    @property
    def retention(self) -> MessageRetention: ...


class UseCaseRunner(Protocol):
    def __call__(self, use_case: Callable[[Services], Awaitable[T]]) -> T:
        """Run the coroutine on the process's loop with its container; return its result."""
        ...


def register_tasks(celery: Celery, run: UseCaseRunner) -> None:
    """Define the service's tasks on `celery`; a dependency that is down means retry later."""
    # Which errors retry is decided here; how often and how long, in the configuration
    # (config/celery.py, task_annotations): until the dependency is back, the delay capped.
    # Domain errors are answers (a user that does not exist), logged without a traceback.
    # Not shared: each app's tasks run on that app's bridge.
    task = partial(
        celery.task, autoretry_for=UNAVAILABLE_ERRORS, throws=(DomainError,), shared=False
    )

    @task(name=PING)
    def ping() -> str:
        return run(_pong)

    @task(name=READ_PROFILE)
    def read_profile(user_uuid: str) -> dict[str, Any]:
        return asdict(run(lambda services: services.users.get(_uuid("user_uuid", user_uuid))))

    @task(name=SEND_WELCOME)
    def send_welcome(data: Mapping[str, Any], message_id: str | None = None) -> bool:
        recorded = run(
            lambda services: services.notifications.record_welcome(_welcome(data, message_id))
        )
        if not recorded:  # the inbox had seen this message id
            INBOX_DUPLICATES.labels(SEND_WELCOME).inc()
        return recorded

    # Retried while the mail server is unavailable; each try mails a new token in place of the
    # last one, so however often it runs, one link works.
    @task(name=SEND_PASSWORD_RESET)
    def send_password_reset(data: Mapping[str, Any], message_id: str | None = None) -> bool:
        return run(lambda services: services.password_resets.send(_reset(data, message_id)))

    # Beat sends the next round within seconds: a failed one is not worth retrying.
    @task(name=RELAY_OUTBOX, autoretry_for=())
    def relay_outbox() -> int:
        return run(lambda services: services.relay.run_once())

    @task(name=PURGE_HANDLED_MESSAGES)
    def purge_handled_messages() -> int:
        return run(lambda services: services.retention.purge())


async def _pong(services: Services) -> str:
    return "pong"


@pydantic_dataclass(frozen=True)
class UserRegisteredData:
    """The data of `users.registered.v1`: checked here and by the consumer before queuing."""

    user_uuid: UUID
    email: Annotated[
        str,
        Field(min_length=3, max_length=EMAIL_MAX),
        domain_check(partial(storable_text, "email")),
    ]


USER_REGISTERED = TypeAdapter(UserRegisteredData)


@pydantic_dataclass(frozen=True)
class PasswordResetRequestedData(UserRegisteredData):
    """The data of `users.password_reset_requested.v1`: the same two facts; the message's id
    names the request."""


PASSWORD_RESET_REQUESTED = TypeAdapter(PasswordResetRequestedData)


def _welcome(data: Mapping[str, Any], message_id: str | None) -> RecordWelcome:
    try:
        payload = USER_REGISTERED.validate_python(data)
    except PydanticValidationError as exc:
        raise domain_error(exc) from None
    return RecordWelcome(
        user_id=payload.user_uuid,
        email=payload.email,
        message_id=_uuid("message_id", message_id) if message_id else None,
    )


def _reset(data: Mapping[str, Any], message_id: str | None) -> SendReset:
    try:
        payload = PASSWORD_RESET_REQUESTED.validate_python(data)
    except PydanticValidationError as exc:
        raise domain_error(exc) from None
    return SendReset(
        request_id=_uuid("message_id", message_id),
        user_id=payload.user_uuid,
        email=payload.email,
    )


def _uuid(field: str, value: object) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise ValidationError(f"{field}: not a UUID", errors=[(field, "not a UUID")]) from None
