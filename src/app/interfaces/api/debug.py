"""POST /debug/send-message/: publish any event through the outbox (absent in PROD)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, status
from pydantic import Field

from app.application.messages import (
    EVENT_NAME_PATTERN,
    MessageService,
    SendMessage,
    check_event_name,
)
from app.domain.shared import AuthenticationError, DependencyUnavailable
from app.domain.storable import storable_json
from app.infrastructure.validation import domain_check
from app.interfaces.api.deps import CurrentPrincipal
from app.interfaces.api.errors import JSON_BODY, problems
from app.interfaces.api.schemas import STORABLE_JSON, Response, example
from app.interfaces.api.schemas import Request as RequestBody

router = APIRouter(prefix="/debug", tags=["debug"])


async def _messages(request: Request) -> MessageService:
    service: MessageService = request.app.state.container.messages
    return service


Messages = Annotated[MessageService, Depends(_messages)]


class SendMessageRequest(RequestBody):
    """An envelope without `id` (the service assigns it); the request id becomes its correlation."""

    model_config = example({"event": "debug.echo.v1", "data": {"key": "smoke", "fail_times": 0}})
    event: Annotated[str, domain_check(check_event_name)] = Field(
        min_length=1,
        max_length=255,
        examples=["debug.echo.v1"],
        json_schema_extra={"pattern": EVENT_NAME_PATTERN},
    )
    data: Annotated[dict[str, Any], domain_check(partial(storable_json, "data"))] = Field(
        examples=[{"key": "smoke", "fail_times": 0}], description=STORABLE_JSON
    )
    # Any text: it is not read, so a datetime type would only refuse what is ignored anyway.
    occurred_at: str | None = Field(default=None, description="ignored: set on write")
    correlation_id: str | None = Field(default=None, description="ignored: the request id")


class SendMessageResponse(Response):
    model_config = example({"id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427"})

    id: UUID


@router.post(
    "/send-message/",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SendMessageResponse,
    responses=problems(*JSON_BODY, AuthenticationError, DependencyUnavailable),
)
async def send_message(
    body: SendMessageRequest, messages: Messages, principal: CurrentPrincipal
) -> SendMessageResponse:
    """Queue a message in the outbox; the relay publishes it to the broker."""
    message_id = await messages.send(SendMessage(event=body.event, data=body.data))
    return SendMessageResponse(id=message_id)
