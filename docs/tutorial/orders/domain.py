"""In a project: src/app/domain/orders.py. The Order aggregate, its events and its errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, NewType, Self
from uuid import UUID, uuid4

from app.domain.shared import AggregateRoot, DomainEvent, NotFoundError, ValidationError

OrderId = NewType("OrderId", UUID)
MAX_LINES, MAX_QUANTITY, SKU_MAX = 50, 1000, 32


class InvalidOrder(ValidationError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors=[(field, message)])


class OrderNotFound(NotFoundError):
    def __init__(self) -> None:
        super().__init__("Order not found")


class OrderStatus(StrEnum):
    PLACED = "placed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price_cents: int

    @classmethod
    def parse(cls, sku: str, quantity: int, unit_price_cents: int) -> Self:
        """A valid line; raises InvalidOrder naming the bad field."""
        sku = sku.strip().upper()
        if not 0 < len(sku) <= SKU_MAX:
            raise InvalidOrder("sku", f"1 to {SKU_MAX} characters")
        if not 0 < quantity <= MAX_QUANTITY:
            raise InvalidOrder("quantity", f"1 to {MAX_QUANTITY}")
        if unit_price_cents < 0:
            raise InvalidOrder("unit_price_cents", "must not be negative")
        return cls(sku, quantity, unit_price_cents)

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True, kw_only=True)
class OrderEvent(DomainEvent):
    order_id: OrderId

    @property
    def aggregate_id(self) -> str:
        return str(self.order_id)  # Kafka keys by it: one order's events stay in order

    def payload(self) -> dict[str, Any]:
        return {"order_uuid": str(self.order_id)}


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(OrderEvent):
    name: ClassVar[str] = "orders.placed.v1"
    customer_id: UUID
    total_cents: int

    def payload(self) -> dict[str, Any]:
        return {
            "order_uuid": str(self.order_id),
            "customer_uuid": str(self.customer_id),
            "total_cents": self.total_cents,
        }


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(OrderEvent):
    name: ClassVar[str] = "orders.cancelled.v1"


@dataclass(eq=False, kw_only=True)
class Order(AggregateRoot):
    id: OrderId
    customer_id: UUID
    lines: tuple[OrderLine, ...]
    status: OrderStatus = OrderStatus.PLACED
    placed_at: datetime
    updated_at: datetime

    @classmethod
    def place(cls, customer_id: UUID, lines: list[OrderLine], now: datetime) -> Self:
        """A new order; raises InvalidOrder when it has no line or too many. Records OrderPlaced."""
        if not 0 < len(lines) <= MAX_LINES:
            raise InvalidOrder("lines", f"1 to {MAX_LINES} lines")
        order = cls(
            id=OrderId(uuid4()),
            customer_id=customer_id,
            lines=tuple(lines),
            placed_at=now,
            updated_at=now,
        )
        total = order.total_cents
        order.record(
            OrderPlaced(
                order_id=order.id, customer_id=customer_id, total_cents=total, occurred_at=now
            )
        )
        return order

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)

    def cancel(self, now: datetime) -> None:
        """Cancel the order; a second cancel changes nothing (a retried request is no error)."""
        if self.status is OrderStatus.CANCELLED:
            return
        self.status = OrderStatus.CANCELLED
        self.updated_at = now
        self.record(OrderCancelled(order_id=self.id, occurred_at=now))
