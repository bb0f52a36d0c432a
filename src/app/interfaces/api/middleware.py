"""Pure ASGI middleware: request ids, access log and the 500; body size and content type guards."""

from __future__ import annotations

import time
from collections.abc import Collection

from loguru import logger
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.application.context import client_address, correlation_id, request_id_or_new
from app.infrastructure.proxies import NO_PROXIES, TrustedProxies
from app.interfaces.api.errors import (
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    internal_error,
    problem,
)

MAX_BODY_BYTES = 1 << 20
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode()
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class RequestContext:
    """Takes `X-Request-ID` (or makes one), returns it, binds it to logs and outbox rows, and
    finds the client's address (behind the trusted proxies) for limits and the audit trail.

    The id is also the error_id of any problem the request gets. Wrapping the whole app (CORS
    aside), this turns an exception nothing handled into the 500 problem, so that answer too
    carries the id and its access line, and its traceback is logged once, here: nothing reaches
    the server to log it again. Requests to `quiet` paths (probes polled every few seconds) are
    logged at DEBUG while they succeed.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        proxies: TrustedProxies = NO_PROXIES,
        show_traceback: bool = False,
        quiet: Collection[str] = (),
    ) -> None:
        self.app, self._show_traceback, self._quiet = app, show_traceback, frozenset(quiet)
        self._proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        request_id = request_id_or_new(headers.get(REQUEST_ID_HEADER, ""))
        peer = scope["client"][0] if scope.get("client") else "unknown"
        client = self._proxies.client(peer, headers.getlist("x-forwarded-for"))
        status: int | None = None
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((_REQUEST_ID_KEY, request_id.encode()))
            await send(message)

        token, client_token = correlation_id.set(request_id), client_address.set(client)
        try:
            with logger.contextualize(request_id=request_id):
                try:
                    await self.app(scope, receive, send_with_id)
                except Exception as exc:
                    path, show = scope["path"], self._show_traceback
                    failure = internal_error(exc, path, show_traceback=show)
                    # Once a status is sent the answer cannot change: the server cuts it off.
                    if status is None:
                        await failure(scope, receive, send_with_id)
                self._log(scope, status or 500, (time.perf_counter() - started) * 1000)
        finally:
            correlation_id.reset(token)
            client_address.reset(client_token)

    def _log(self, scope: Scope, status: int, elapsed_ms: float) -> None:
        level = "DEBUG" if scope["path"] in self._quiet and status < 400 else "INFO"
        logger.log(level, "{} {} {} {:.1f}ms", scope["method"], scope["path"], status, elapsed_ms)


class BodyGuard:
    """Refuses bodies over 1 MiB (413) and non-JSON bodies (415) before any parsing."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            refusal = problem(PAYLOAD_TOO_LARGE, self._too_large, scope["path"])
            return await refusal(scope, receive, send)
        has_body = length not in (None, "0") or "transfer-encoding" in headers
        if has_body and not _is_json(headers.get("content-type", "")):
            detail = "Request body must be application/json"
            return await problem(UNSUPPORTED_MEDIA_TYPE, detail, scope["path"])(
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
