"""Building blocks shared by every bounded context: errors, events, aggregate roots."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4


class DomainError(Exception):
    """Base of every error the core raises; interfaces map subclasses to status codes."""

    def __init__(self, detail: str, *, errors: list[tuple[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class ValidationError(DomainError):
    """Input breaks a rule of the domain."""


class NotFoundError(DomainError):
    """The thing asked for does not exist."""


class AlreadyExistsError(DomainError):
    """Creating this would duplicate something unique."""


class AuthenticationError(DomainError):
    """The caller could not be identified."""


class AuthorizationError(DomainError):
    """The caller is known but may not do this."""


class RateLimited(DomainError):
    """Too many attempts; retry after `retry_after` seconds."""

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class DependencyUnavailable(DomainError):
    """A backing service (database, cache, broker) cannot be reached right now."""


class Overloaded(DependencyUnavailable):
    """Too much work is already waiting (e.g. password hashing); retry after `retry_after` s."""

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Something that happened; `name` is its public, versioned name on the wire."""

    name: ClassVar[str]
    occurred_at: datetime
    event_id: UUID = field(default_factory=uuid4)

    @property
    def aggregate_id(self) -> str | None:
        return None

    def payload(self) -> dict[str, Any]:
        """The event's data as JSON-ready values."""
        raise NotImplementedError


@dataclass(eq=False, kw_only=True)
class AggregateRoot:
    """An aggregate that records the events its behaviour causes until they are collected."""

    _events: list[DomainEvent] = field(default_factory=list, init=False, repr=False)

    def record(self, event: DomainEvent) -> None:
        self._events.append(event)

    def collect_events(self) -> list[DomainEvent]:
        events, self._events = self._events, []
        return events


def check_all(checks: Mapping[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run every check, return the results by name; raises one error that lists every failure.

    A single failure is raised as it is; several become one ValidationError with all their
    field errors, so a client learns about every bad field of a request at once.
    """
    results: dict[str, Any] = {}
    failures: list[ValidationError] = []
    for name, check in checks.items():
        try:
            results[name] = check()
        except ValidationError as exc:
            failures.append(exc)
    if len(failures) == 1:
        raise failures[0]
    if failures:
        errors = [error for failure in failures for error in failure.errors]
        raise ValidationError("; ".join(f.detail for f in failures), errors=errors)
    return results
