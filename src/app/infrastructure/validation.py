"""Pydantic's side of validation: domain checks as validators, and the one error flattener.

Every edge that validates with pydantic (the REST schemas, the consumer's and the Celery tasks'
TypeAdapters) runs the domain's own checks through `domain_check`, so pydantic reports every bad
field in one pass, and reports them through `field_errors`: one (field, message) per failure,
never the submitted value (a password), always printable text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from pydantic import AfterValidator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from app.domain.shared import ValidationError

T = TypeVar("T")
# Where in a request FastAPI found the value: the first part of its error locations.
_REQUEST_PARTS = frozenset({"body", "query", "path", "header", "cookie"})


def domain_check(check: Callable[[Any], object]) -> AfterValidator:
    """`check` as a pydantic validator: the value is kept, a ValidationError becomes its error."""

    def validate(value: T) -> T:
        try:
            check(value)
        except ValidationError as exc:
            reasons = "; ".join(message for _, message in exc.errors) or exc.detail
            raise PydanticCustomError("value_error", reasons) from None
        return value

    return AfterValidator(validate)


def field_errors(
    errors: Iterable[Mapping[str, Any]], *, in_request: bool = False
) -> list[tuple[str, str]]:
    """(field, message) of each pydantic error; `in_request` drops FastAPI's `body`/`query`."""
    flat = []
    for error in errors:
        location = tuple(error["loc"])
        if in_request and location[:1] and location[0] in _REQUEST_PARTS:
            location = location[1:]
        field = ".".join(str(part) for part in location) or "body"
        flat.append((printable(field), printable(str(error["msg"]))))
    return flat


def domain_error(exc: PydanticValidationError) -> ValidationError:
    """The pydantic failure as the domain's ValidationError, each field listed."""
    errors = field_errors(exc.errors(include_url=False, include_input=False))
    return ValidationError(summary(errors), errors=errors)


def summary(errors: Iterable[tuple[str, str]]) -> str:
    """The one-line summary of field errors: `field: message; field: message`."""
    return "; ".join(f"{field}: {message}" for field, message in errors)


def printable(text: str) -> str:
    """Control characters and lone surrogates escaped (`\\x00`, `\\ud800`), the rest kept."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
