"""The SQL unit of work: one transaction per use case, aggregate rows and outbox rows together."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Self
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.application.context import correlation_id
from app.application.ports import OutgoingMessage
from app.domain.shared import AlreadyExistsError
from app.domain.users.errors import EmailAlreadyTaken
from app.infrastructure.db.audit import SqlAuditTrail
from app.infrastructure.db.notifications import SqlNotifications
from app.infrastructure.db.password_resets import SqlPasswordResets
from app.infrastructure.db.tables import UQ_USERS_EMAIL, InboxRow, OutboxRow
from app.infrastructure.db.users import SqlUserRepository
from app.infrastructure.telemetry import current_trace_context


class SqlOutbox:
    def __init__(self) -> None:
        self.pending: list[OutgoingMessage] = []

    def add(self, message: OutgoingMessage) -> None:
        self.pending.append(message)


class SqlInbox:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, message_id: UUID) -> bool:
        query = insert(InboxRow).values(message_id=message_id).on_conflict_do_nothing()
        result = await self._session.execute(query.returning(InboxRow.message_id))
        return result.first() is not None


class SqlUnitOfWork:
    session: AsyncSession
    users: SqlUserRepository
    outbox: SqlOutbox
    inbox: SqlInbox
    notifications: SqlNotifications
    password_resets: SqlPasswordResets
    audit: SqlAuditTrail

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.users = SqlUserRepository(self.session)
        self.outbox = SqlOutbox()
        self.inbox = SqlInbox(self.session)
        self.notifications = SqlNotifications(self.session)
        self.password_resets = SqlPasswordResets(self.session)
        self.audit = SqlAuditTrail(self.session, self.outbox)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.session.close()  # rolls back whatever was not committed

    async def commit(self) -> None:
        """Write the aggregates, one outbox row per recorded event, and commit once."""
        self.users.sync()
        for message in self._messages():
            self.session.add(_outbox_row(message))
        try:
            await self.session.commit()
        except IntegrityError as exc:
            await self.session.rollback()
            error = _as_domain_error(exc)
            if error is None:
                raise
            raise error from None

    def _messages(self) -> list[OutgoingMessage]:
        messages = list(self.outbox.pending)
        for user in self.users.seen():
            messages += [
                OutgoingMessage(
                    id=event.event_id,
                    event=event.name,
                    data=event.payload(),
                    occurred_at=event.occurred_at,
                    key=event.aggregate_id,
                )
                for event in user.collect_events()
            ]
        self.outbox.pending.clear()
        return messages


def _outbox_row(message: OutgoingMessage) -> OutboxRow:
    trace_context = message.trace_context or current_trace_context()
    return OutboxRow(
        message_id=message.id,
        event=message.event,
        payload=message.data,
        correlation_id=message.correlation_id or correlation_id.get(),
        ordering_key=message.key,
        occurred_at=message.occurred_at,
        traceparent=trace_context.get("traceparent"),
        tracestate=trace_context.get("tracestate"),
    )


_UNIQUE_VIOLATION = "23505"
# A broken unique constraint, by the name declared beside its table: the domain error to raise.
_CONFLICTS: Mapping[str, Callable[[], AlreadyExistsError]] = {UQ_USERS_EMAIL: EmailAlreadyTaken}


def _as_domain_error(exc: IntegrityError) -> AlreadyExistsError | None:
    """The conflict a unique violation means; None for NOT NULL, FK or CHECK (bugs: a 500)."""
    if getattr(exc.orig, "sqlstate", None) != _UNIQUE_VIOLATION:
        return None
    constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
    # A unique constraint without an entry still means "this record exists", never a bug in the
    # write: a 409 (and an ack in the consumer, like any duplicate) rather than a 500.
    conflict = _CONFLICTS.get(constraint or "")
    return conflict() if conflict else AlreadyExistsError("This record already exists")
