"""Table rows: the persistence shape of the aggregates, the outbox and the inbox."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.domain.audit.entry import ACTION_MAX, CLIENT_ADDRESS_MAX, REQUEST_ID_MAX
from app.domain.auth.permissions import BASE_ROLE
from app.domain.users.values import EMAIL_MAX, PHONE_MAX, PROFILE_LIMITS
from app.infrastructure.telemetry import TRACE_HEADER_MAX

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
ROLE_MAX = 32  # the width of a role's name in `users.roles`
RETIRED_USER_COLUMNS = ("photo", "is_guest")
# Constraint names the unit of work maps to domain errors (uow.py): one name, two uses.
UQ_USERS_EMAIL = "uq_users_email_lower"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (
        Index(UQ_USERS_EMAIL, func.lower(text("email")), unique=True),
        # Finds (and locks) the holders of a role, the few admins, without a scan of the table.
        Index("ix_users_roles", "roles", postgresql_using="gin"),
        # The users list's default order and its tie breaker (db/directory.py): keyset pages
        # read a range of it at any depth.
        Index("ix_users_created_at_uuid", "created_at", "uuid"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, nullable=False)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), nullable=False)
    password_hashed: Mapped[str] = mapped_column(String(256), nullable=False)
    first_name: Mapped[str | None] = mapped_column(String(PROFILE_LIMITS["first_name"]))
    last_name: Mapped[str | None] = mapped_column(String(PROFILE_LIMITS["last_name"]))
    phone: Mapped[str | None] = mapped_column(String(PHONE_MAX))
    birthday: Mapped[date | None] = mapped_column(Date)
    street: Mapped[str | None] = mapped_column(String(PROFILE_LIMITS["street"]))
    city: Mapped[str | None] = mapped_column(String(PROFILE_LIMITS["city"]))
    state: Mapped[str | None] = mapped_column(String(PROFILE_LIMITS["state"]))
    zip_code: Mapped[str | None] = mapped_column(String(PROFILE_LIMITS["zip_code"]))
    country: Mapped[str | None] = mapped_column(String(PROFILE_LIMITS["country"]))
    meta: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    roles: Mapped[list[str]] = mapped_column(
        ARRAY(String(ROLE_MAX)), nullable=False, server_default=text(f"'{{{BASE_ROLE.value}}}'")
    )
    created_at: Mapped[datetime] = _now_column()
    updated_at: Mapped[datetime] = _now_column()
    # Retired (RETIRED_USER_COLUMNS): on no interface and out of the domain since migration 0006,
    # never loaded (reading one raises). The release before it still reads and writes them, so
    # they are dropped one release later, once no running code knows them (expand, then
    # contract: docs/deployment.md, "Rolling out a release").
    photo: Mapped[str | None] = mapped_column(String(512), deferred=True, deferred_raiseload=True)
    is_guest: Mapped[bool] = mapped_column(
        Boolean,
        nullable=False,
        server_default=text("false"),
        deferred=True,
        deferred_raiseload=True,
    )


class OutboxRow(Base):
    """An event waiting for (or done with) publication; `id` gives the publication order.

    Pending: neither published nor parked. A row the broker refused `OUTBOX_MAX_ATTEMPTS` times
    is parked (`failed_at`, `last_error`) until an operator queues it again (`app outbox`).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "next_attempt_at",
            "id",
            postgresql_where=text("published_at IS NULL AND failed_at IS NULL"),
        ),
        # The parked rows (`app outbox`, the parked-rows gauge) without a scan of the table.
        Index("ix_outbox_parked", "id", postgresql_where=text("failed_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, nullable=False)
    event: Mapped[str] = mapped_column(String(255), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    correlation_id: Mapped[str | None] = mapped_column(String(128))
    ordering_key: Mapped[str | None] = mapped_column(String(255))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = _now_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The W3C trace context of the use case that recorded the event, so that the relay's
    # publish and the consumer's handler continue its trace; null when it was not traced.
    traceparent: Mapped[str | None] = mapped_column(String(TRACE_HEADER_MAX["traceparent"]))
    tracestate: Mapped[str | None] = mapped_column(String(TRACE_HEADER_MAX["tracestate"]))


class InboxRow(Base):
    """A message id already handled by the consumer, written in the handler's transaction."""

    __tablename__ = "inbox"

    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    handled_at: Mapped[datetime] = _now_column()


class NotificationRow(Base):
    """A note for a user (the welcome note of a new account), written by the consumer."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_uuid: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    created_at: Mapped[datetime] = _now_column()


class PasswordResetRow(Base):
    """A password-reset request and the digest of the token its e-mail carries."""

    __tablename__ = "password_resets"

    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # the event's id
    user_uuid: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    token_digest: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = _now_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    """An audit entry, written in the transaction of the change it records; never updated."""

    __tablename__ = "audit_log"
    __table_args__ = (
        # The trail's default order, newest first, and its tie breaker (db/audit_log.py).
        Index("ix_audit_log_occurred_at_uuid", "occurred_at", "uuid"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # Before `uuid`, whose name hides the module's in the class body.
    actor_uuid: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    target_uuid: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    action: Mapped[str] = mapped_column(String(ACTION_MAX), nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(REQUEST_ID_MAX))
    client_address: Mapped[str] = mapped_column(
        String(CLIENT_ADDRESS_MAX), nullable=False, server_default=text("''")
    )
    detail: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
