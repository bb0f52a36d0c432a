"""Pure ASGI middleware: request ids and access log, body size and content type guards."""

from __future__ import annotations

import re
import time
import uuid

from loguru import logger
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.application.context import correlation_id
from app.interfaces.api.errors import Kind, problem

MAX_BODY_BYTES = 1 << 20
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class RequestContext:
    """Takes `X-Request-ID` (or makes one), returns it, binds it to logs and outbox rows."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = Headers(scope=scope).get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        token = correlation_id.set(request_id)
        try:
            with logger.contextualize(request_id=request_id):
                await self.app(scope, receive, send_with_id)
                elapsed = (time.perf_counter() - started) * 1000
                logger.info("{} {} {} {:.1f}ms", scope["method"], scope["path"], status, elapsed)
        finally:
            correlation_id.reset(token)


class BodyGuard:
    """Refuses bodies over 1 MiB (413) and non-JSON bodies (415) before any parsing."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            refusal = problem(Kind(413, "payload-too-large"), self._too_large, scope["path"])
            return await refusal(scope, receive, send)
        has_body = length not in (None, "0") or "transfer-encoding" in headers
        if has_body and not _is_json(headers.get("content-type", "")):
            detail = "Request body must be application/json"
            return await problem(Kind(415, "unsupported-media-type"), detail, scope["path"])(
                scope, receive, send
            )
        await self.app(scope, self._limited(receive), send)

    @property
    def _too_large(self) -> str:
        return f"Request body over {self.max_bytes} bytes"

    def _limited(self, receive: Receive) -> Receive:
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                # Raised inside the route's body read, so the error handlers answer it.
                raise HTTPException(413, self._too_large)
            return message

        return limited


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")
