"""One table from error class to gRPC status (SPEC §3), looked up along the class hierarchy."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from loguru import logger

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

UNAVAILABLE_DETAIL = "A dependency is unavailable; try again later"
INTERNAL_DETAIL = "Internal server error"

ERROR_TABLE: dict[type[BaseException], grpc.StatusCode] = {
    ValidationError: grpc.StatusCode.INVALID_ARGUMENT,
    NotFoundError: grpc.StatusCode.NOT_FOUND,
    AlreadyExistsError: grpc.StatusCode.ALREADY_EXISTS,
    AuthenticationError: grpc.StatusCode.UNAUTHENTICATED,
    AuthorizationError: grpc.StatusCode.PERMISSION_DENIED,
    RateLimited: grpc.StatusCode.RESOURCE_EXHAUSTED,
    **dict.fromkeys(UNAVAILABLE_ERRORS, grpc.StatusCode.UNAVAILABLE),
}


@dataclass(frozen=True, slots=True)
class Failure:
    """What the client gets for an exception: status, a safe message and trailing metadata."""

    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, str], ...]

    @property
    def error_id(self) -> str:
        return dict(self.trailing_metadata)["error_id"]


def code_of(exc: BaseException) -> grpc.StatusCode:
    """The most specific table entry for the exception's class."""
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return grpc.StatusCode.INTERNAL


def failure_of(exc: BaseException, method: str) -> Failure:
    """Translate and log the exception; only a domain error's own message reaches the client."""
    code = code_of(exc)
    error_id = current_error_id()  # the call's request id: one id to find it by in the log
    metadata: list[tuple[str, str]] = [("error_id", error_id)]
    log = logger.bind(error_id=error_id)
    if isinstance(exc, RateLimited | Overloaded):
        metadata.append(("retry-after", str(exc.retry_after)))
    if code is grpc.StatusCode.INTERNAL:
        log.opt(exception=exc).error("{} {}: unhandled error", method, code.name)
        return Failure(code, INTERNAL_DETAIL, tuple(metadata))
    if code is grpc.StatusCode.UNAVAILABLE:
        log.error("{} {}: {!r}", method, code.name, exc)
        return Failure(code, UNAVAILABLE_DETAIL, tuple(metadata))
    assert isinstance(exc, DomainError)
    metadata.extend(("field-error", f"{field}: {message}") for field, message in exc.errors)
    log.info("{} {}: {}", method, code.name, exc.detail)
    return Failure(code, exc.detail, tuple(metadata))
