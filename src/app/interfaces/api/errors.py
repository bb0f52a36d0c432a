"""One table from error class to problem document (SPEC §3), looked up along the class hierarchy."""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from loguru import logger
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.domain.shared import (
    AlreadyExistsError,
    AuthenticationError,
    AuthorizationError,
    DomainError,
    NotFoundError,
    RateLimited,
    ValidationError,
)
from app.infrastructure.errors import UNAVAILABLE_ERRORS

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True, slots=True)
class Kind:
    status: int
    slug: str

    @property
    def title(self) -> str:
        return HTTPStatus(self.status).phrase


UNAVAILABLE = Kind(503, "unavailable")
INTERNAL = Kind(500, "internal")
ERROR_TABLE: dict[type[BaseException], Kind] = {
    ValidationError: Kind(422, "validation"),
    NotFoundError: Kind(404, "not-found"),
    AlreadyExistsError: Kind(409, "already-exists"),
    AuthenticationError: Kind(401, "unauthenticated"),
    AuthorizationError: Kind(403, "forbidden"),
    RateLimited: Kind(429, "rate-limited"),
    **dict.fromkeys(UNAVAILABLE_ERRORS, UNAVAILABLE),
}
_HTTP_SLUGS = {
    400: "bad-request",
    401: "unauthenticated",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
    415: "unsupported-media-type",
}


def kind_of(exc: BaseException) -> Kind:
    """The most specific table entry for the exception's class."""
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return INTERNAL


def problem(
    kind: Kind,
    detail: str,
    instance: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    error_id = uuid.uuid4().hex
    body = {
        "type": f"urn:problem:{kind.slug}",
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "instance": instance,
        "error_id": error_id,
        "errors": errors or [],
        **(extra or {}),
    }
    headers = dict(headers or {})
    if kind.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if kind.status >= 500:
        logger.bind(error_id=error_id).error("{} {}: {}", kind.status, instance, detail)
    else:
        logger.bind(error_id=error_id).info("{} {}: {}", kind.status, instance, detail)
    return Response(orjson.dumps(body), kind.status, headers, media_type=PROBLEM_JSON)


def install_error_handlers(app: FastAPI, *, show_traceback: bool) -> None:
    async def on_domain_error(request: Request, exc: Exception) -> Response:
        kind = kind_of(exc)
        if kind is UNAVAILABLE:
            return problem(kind, "A dependency is unavailable; try again later", request.url.path)
        assert isinstance(exc, DomainError)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        errors = [{"field": f, "message": m} for f, m in exc.errors]
        return problem(kind, exc.detail, request.url.path, errors=errors, headers=headers)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        # Only the location and the rule: a submitted value (a password) is never echoed.
        errors = [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(Kind(422, "validation"), detail, request.url.path, errors=errors)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        kind = Kind(exc.status_code, _HTTP_SLUGS.get(exc.status_code, "http-error"))
        return problem(kind, str(exc.detail), request.url.path, headers=exc.headers)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        logger.opt(exception=exc).error("unhandled error on {}", request.url.path)
        extra = {"traceback": traceback.format_exception(exc)} if show_traceback else None
        return problem(INTERNAL, "Internal server error", request.url.path, extra=extra)

    app.add_exception_handler(DomainError, on_domain_error)
    for cls in UNAVAILABLE_ERRORS:
        app.add_exception_handler(cls, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"
