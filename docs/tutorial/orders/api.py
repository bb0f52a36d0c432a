"""In a project: src/app/interfaces/api/orders.py, included in create_app's router list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, status
from pydantic import Field

from app.interfaces.api.deps import CurrentPrincipal
from app.interfaces.api.schemas import Request as RequestBody
from app.interfaces.api.schemas import Response
from orders.application import CancelOrder, LineInput, OrderService, OrderView, PlaceOrder
from orders.domain import MAX_LINES, MAX_QUANTITY, SKU_MAX

router = APIRouter(prefix="/orders", tags=["orders"])


async def _orders(request: Request) -> OrderService:
    service: OrderService = request.app.state.container.orders
    return service


Orders = Annotated[OrderService, Depends(_orders)]


class Line(RequestBody):
    sku: str = Field(min_length=1, max_length=SKU_MAX, examples=["BOOK-42"])
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    unit_price_cents: int = Field(ge=0)


class PlaceOrderRequest(RequestBody):
    lines: list[Line] = Field(min_length=1, max_length=MAX_LINES)


class OrderResponse(Response):
    uuid: UUID
    status: str
    lines: list[Line]
    total_cents: int
    placed_at: datetime


@router.post("/", status_code=status.HTTP_201_CREATED, response_model=OrderResponse)
async def place_order(
    body: PlaceOrderRequest, orders: Orders, principal: CurrentPrincipal
) -> OrderView:
    """Place an order for the signed-in user."""
    lines = [LineInput(**line.model_dump()) for line in body.lines]
    return await orders.place(PlaceOrder(principal.user_id, lines))


@router.get("/{order_id}/", response_model=OrderResponse)
async def read_order(order_id: UUID, orders: Orders, principal: CurrentPrincipal) -> OrderView:
    """One of the signed-in user's orders."""
    return await orders.get(principal.user_id, order_id)


@router.post("/{order_id}/cancel/", response_model=OrderResponse)
async def cancel_order(order_id: UUID, orders: Orders, principal: CurrentPrincipal) -> OrderView:
    """Cancel one of the signed-in user's orders (again: no change, same answer)."""
    return await orders.cancel(CancelOrder(principal.user_id, order_id))
