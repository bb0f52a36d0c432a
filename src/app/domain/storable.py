"""The one rule for text and JSON from outside: what PostgreSQL, JSON and protobuf can all carry.

PostgreSQL refuses a NUL character in text and in JSONB, UTF-8 cannot encode a lone surrogate,
JSON has no NaN or Infinity, orjson writes integers of at most 64 bits, and protobuf parsers
refuse a message nested more than 100 levels deep. The value objects, the edge schemas, the
consumer and the filter DSL all call these two checks, so a value accepted once can be stored,
published and read back on every interface.
"""

from __future__ import annotations

import math
from typing import Any

from app.domain.shared import ValidationError

# Objects and lists inside one another, the outermost counted. Over gRPC each JSON object costs
# three protobuf levels (Struct, its map entry, Value): a profile whose `meta` is 32 objects
# deep reaches level 97 of the 100 protobuf parsers allow, so it still reads back with GetMe.
MAX_JSON_DEPTH = 32
_INT64 = range(-(2**63), 2**63)

NUL = "must not contain NUL characters"
SURROGATE = "must not contain lone surrogates (text must be valid UTF-8)"
NOT_FINITE = "numbers must be finite (no NaN or Infinity)"
TOO_BIG = "integers must fit in 64 bits"
TOO_DEEP = f"objects and lists must not nest more than {MAX_JSON_DEPTH} levels deep"
NOT_JSON = "must hold only objects with string keys, lists, strings, numbers, booleans and null"


class UnstorableValue(ValidationError):
    """A value breaks the storable rule; the message names the rule, never the value."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", errors=[(field, reason)])
        self.field, self.reason = field, reason


def storable_text(field: str, value: str) -> str:
    """`value` unchanged; raises UnstorableValue for a NUL or a lone surrogate."""
    if "\x00" in value:
        raise UnstorableValue(field, NUL)
    try:
        value.encode()
    except UnicodeEncodeError:
        raise UnstorableValue(field, SURROGATE) from None
    return value


def storable_json(field: str, value: Any) -> Any:
    """`value` unchanged; raises UnstorableValue unless every part of it is storable JSON."""
    _check(field, value, 0)
    return value


def _check(field: str, value: Any, depth: int) -> None:
    if isinstance(value, dict | list | tuple):
        if depth >= MAX_JSON_DEPTH:
            raise UnstorableValue(field, TOO_DEEP)
        for item in _members(field, value):
            _check(field, item, depth + 1)
    elif isinstance(value, str):
        storable_text(field, value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise UnstorableValue(field, NOT_FINITE)
    elif isinstance(value, int) and not isinstance(value, bool) and value not in _INT64:
        raise UnstorableValue(field, TOO_BIG)
    elif value is not None and not isinstance(value, bool | int | float):
        raise UnstorableValue(field, NOT_JSON)


def _members(field: str, value: dict[Any, Any] | list[Any] | tuple[Any, ...]) -> list[Any]:
    if not isinstance(value, dict):
        return list(value)
    for key in value:
        if not isinstance(key, str):
            raise UnstorableValue(field, NOT_JSON)
        storable_text(field, key)
    return list(value.values())
