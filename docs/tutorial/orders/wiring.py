"""In a project: one field on `Container` and its value in `build_container` (container.py)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import partial

from app.config.settings import Settings
from app.container import Container, build_container
from app.infrastructure.clock import SystemClock
from orders.application import OrderService
from orders.infrastructure import OrdersSqlUnitOfWork


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerWithOrders(Container):
    orders: OrderService


def build_container_with_orders(settings: Settings) -> ContainerWithOrders:
    """build_container plus `orders=OrderService(partial(OrdersSqlUnitOfWork, sessions), clock)`."""
    base = build_container(settings)
    shared = {field.name: getattr(base, field.name) for field in fields(base)}
    orders = OrderService(partial(OrdersSqlUnitOfWork, base.sessions), SystemClock())
    return ContainerWithOrders(**shared, orders=orders)
