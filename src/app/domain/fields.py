"""Field rules of a context's records: what each field type takes, and the one check of them all.

A context made by `app scaffold context` declares each field with one of these rules
(domain/<context>/values.py). A rule takes what an interface sent (a parsed value from REST, or
the text gRPC carries for a date, a decimal, a uuid or a choice) and returns the value to store,
or raises InvalidValue saying what the field takes; `check_fields` names the field in the
context's own ValidationError and lists every bad field at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from contextlib import suppress
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

from app.domain.shared import ValidationError, check_all
from app.domain.storable import UnstorableValue, storable_json, storable_text

Rule = Callable[[Any], Any]
N = TypeVar("N", int, Decimal)
FieldError = Callable[[str, str], ValidationError]
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL = re.compile(r"-?[0-9]{1,100}(\.[0-9]{1,100})?")


class InvalidValue(Exception):
    """A value breaks its field's rule; the message says what the field takes."""


def text(*, min_length: int = 1, max_length: int | None = None) -> Rule:
    """Text without surrounding whitespace, of `min_length` to `max_length` characters."""
    if max_length is not None:
        rule_text = f"must have {min_length} to {max_length} characters"
    else:
        rule_text = "must not be empty" if min_length == 1 else f"must have {min_length} or more"

    def rule(value: Any) -> str:
        kept = _storable(_of_type(value, str, "a string")).strip()
        if len(kept) < min_length or (max_length is not None and len(kept) > max_length):
            raise InvalidValue(rule_text)
        return kept

    return rule


def integer(*, minimum: int = INT64_MIN, maximum: int = INT64_MAX) -> Rule:
    """A whole number from `minimum` to `maximum` (64-bit at most)."""

    def rule(value: Any) -> int:
        if type(value) is not int:  # True is an int too, but not a number here
            raise InvalidValue("must be an integer")
        return _within(value, minimum, maximum)

    return rule


def decimal(
    *, digits: int, places: int, minimum: Decimal | None = None, maximum: Decimal | None = None
) -> Rule:
    """A decimal number of at most `digits` digits, `places` of them after the point, kept
    with exactly `places` decimals (as its NUMERIC column returns it)."""
    step = Decimal(1).scaleb(-places)
    biggest = Decimal(10) ** (digits - places) - step

    def rule(value: Any) -> Decimal:
        number = _decimal(value)
        if abs(number) > biggest:
            raise InvalidValue(f"must have at most {digits - places} digits before the point")
        kept = number.quantize(step)
        if kept != number:  # 1.500 is 1.50; 1.505 would need rounding
            raise InvalidValue(f"must have at most {places} decimal places")
        return _within(kept, minimum, maximum)

    return rule


def flag() -> Rule:
    """true or false."""
    return partial(_of_type, kind=bool, label="true or false")


def day() -> Rule:
    """A date, or its text as YYYY-MM-DD (a date-time is not a day)."""
    return _day


def moment() -> Rule:
    """A date-time with its time zone (or its ISO 8601 text), kept in UTC."""
    return _moment


def identifier() -> Rule:
    """A UUID, or its text."""
    return _uuid


def document() -> Rule:
    """A JSON object that can be stored (app.domain.storable)."""
    return _document


def choice(choices: type[StrEnum]) -> Rule:
    """One of the values of `choices`, kept as its member."""
    shown = ", ".join(choices)

    def rule(value: Any) -> StrEnum:
        if not isinstance(value, str) or value not in choices._value2member_map_:
            raise InvalidValue(f"must be one of {shown}")
        return choices(value)

    return rule


def check_fields(
    values: Mapping[str, Any],
    rules: Mapping[str, Rule],
    *,
    optional: Collection[str],
    error: FieldError,
    complete: bool = False,
) -> dict[str, Any]:
    """Each value as stored; None clears an optional field. `complete` asks for every required
    field and gives the optional ones left out as None. Raises one ValidationError (made by
    `error`) listing every bad, unknown or missing field."""
    checks: dict[str, Callable[[], Any]] = {
        name: partial(_checked, name, value, rules, optional, error)
        for name, value in values.items()
    }
    left_out = [name for name in rules if name not in values] if complete else []
    checks |= {
        name: _nothing if name in optional else partial(_missing, name, error) for name in left_out
    }
    return check_all(checks)


def plain(value: Any) -> Any:
    """A stored value as JSON carries it: text for a decimal, a date, a time or a uuid."""
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    return value.value if isinstance(value, StrEnum) else value


def _checked(
    name: str,
    value: Any,
    rules: Mapping[str, Rule],
    optional: Collection[str],
    error: FieldError,
) -> Any:
    rule = rules.get(name)
    if rule is None:
        raise error(name, f"not a field; the fields are {', '.join(rules)}")
    if value is None:
        if name in optional:
            return None
        raise error(name, "must not be null")
    try:
        return rule(value)
    except InvalidValue as exc:
        raise error(name, str(exc)) from None


def _missing(name: str, error: FieldError) -> None:
    raise error(name, "is required")


def _nothing() -> None:
    return None


def _of_type(value: Any, kind: type, label: str) -> Any:
    if type(value) is not kind:
        raise InvalidValue(f"must be {label}")
    return value


def _storable(value: str) -> str:
    try:
        return storable_text("value", value)
    except UnstorableValue as exc:
        raise InvalidValue(exc.reason) from None


def _within(value: N, minimum: N | None, maximum: N | None) -> N:
    if minimum is not None and value < minimum:
        raise InvalidValue(f"must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise InvalidValue(f"must be at most {maximum}")
    return value


def _decimal(value: Any) -> Decimal:
    if (isinstance(value, str) and _DECIMAL.fullmatch(value)) or type(value) is int:
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidValue("must be a decimal number, such as 12.50")
    return value


def _day(value: Any) -> date:
    # The text is YYYY-MM-DD only (fromisoformat also reads 20000101 or 2000-W01-1).
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        with suppress(ValueError):
            value = date.fromisoformat(value)
    if type(value) is not date:
        raise InvalidValue("must be a date as YYYY-MM-DD")
    return value


def _moment(value: Any) -> datetime:
    if isinstance(value, str):
        with suppress(ValueError):
            value = datetime.fromisoformat(value)
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidValue("must be a date-time with a time zone (ISO 8601)")
    return value.astimezone(UTC)


def _uuid(value: Any) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(_of_type(value, str, "a UUID"))
    except ValueError:
        raise InvalidValue("must be a UUID") from None


def _document(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidValue("must be a JSON object")
    try:
        return dict(storable_json("value", value))
    except UnstorableValue as exc:
        raise InvalidValue(exc.reason) from None
