"""What each column type accepts: its lookups, a check for the values compared with it, and how
a value is read from text (a query string, a gRPC filter, a cursor) and written back to it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import orjson
import sqlalchemy as sa

from app.domain.storable import UnstorableValue, storable_json, storable_text

EQUALITY = ("e", "ne", "in", "not_in", "is_null")
ORDERED = (*EQUALITY, "gt", "gte", "lt", "lte")
TEXT = (*ORDERED, "like", "ilike", "not_like_all")
JSON_DOCUMENT = ("e", "ne", "is_null", "jsonb_like", "jsonb_not_like")
JSON_KEY_TEXT = (*EQUALITY, "like", "ilike", "not_like_all", "jsonb_like", "jsonb_not_like")


class BadValue(Exception):
    """A key or value does not fit the columns; the message says what was expected."""


def _as_is(text: str) -> Any:
    return text


@dataclass(frozen=True, slots=True)
class Kind:
    """What a column accepts: a label for messages, its lookups, a value check, and `parse`,
    which turns text into a value `check` takes (raising BadValue or ValueError)."""

    label: str
    lookups: tuple[str, ...]
    check: Callable[[Any], Any]
    parse: Callable[[str], Any] = _as_is


def text_of(value: Any) -> str | None:
    """The text `Kind.parse` reads back as `value` (None stays None)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    return str(value)


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


def bool_text(text: str) -> bool:
    """`true` or `false`, as JSON spells them."""
    if text not in ("true", "false"):
        raise BadValue
    return text == "true"


_INTEGER_TEXT = re.compile(r"-?[0-9]{1,20}")
_NUMBER_TEXT = re.compile(r"-?[0-9]{1,100}(\.[0-9]{1,100})?([eE][-+]?[0-9]{1,4})?")
_DAY_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _integer_text(text: str) -> int:
    if not _INTEGER_TEXT.fullmatch(text):  # int() would also take "1_0" and " 1"
        raise BadValue
    return int(text)


def _number_text(as_float: bool) -> Callable[[str], Decimal | float]:
    def parse(text: str) -> Decimal | float:
        if not _NUMBER_TEXT.fullmatch(text):  # no NaN, no infinity
            raise BadValue
        try:
            number = float(text) if as_float else Decimal(text)
        except InvalidOperation:
            raise BadValue from None
        if not math.isfinite(number):  # 1e9999 as a float
            raise BadValue
        return number

    return parse


def _datetime_text(aware: bool) -> Callable[[str], Any]:
    """A date alone stands for its midnight (UTC on a column with a time zone)."""

    def parse(text: str) -> Any:
        if not _DAY_TEXT.fullmatch(text):
            return text
        midnight = datetime.combine(date.fromisoformat(text), time())
        return midnight.replace(tzinfo=UTC) if aware else midnight

    return parse


def _json_text(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise BadValue from None


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
        label = "JSON (object, list, string, number, bool)"
        return Kind(label, JSON_DOCUMENT, json_value, _json_text)
    if isinstance(column_type, sa.ARRAY):  # a value is one item (lookups.py: _ON_LISTS)
        item = kind_of(column_type.item_type)
        return Kind(f"{item.label}, an item of the list", EQUALITY, item.check, item.parse)
    if isinstance(column_type, sa.Boolean):
        return Kind("true or false", EQUALITY, bool_value, bool_text)
    if isinstance(column_type, sa.Integer):
        bits = {sa.SmallInteger: 16, sa.BigInteger: 64}.get(type(column_type), 32)
        return Kind(f"an integer ({bits}-bit)", ORDERED, _integer(bits), _integer_text)
    if isinstance(column_type, sa.Numeric | sa.Float):
        as_float = isinstance(column_type, sa.Float)
        return Kind("a number", ORDERED, _number, _number_text(as_float))
    if isinstance(column_type, sa.Enum):  # PostgreSQL refuses a label outside the type
        choices = frozenset(column_type.enums)
        return Kind(f"one of {', '.join(sorted(choices))}", EQUALITY, _choice(choices))
    if isinstance(column_type, sa.String):
        return Kind("a string (no NUL characters)", TEXT, text_value)
    if isinstance(column_type, sa.DateTime):
        aware = bool(column_type.timezone)
        label = f"an ISO 8601 date-time {'with' if aware else 'without'} time zone"
        return Kind(label, ORDERED, _datetime(aware), _datetime_text(aware))
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
