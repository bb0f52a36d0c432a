"""POST /debug/send-message/: publish any event through the outbox (absent in PROD)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, status
from pydantic import Field

from app.application.messages import MessageService, SendMessage
from app.interfaces.api.deps import CurrentPrincipal
from app.interfaces.api.schemas import Request as RequestBody
from app.interfaces.api.schemas import Response

router = APIRouter(prefix="/debug", tags=["debug"])


async def _messages(request: Request) -> MessageService:
    service: MessageService = request.app.state.container.messages
    return service


Messages = Annotated[MessageService, Depends(_messages)]


class SendMessageRequest(RequestBody):
    """An envelope without `id` (the service assigns it); the request id becomes its correlation."""

    event: str = Field(min_length=1, max_length=255, examples=["debug.echo.v1"])
    data: dict[str, Any] = Field(examples=[{"key": "smoke", "fail_times": 0}])
    occurred_at: datetime | None = Field(default=None, description="ignored: set on write")
    correlation_id: str | None = Field(default=None, description="ignored: the request id")


class SendMessageResponse(Response):
    id: UUID


@router.post(
    "/send-message/", status_code=status.HTTP_202_ACCEPTED, response_model=SendMessageResponse
)
async def send_message(
    body: SendMessageRequest, messages: Messages, principal: CurrentPrincipal
) -> SendMessageResponse:
    """Queue a message in the outbox; the relay publishes it to the broker."""
    message_id = await messages.send(SendMessage(event=body.event, data=body.data))
    return SendMessageResponse(id=message_id)
