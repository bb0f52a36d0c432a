"""In a project: src/app/infrastructure/db/orders.py (the row goes to db/tables.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self
from uuid import UUID

from sqlalchemy import BigInteger, DateTime, MetaData, String, Uuid, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.application.ports import OutgoingMessage
from app.domain.shared import DomainEvent
from app.infrastructure.db.tables import NAMING
from app.infrastructure.db.uow import SqlUnitOfWork
from orders.domain import Order, OrderId, OrderLine, OrderStatus


class Base(DeclarativeBase):
    """In a project: the `Base` of db/tables.py, so Alembic sees the table."""

    metadata = MetaData(naming_convention=NAMING)


class OrderRow(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, nullable=False)
    customer_uuid: Mapped[UUID] = mapped_column(Uuid, index=True, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    # Lines live and die with their order and are never queried alone: one JSONB column.
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    total_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


def _to_order(row: OrderRow) -> Order:
    return Order(
        id=OrderId(row.uuid),
        customer_id=row.customer_uuid,
        lines=tuple(OrderLine(**line) for line in row.lines),
        status=OrderStatus(row.status),
        placed_at=row.placed_at,
        updated_at=row.updated_at,
    )


def _apply(order: Order, row: OrderRow) -> None:
    row.uuid = order.id
    row.customer_uuid = order.customer_id
    row.status = order.status.value
    row.lines = [
        {"sku": x.sku, "quantity": x.quantity, "unit_price_cents": x.unit_price_cents}
        for x in order.lines
    ]
    row.total_cents = order.total_cents
    row.placed_at = order.placed_at
    row.updated_at = order.updated_at


class SqlOrderRepository:
    """Tracks the orders it hands out so the unit of work saves them and their events."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._seen: dict[OrderId, tuple[Order, OrderRow]] = {}

    async def get(self, order_id: OrderId) -> Order | None:
        # FOR UPDATE: two concurrent cancels of one order serialize, so one event is recorded.
        query = select(OrderRow).where(OrderRow.uuid == order_id).with_for_update()
        row = await self._session.scalar(query)
        if row is None:
            return None
        order = _to_order(row)
        self._seen[order.id] = (order, row)
        return order

    def add(self, order: Order) -> None:
        row = OrderRow()
        _apply(order, row)
        self._session.add(row)
        self._seen[order.id] = (order, row)

    def sync(self) -> list[DomainEvent]:
        """Copy each tracked order into its row; return the events they recorded."""
        events: list[DomainEvent] = []
        for order, row in self._seen.values():
            _apply(order, row)
            events += order.collect_events()
        return events


def _message(event: DomainEvent) -> OutgoingMessage:
    return OutgoingMessage(
        id=event.event_id,
        event=event.name,
        data=event.payload(),
        occurred_at=event.occurred_at,
        key=event.aggregate_id,
    )


class OrdersSqlUnitOfWork(SqlUnitOfWork):
    """In a project: these lines go into SqlUnitOfWork itself."""

    orders: SqlOrderRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.orders = SqlOrderRepository(self.session)
        return self

    async def commit(self) -> None:
        for event in self.orders.sync():
            self.outbox.add(_message(event))  # written in the same transaction as the order
        await super().commit()
