"""In a project: src/app/application/orders.py (the ports go to application/ports.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, Self
from uuid import UUID

from app.application.ports import Clock, UnitOfWork
from orders.domain import Order, OrderId, OrderLine, OrderNotFound


class OrderRepository(Protocol):
    async def get(self, order_id: OrderId) -> Order | None: ...

    def add(self, order: Order) -> None: ...


class OrdersUnitOfWork(UnitOfWork, Protocol):
    """In a project: one more property on `UnitOfWork` itself."""

    @property
    def orders(self) -> OrderRepository: ...


@dataclass(frozen=True, slots=True)
class LineInput:
    sku: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    customer_id: UUID
    lines: list[LineInput]


@dataclass(frozen=True, slots=True)
class CancelOrder:
    customer_id: UUID
    order_id: UUID


@dataclass(frozen=True, slots=True)
class OrderView:
    uuid: UUID
    status: str
    lines: list[LineInput]
    total_cents: int
    placed_at: datetime

    @classmethod
    def of(cls, order: Order) -> Self:
        lines = [LineInput(x.sku, x.quantity, x.unit_price_cents) for x in order.lines]
        return cls(order.id, order.status.value, lines, order.total_cents, order.placed_at)


class OrderService:
    def __init__(self, uow: Callable[[], OrdersUnitOfWork], clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def place(self, cmd: PlaceOrder) -> OrderView:
        """Place an order for the customer. Raises InvalidOrder."""
        lines = [OrderLine.parse(x.sku, x.quantity, x.unit_price_cents) for x in cmd.lines]
        order = Order.place(cmd.customer_id, lines, self._clock.now())
        async with self._uow() as uow:
            uow.orders.add(order)
            await uow.commit()  # the order and its OrderPlaced outbox row, one transaction
        return OrderView.of(order)

    async def get(self, customer_id: UUID, order_id: UUID) -> OrderView:
        """One of the customer's orders. Raises OrderNotFound (also for someone else's)."""
        async with self._uow() as uow:
            return OrderView.of(await _own_order(uow, customer_id, order_id))

    async def cancel(self, cmd: CancelOrder) -> OrderView:
        """Cancel one of the customer's orders. Raises OrderNotFound."""
        async with self._uow() as uow:
            order = await _own_order(uow, cmd.customer_id, cmd.order_id)
            order.cancel(self._clock.now())
            await uow.commit()
        return OrderView.of(order)


async def _own_order(uow: OrdersUnitOfWork, customer_id: UUID, order_id: UUID) -> Order:
    order = await uow.orders.get(OrderId(order_id))
    # Someone else's order answers like a missing one: its existence is not the caller's business.
    if order is None or order.customer_id != customer_id:
        raise OrderNotFound()
    return order
