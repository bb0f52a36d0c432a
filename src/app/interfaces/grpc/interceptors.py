"""Server interceptors: request context (id and access log), error mapping, authentication.

Each wraps the behaviour of unary-unary methods (the app.v1 services); streaming methods (health
Watch, reflection) pass through untouched. The wrapped handler is built once per method.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection
from contextvars import ContextVar
from typing import Any

import grpc
from google.protobuf.message import DecodeError
from loguru import logger

from app.application.auth import AuthService, Principal
from app.application.context import client_address, correlation_id, request_id_or_new
from app.domain.shared import AuthenticationError, ValidationError
from app.infrastructure.proxies import NO_PROXIES, TrustedProxies
from app.interfaces.grpc.errors import failure_of

Behavior = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]
Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler | None]]

APP_METHODS = "/app.v1."
_principal: ContextVar[Principal | None] = ContextVar("grpc_principal", default=None)


def current_principal() -> Principal:
    """The caller authenticated by AuthInterceptor for this call."""
    principal = _principal.get()
    if principal is None:
        raise AuthenticationError("Missing bearer token")
    return principal


class UnaryInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Base: wraps the behaviour of every app.v1 unary-unary method with `around`."""

    def __init__(self) -> None:
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    async def intercept_service(
        self, continuation: Continuation, details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        method: str = details.method
        cached = self._wrapped.get(method)
        if cached is not None:
            return cached
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None or not method.startswith(APP_METHODS):
            return handler
        self._wrapped[method] = self._wrap(handler, method)
        return self._wrapped[method]

    def _wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        behavior: Behavior = handler.unary_unary

        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
            return await self.around(behavior, request, context, method)

        return grpc.unary_unary_rpc_method_handler(
            wrapped,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    async def around(
        self, behavior: Behavior, request: Any, context: grpc.aio.ServicerContext, method: str
    ) -> Any:
        raise NotImplementedError


class RequestContextInterceptor(UnaryInterceptor):
    """Request id, client address and access log, like REST's RequestContext middleware.

    Takes `x-request-id` (or makes one), returns it in trailing metadata, binds it to logs and
    outbox rows, finds the client's address for limits and the audit trail, and logs one line
    per call: method, status code and duration. It must be the outermost interceptor: the error
    interceptor inside it reports this id as the error_id.
    """

    def __init__(self, proxies: TrustedProxies = NO_PROXIES) -> None:
        super().__init__()
        self._proxies = proxies

    async def around(
        self, behavior: Behavior, request: Any, context: grpc.aio.ServicerContext, method: str
    ) -> Any:
        request_id = request_id_or_new(_metadata(context, "x-request-id"))
        # Trailing, not initial, metadata: it rides on the status frame instead of costing a write.
        context.set_trailing_metadata((("x-request-id", request_id),))
        token = correlation_id.set(request_id)
        client_token = client_address.set(peer_address(context, self._proxies))
        started = time.perf_counter()
        code = "OK"
        try:
            with logger.contextualize(request_id=request_id):
                try:
                    return await behavior(request, context)
                except BaseException:
                    code = _code_name(context)
                    raise
                finally:
                    elapsed = (time.perf_counter() - started) * 1000
                    logger.info("grpc {} {} {:.1f}ms", method, code, elapsed)
        finally:
            correlation_id.reset(token)
            client_address.reset(client_token)


def peer_address(context: grpc.aio.ServicerContext, proxies: TrustedProxies = NO_PROXIES) -> str:
    """The caller's address without its port (`ipv4:127.0.0.1:5000` -> `127.0.0.1`), taken from
    `x-forwarded-for` metadata only when the peer is a trusted proxy (the same rule as REST)."""
    peer: str = context.peer() or "unknown"
    kind, _, rest = peer.partition(":")
    if kind in ("ipv4", "ipv6"):
        peer = rest.rpartition(":")[0].strip("[]") or "unknown"
    metadata = context.invocation_metadata() or ()
    forwarded = [str(value) for key, value in metadata if key == "x-forwarded-for"]
    return proxies.client(peer, forwarded)


class ErrorInterceptor(UnaryInterceptor):
    """SPEC §3 statuses with `error_id` in trailing metadata; undecodable requests included."""

    def _wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        # Decode here rather than in gRPC's core, which answers a malformed message with INTERNAL.
        decode = handler.request_deserializer
        behavior: Behavior = handler.unary_unary

        async def wrapped(raw: bytes, context: grpc.aio.ServicerContext) -> Any:
            try:
                return await behavior(_decoded(decode, raw), context)
            except Exception as exc:
                failure = failure_of(exc, method)
                metadata = (*context.trailing_metadata(), *failure.trailing_metadata)
                await context.abort(failure.code, failure.details, metadata)

        return grpc.unary_unary_rpc_method_handler(
            wrapped, request_deserializer=None, response_serializer=handler.response_serializer
        )


class AuthInterceptor(UnaryInterceptor):
    """`authorization: Bearer <access>` with the same token and session rules as REST."""

    def __init__(self, auth: AuthService, public: Collection[str]) -> None:
        super().__init__()
        self._auth, self._public = auth, frozenset(public)

    async def around(
        self, behavior: Behavior, request: Any, context: grpc.aio.ServicerContext, method: str
    ) -> Any:
        if method in self._public:
            return await behavior(request, context)
        principal = await self._auth.authenticate(bearer_token(context))
        token = _principal.set(principal)
        try:
            return await behavior(request, context)
        finally:
            _principal.reset(token)


def bearer_token(context: grpc.aio.ServicerContext) -> str:
    """The token of `authorization: Bearer <token>`; AuthenticationError when absent."""
    scheme, _, token = _metadata(context, "authorization").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("Missing bearer token")
    return token.strip()


def _metadata(context: grpc.aio.ServicerContext, key: str) -> str:
    for name, value in context.invocation_metadata() or ():
        if name == key and isinstance(value, str):
            return value
    return ""


def _decoded(decode: Callable[[bytes], Any], raw: bytes) -> Any:
    try:
        return decode(raw)
    except (DecodeError, ValueError):
        raise ValidationError("The request is not a valid message of this method") from None


def _code_name(context: grpc.aio.ServicerContext) -> str:
    code = context.code()
    return code.name if isinstance(code, grpc.StatusCode) else str(code)
