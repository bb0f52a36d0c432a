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
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.domain.users.values import EMAIL_MAX, PHONE_MAX, PROFILE_LIMITS

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Constraint names the unit of work maps to domain errors (uow.py): one name, two uses.
UQ_USERS_EMAIL = "uq_users_email_lower"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (Index(UQ_USERS_EMAIL, func.lower(text("email")), unique=True),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, nullable=False)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), nullable=False)
    password_hashed: Mapped[str] = mapped_column(String(256), nullable=False)
    first_name: Mapped[str | None] = mapped_column(String(PROFILE_LIMITS["first_name"]))
    last_name: Mapped[str | None] = mapped_column(String(PROFILE_LIMITS["last_name"]))
    phone: Mapped[str | None] = mapped_column(String(PHONE_MAX))
    birthday: Mapped[date | None] = mapped_column(Date)
    photo: Mapped[str | None] = mapped_column(String(PROFILE_LIMITS["photo"]))
    street: Mapped[str | None] = mapped_column(String(PROFILE_LIMITS["street"]))
    city: Mapped[str | None] = mapped_column(String(PROFILE_LIMITS["city"]))
    state: Mapped[str | None] = mapped_column(String(PROFILE_LIMITS["state"]))
    zip_code: Mapped[str | None] = mapped_column(String(PROFILE_LIMITS["zip_code"]))
    country: Mapped[str | None] = mapped_column(String(PROFILE_LIMITS["country"]))
    meta: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    is_guest: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[datetime] = _now_column()
    updated_at: Mapped[datetime] = _now_column()


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
