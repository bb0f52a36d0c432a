"""What each column type accepts: its lookups and a check for the values compared with it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from app.domain.storable import UnstorableValue, storable_json, storable_text

EQUALITY = ("e", "ne", "in", "not_in", "is_null")
ORDERED = (*EQUALITY, "gt", "gte", "lt", "lte")
TEXT = (*ORDERED, "like", "ilike", "not_like_all")
JSON_DOCUMENT = ("e", "ne", "is_null", "jsonb_like", "jsonb_not_like")
JSON_KEY_TEXT = (*EQUALITY, "like", "ilike", "not_like_all", "jsonb_like", "jsonb_not_like")


class BadValue(Exception):
    """A key or value does not fit the columns; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class Kind:
    """What a column accepts: a label for messages, its lookups and a value check."""

    label: str
    lookups: tuple[str, ...]
    check: Callable[[Any], Any]


def text_value(value: Any) -> str:
    """A string PostgreSQL can compare: the domain's storable rule (no NUL, valid UTF-8)."""
    if not isinstance(value, str):
        raise BadValue
    try:
        return storable_text("value", value)
    except UnstorableValue:
        raise BadValue from None


def bool_value(value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadValue
    return value


def _integer(bits: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if type(value) is not int or not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
            raise BadValue
        return value

    return check


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise BadValue
    return value


def _date(value: Any) -> date:
    parsed = date.fromisoformat(value) if isinstance(value, str) else value
    if type(parsed) is not date:  # a datetime is a date too, but not a day
        raise BadValue
    return parsed


def _datetime(aware: bool) -> Callable[[Any], datetime]:
    def check(value: Any) -> datetime:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(parsed, datetime) or (parsed.utcoffset() is not None) != aware:
            raise BadValue
        return parsed

    return check


def _choice(choices: frozenset[str]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise BadValue
        return str(value)

    return check


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(text_value(value))


def json_value(value: Any) -> Any:
    """A value PostgreSQL stores as JSONB: the domain's storable rule (finite, no NUL, ...)."""
    try:
        return storable_json("value", value)
    except UnstorableValue:
        raise BadValue from None


def kind_of(column_type: sa.types.TypeEngine[Any]) -> Kind:
    """The rules of a column type; a type not known here allows little: equality and NULL."""
    if isinstance(column_type, sa.JSON):
        return Kind("JSON (object, list, string, number, bool)", JSON_DOCUMENT, json_value)
    if isinstance(column_type, sa.Boolean):
        return Kind("true or false", EQUALITY, bool_value)
    if isinstance(column_type, sa.Integer):
        bits = {sa.SmallInteger: 16, sa.BigInteger: 64}.get(type(column_type), 32)
        return Kind(f"an integer ({bits}-bit)", ORDERED, _integer(bits))
    if isinstance(column_type, sa.Numeric | sa.Float):
        return Kind("a number", ORDERED, _number)
    if isinstance(column_type, sa.Enum):  # PostgreSQL refuses a label outside the type
        choices = frozenset(column_type.enums)
        return Kind(f"one of {', '.join(sorted(choices))}", EQUALITY, _choice(choices))
    if isinstance(column_type, sa.String):
        return Kind("a string (no NUL characters)", TEXT, text_value)
    if isinstance(column_type, sa.DateTime):
        zone = "with" if column_type.timezone else "without"
        return Kind(f"an ISO 8601 date-time {zone} time zone", ORDERED, _datetime(zone == "with"))
    if isinstance(column_type, sa.Date):
        return Kind("a date (YYYY-MM-DD)", ORDERED, _date)
    if isinstance(column_type, sa.Uuid):
        return Kind("a UUID", ORDERED, _uuid)
    return _instance_of(column_type)


def _instance_of(column_type: sa.types.TypeEngine[Any]) -> Kind:
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        python_type = object
    if python_type is object:  # no way to check a value: only NULL tests are safe
        return Kind("nothing (only `__is_null`)", ("is_null",), _nothing)

    def check(value: Any) -> Any:
        if not isinstance(value, python_type):
            raise BadValue
        return value

    return Kind(f"a {python_type.__name__}", ("e", "ne", "is_null"), check)


def _nothing(value: Any) -> Any:
    raise BadValue
