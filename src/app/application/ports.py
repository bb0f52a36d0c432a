"""Ports: what the use cases need from the outside world, as Protocols."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar
from uuid import UUID, uuid4

from app.domain.audit.entry import AuditEntry
from app.domain.auth.permissions import BASE_ROLE, Role
from app.domain.auth.session import (
    RefreshOutcome,
    SessionInfo,
    SessionLifetime,
    TokenClaims,
    TokenType,
)
from app.domain.users.user import User
from app.domain.users.values import Email, UserId


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class PasswordHasher(Protocol):
    @property
    def dummy_hash(self) -> str:
        """A valid hash of a random password, verified when the user does not exist."""
        ...

    async def hash(self, password: str) -> str: ...

    async def verify(self, password: str, password_hash: str) -> bool: ...


class TokenCodec(Protocol):
    def encode(self, claims: TokenClaims, lifetime_seconds: int) -> str: ...

    def decode(self, token: str, expected: TokenType) -> TokenClaims:
        """Verified claims. Raises AuthenticationError for any invalid token."""
        ...


class SessionStore(Protocol):
    """Live sessions, each recording its user, its roles and its absolute deadline, indexed per
    user; and for its user to recognise it, when and from where it was opened and last used."""

    async def create(
        self,
        session_id: str,
        user_id: UUID,
        refresh_jti: str,
        lifetime: SessionLifetime,
        *,
        roles: frozenset[Role] = frozenset({BASE_ROLE}),
        client_address: str = "",
        user_agent: str = "",
    ) -> None:
        """Open a session of the user that ends at most `lifetime.max_seconds` from now."""
        ...

    async def roles_of(self, session_id: str, user_id: UUID) -> frozenset[Role] | None:
        """The roles the session was opened with while it is live and is this user's (None
        otherwise), in one round trip: the check behind every authenticated call."""
        ...

    async def rotate(
        self,
        session_id: str,
        user_id: UUID,
        presented_jti: str,
        new_jti: str,
        lifetime: SessionLifetime,
    ) -> RefreshOutcome:
        """Atomically spend `presented_jti` of the user's session; a spent one revokes the
        session, and one past its deadline ends it. Another user's session is left untouched."""
        ...

    async def sessions_of(self, user_id: UUID) -> list[SessionInfo]:
        """The user's live sessions, oldest first."""
        ...

    async def delete(self, session_id: str, user_id: UUID) -> bool:
        """End one session of the user; False when the user has no such session (a session of
        another user is left untouched)."""
        ...

    async def revoke_all(self, user_id: UUID, *, keep: str | None = None) -> None:
        """End every session of the user but `keep` (the caller's own), in one call."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Mail:
    """One plain-text message to one address."""

    to: str
    subject: str
    text: str


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None:
        """Hand the message to the mail server. Raises DependencyUnavailable when the server
        cannot be reached or answers with a temporary failure (send again later),
        and UndeliverableEmail when it refuses the message for good."""
        ...


class AttemptLimiter(Protocol):
    async def hit(self, keys: Sequence[str]) -> int | None:
        """Count one attempt under each key; seconds to wait when any key is over its limit."""
        ...


class UserRepository(Protocol):
    async def get(self, user_id: UserId) -> User | None: ...

    async def get_by_email(self, email: Email) -> User | None: ...

    def add(self, user: User) -> None: ...

    async def lock_holders(self, role: Role) -> frozenset[UserId]:
        """The active accounts holding `role`, locked until the transaction ends: two use cases
        that change who holds it run one after the other, each seeing the other's result."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingMessage:
    """One message for the broker, as written to the outbox and published by the relay."""

    event: str
    data: dict[str, Any]
    occurred_at: datetime
    id: UUID = field(default_factory=uuid4)
    correlation_id: str | None = None
    key: str | None = None
    # The W3C trace headers (`traceparent`, `tracestate`) of the use case that recorded it:
    # the outbox row keeps those of the current span when none are given, the relay reads
    # them back, and the publishers send them with the message.
    trace_context: Mapping[str, str] = field(default_factory=dict)


class Outbox(Protocol):
    def add(self, message: OutgoingMessage) -> None: ...


class Inbox(Protocol):
    async def claim(self, message_id: UUID) -> bool:
        """Record a message as handled in this transaction; False when it already was."""
        ...


class PasswordResets(Protocol):
    """Reset tokens, kept as their SHA-256 digests: the token itself is only in the e-mail."""

    async def issue(
        self, request_id: UUID, user_id: UUID, digest: str, expires_at: datetime
    ) -> bool:
        """Keep the digest of the request's token, in place of an earlier unused one of the
        same request (a resent e-mail); False when the request's token was used already."""
        ...

    async def redeem(self, digest: str, now: datetime) -> UUID | None:
        """Spend the token: the account it resets, once and before it expires (None otherwise).
        Every other token of that account is spent with it."""
        ...


class AuditTrail(Protocol):
    def record(self, entry: AuditEntry) -> None:
        """Write the entry, and its `audit.recorded.v1` event, with the transaction's changes."""
        ...


class NotificationRepository(Protocol):
    def add(self, user_id: UUID, kind: str, payload: dict[str, Any]) -> None:
        """Record a notification for the user (written at commit)."""
        ...


class UnitOfWork(Protocol):
    """One transaction: aggregate changes and their outbox rows commit together, once."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def notifications(self) -> NotificationRepository: ...

    @property
    def password_resets(self) -> PasswordResets: ...

    @property
    def audit(self) -> AuditTrail: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def inbox(self) -> Inbox: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class ProfileReader(Protocol):
    """Read side: a user's profile without loading the aggregate in a transaction."""

    async def get_profile(self, user_id: UUID) -> dict[str, Any] | None: ...


T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class ListQuery:
    """A list request in the filter DSL's text form (SPEC section 5), as REST and gRPC take it:
    `(field__lookup, text)` pairs, order fields (`-` descending), a page by offset or cursor."""

    filters: Sequence[tuple[str, str]] = ()
    order_by: Sequence[str] = ()
    limit: int | None = None
    offset: int = 0
    after: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    """One page: `total` rows match the filters; `next` is the cursor of the page that follows
    (None on the last page)."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next: str | None


class Search(Protocol):
    """Read side: pages of rows over the filter DSL, with an allow-list of fields."""

    async def page(self, query: ListQuery) -> Page[dict[str, Any]]:
        """Raises ValidationError naming every bad key, value, order field, page or cursor."""
        ...


class EventPublisher(Protocol):
    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        """Deliver to the broker, confirmed; raises DependencyUnavailable when it cannot."""
        ...

    async def publish_each(self, messages: Sequence[OutgoingMessage]) -> Sequence[Exception | None]:
        """Deliver in order; per message None once confirmed, or the broker's refusal of that
        message alone (sent again, it fails again). Raises DependencyUnavailable when it cannot."""
        ...

    async def aclose(self) -> None: ...


class HealthProbe(Protocol):
    name: str

    async def check(self) -> None:
        """Return when the dependency answers; raise anything otherwise."""
        ...


class Broker(EventPublisher, HealthProbe, Protocol):
    """The message broker's adapter: it publishes, and health probes it as `broker`."""
