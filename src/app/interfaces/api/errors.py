"""One table from error class to problem document (SPEC §3), looked up along the class hierarchy.

The same table writes each route's problem responses into OpenAPI (`problems`), so the document
and the answers cannot disagree.
"""

from __future__ import annotations

import functools
import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from loguru import logger
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import compile_path

from app.application.context import current_error_id
from app.domain.shared import (
    AlreadyExistsError,
    AuthenticationError,
    AuthorizationError,
    DomainError,
    NotFoundError,
    Overloaded,
    RateLimited,
    ValidationError,
)
from app.infrastructure.errors import UNAVAILABLE_ERRORS
from app.infrastructure.validation import field_errors, summary

PROBLEM_JSON = "application/problem+json"
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"


@dataclass(frozen=True, slots=True)
class Kind:
    status: int
    slug: str

    @property
    def title(self) -> str:
        return HTTPStatus(self.status).phrase


VALIDATION = Kind(422, "validation")
BAD_REQUEST = Kind(400, "bad-request")
UNAVAILABLE = Kind(503, "unavailable")
INTERNAL = Kind(500, "internal")
PAYLOAD_TOO_LARGE = Kind(413, "payload-too-large")
UNSUPPORTED_MEDIA_TYPE = Kind(415, "unsupported-media-type")
ERROR_TABLE: dict[type[BaseException], Kind] = {
    ValidationError: VALIDATION,
    NotFoundError: Kind(404, "not-found"),
    AlreadyExistsError: Kind(409, "already-exists"),
    AuthenticationError: Kind(401, "unauthenticated"),
    AuthorizationError: Kind(403, "forbidden"),
    RateLimited: Kind(429, "rate-limited"),
    **dict.fromkeys(UNAVAILABLE_ERRORS, UNAVAILABLE),
}
# Starlette's own HTTP errors: routing, an undecodable body, a body found too large on reading.
_HTTP_KINDS = {
    kind.status: kind
    for kind in (
        BAD_REQUEST,
        ERROR_TABLE[AuthenticationError],
        ERROR_TABLE[NotFoundError],
        Kind(405, "method-not-allowed"),
        PAYLOAD_TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
    )
}
# What the body guard answers on any POST, PUT or PATCH, before a route reads the body.
GUARDED_BODY = (PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE)
# A route that parses a JSON body also answers 400 for bytes that are not UTF-8 text and 422
# for a body that is not JSON or does not fit the model.
JSON_BODY = (*GUARDED_BODY, BAD_REQUEST, VALIDATION)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
_RETRY_AFTER = {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}
# Headers of problem responses, by status, as `problem` and `on_domain_error` set them.
_HEADERS: dict[int, dict[str, dict[str, Any]]] = {
    401: {
        k: {"required": True, "schema": {"type": "string", "enum": [v]}}
        for k, v in _CHALLENGE.items()
    },
    429: {"Retry-After": {**_RETRY_AFTER, "required": True}},
    503: {"Retry-After": {**_RETRY_AFTER, "description": "Set when the service sheds load"}},
}

Cause = type[BaseException] | Kind


def kind_for(cls: type[BaseException]) -> Kind:
    """The most specific table entry for an exception class."""
    for base in cls.__mro__:
        if base in ERROR_TABLE:
            return ERROR_TABLE[base]
    return INTERNAL


def kind_of(exc: BaseException) -> Kind:
    """The most specific table entry for the exception's class."""
    return kind_for(type(exc))


def problems(*causes: Cause) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses of these errors, plus the 500 any route can answer, from the table."""
    slugs: dict[int, set[str]] = {INTERNAL.status: {INTERNAL.slug}}
    for cause in causes:
        kind = cause if isinstance(cause, Kind) else kind_for(cause)
        if kind is INTERNAL:
            raise TypeError(f"{cause!r} has no entry in the error table")
        slugs.setdefault(kind.status, set()).add(kind.slug)
    return {status: _documented(status, sorted(slugs[status])) for status in sorted(slugs)}


def _documented(status: int, slugs: list[str]) -> dict[str, Any]:
    types = ", ".join(f"urn:problem:{slug}" for slug in slugs)
    response: dict[str, Any] = {
        "description": f"{HTTPStatus(status).phrase} ({types})",
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def problem(
    kind: Kind,
    detail: str,
    instance: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    exc: BaseException | None = None,
) -> Response:
    """The problem document, logged with the request: its error_id is the request id."""
    error_id = current_error_id()
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
        headers.update(_CHALLENGE)
    level = "ERROR" if kind.status >= 500 else "INFO"
    log = logger.bind(error_id=error_id).opt(exception=exc)
    log.log(level, "{} {}: {}", kind.status, instance, detail)
    return Response(orjson.dumps(body), kind.status, headers, media_type=PROBLEM_JSON)


def internal_error(exc: Exception, instance: str, *, show_traceback: bool) -> Response:
    """The 500 for an exception nothing handled; its traceback is logged here, once."""
    extra = {"traceback": traceback.format_exception(exc)} if show_traceback else None
    return problem(INTERNAL, "Internal server error", instance, extra=extra, exc=exc)


def install_error_handlers(app: FastAPI) -> None:
    """Handlers of the table's errors; anything else is RequestContext's 500 (`internal_error`)."""

    async def on_domain_error(request: Request, exc: Exception) -> Response:
        kind = kind_of(exc)
        retry_after = exc.retry_after if isinstance(exc, RateLimited | Overloaded) else None
        headers = None if retry_after is None else {"Retry-After": str(retry_after)}
        if kind is UNAVAILABLE:
            detail = "A dependency is unavailable; try again later"
            return problem(kind, detail, request.url.path, headers=headers)
        assert isinstance(exc, DomainError)
        errors = [{"field": f, "message": m} for f, m in exc.errors]
        return problem(kind, exc.detail, request.url.path, errors=errors, headers=headers)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        flat = field_errors(exc.errors(), in_request=True)
        errors = [{"field": field, "message": message} for field, message in flat]
        return problem(VALIDATION, summary(flat), request.url.path, errors=errors)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        kind = _HTTP_KINDS.get(exc.status_code) or Kind(exc.status_code, "http-error")
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(sorted(_methods_at(request)))}
        return problem(kind, str(exc.detail), request.url.path, headers=headers)

    app.add_exception_handler(DomainError, on_domain_error)
    for cls in UNAVAILABLE_ERRORS:
        app.add_exception_handler(cls, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)


def _methods_at(request: Request) -> set[str]:
    """Every method some route serves at the request's path (the router names one route's)."""
    path = request.url.path
    return {
        method
        for route in iter_route_contexts(request.app.routes)
        if route.path and route.methods and _path_regex(route.path).match(path)
        for method in route.methods
    }


@functools.cache
def _path_regex(path: str) -> re.Pattern[str]:
    return compile_path(path)[0]
