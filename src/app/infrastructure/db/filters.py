"""The filter DSL's checks (SPEC section 5): keys, values, order and page, before any SQL exists.

Negative lookups (`ne`, `not_in`, `not_like_all`, `jsonb_not_like`) also match NULL, as a
client reading "not x" expects; `is_null` is the way to ask for NULLs, a None value never is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import suppress
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Table

from app.domain.shared import ValidationError
from app.infrastructure.db.column_kinds import (
    JSON_DOCUMENT,
    JSON_KEY_TEXT,
    TEXT,
    BadValue,
    Kind,
    bool_value,
    kind_of,
    text_value,
)

SEPARATOR = "__"
JSON_KEY = re.compile(r"[A-Za-z0-9_]{1,64}")
LOOKUPS = frozenset(TEXT + JSON_DOCUMENT)
_LISTS = frozenset({"in", "not_in", "not_like_all"})
_SUBSTRINGS = frozenset({"like", "ilike", "not_like_all", "jsonb_like", "jsonb_not_like"})
_MAX_OFFSET = 2**63 - 1
_MAX_LIST = 1000
_MAX_ITEMS = 10_000  # one bound parameter each; asyncpg refuses more than 32767


_JSON_KEY = Kind("a string", JSON_KEY_TEXT, text_value)
_FLAG = Kind("true or false", (), bool_value)
_SUBSTRING = Kind("a string (no NUL characters)", (), text_value)


def _contains(target: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    return target.contains(text, autoescape=True)  # `%`, `_` and the escape char stay literal


def _none_of(target: ColumnElement[Any], texts: list[str]) -> ColumnElement[bool]:
    return sa.or_(target.is_(None), sa.and_(sa.true(), *(~_contains(target, t) for t in texts)))


_BUILD: dict[str, Callable[[ColumnElement[Any], Any], ColumnElement[bool]]] = {
    "e": lambda target, value: target == value,
    "ne": lambda target, value: target.is_distinct_from(value),
    "gt": lambda target, value: target > value,
    "gte": lambda target, value: target >= value,
    "lt": lambda target, value: target < value,
    "lte": lambda target, value: target <= value,
    "in": lambda target, value: target.in_(value),
    "not_in": lambda target, value: sa.or_(target.is_(None), target.not_in(value)),
    "like": _contains,
    "ilike": lambda target, value: target.icontains(value, autoescape=True),
    "not_like_all": _none_of,
    "is_null": lambda target, value: target.is_(None) if value else target.is_not(None),
    "jsonb_like": lambda target, value: _contains(sa.cast(target, sa.Text), value),
    "jsonb_not_like": lambda target, value: _none_of(sa.cast(target, sa.Text), [value]),
}


def show(key: object) -> str:
    """A key as messages quote it: short enough for a log line."""
    text = str(key)
    return repr(text if len(text) <= 80 else f"{text[:80]}...")


def invalid(problems: Sequence[tuple[str, str]]) -> ValidationError:
    """One ValidationError listing every problem as (key, message)."""
    return ValidationError(" ".join(message for _, message in problems), errors=list(problems))


def checked(key: str, kind: Kind, value: Any) -> Any:
    """`value` as `kind` takes it; raises BadValue naming the key and what it expects."""
    try:
        return kind.check(value)
    except (BadValue, ValueError, TypeError):
        raise BadValue(f"Bad value for {show(key)}: expected {kind.label}.") from None


def _value(key: str, lookup: str, kind: Kind, value: Any) -> Any:
    if value is None and lookup != "is_null":
        raise BadValue(f"Bad value for {show(key)}: to match NULL use `__is_null`.")
    kind = _FLAG if lookup == "is_null" else _SUBSTRING if lookup in _SUBSTRINGS else kind
    if lookup not in _LISTS:
        return checked(key, kind, value)
    if isinstance(value, list | tuple) and len(value) <= _MAX_LIST:
        with suppress(BadValue, ValueError, TypeError):
            return [kind.check(item) for item in value]
    expected = f"a list of at most {_MAX_LIST} items, each {kind.label}"
    raise BadValue(f"Bad value for {show(key)}: expected {expected}.")


class Columns:
    """The columns one query may filter, order by and return, under the limits of SPEC section 5."""

    def __init__(
        self, table: Table, fields: Collection[str], *, max_filters: int, max_page_size: int
    ) -> None:
        unknown = sorted(set(fields) - set(table.c.keys()))
        if unknown:
            raise ValueError(f"not columns of {table.name}: {', '.join(unknown)}")
        self.table = table
        self.kinds = {name: kind_of(table.c[name].type) for name in fields}
        self._max_filters, self._max_page_size = max_filters, max_page_size

    def where(self, filters: Mapping[str, Any] | None) -> list[ColumnElement[bool]]:
        """The checked conditions of `filters`; raises ValidationError naming each bad key."""
        if filters is None:
            return []
        if not isinstance(filters, Mapping):
            raise invalid([("filters", "Filters are an object of `field__lookup: value` pairs.")])
        if len(filters) > self._max_filters:
            count = len(filters)
            raise invalid([("filters", f"At most {self._max_filters} filters, got {count}.")])
        lists = (value for value in filters.values() if isinstance(value, list | tuple))
        if sum(len(value) for value in lists) > _MAX_ITEMS:
            raise invalid([("filters", f"At most {_MAX_ITEMS} list items in all filters.")])
        conditions, problems = [], []
        for key, value in filters.items():
            try:
                conditions.append(self._condition(key, value))
            except BadValue as exc:
                problems.append((str(key)[:80], str(exc)))
        if problems:
            raise invalid(problems)
        return conditions

    def order(self, order_by: Sequence[str]) -> list[ColumnElement[Any]]:
        """ORDER BY clauses (`-field` descending), then the primary key so pages are stable."""
        rule = f"Order by {', '.join(self.kinds)}, each once, '-' first for descending."
        if isinstance(order_by, str) or not isinstance(order_by, Sequence):
            raise invalid([("order_by", f"order_by is a list of field names. {rule}")])
        names = [item.removeprefix("-") if isinstance(item, str) else item for item in order_by]
        bad = [item for item, name in zip(order_by, names, strict=True) if name not in self.kinds]
        if bad or len(set(names)) != len(names):
            shown = ", ".join(show(item) for item in bad) or "a repeated field"
            raise invalid([("order_by", f"Bad order_by: {shown}. {rule}")])
        columns = [self.table.c[name] for name in names]
        clauses = [
            column.asc() if item == name else column.desc()
            for item, name, column in zip(order_by, names, columns, strict=True)
        ]
        return clauses + [
            column.asc() for column in self.table.primary_key if column.name not in names
        ]

    def page(self, limit: int | None, offset: int) -> tuple[int, int]:
        """`limit` from 1 to MAX_PAGE_SIZE (the maximum when omitted) and `offset` from 0."""
        limit = self._max_page_size if limit is None else limit
        problems = []
        if type(limit) is not int or not 1 <= limit <= self._max_page_size:
            problems.append(("limit", f"limit is an integer from 1 to {self._max_page_size}."))
        if type(offset) is not int or not 0 <= offset <= _MAX_OFFSET:
            problems.append(("offset", "offset is an integer from 0."))
        if problems:
            raise invalid(problems)
        return limit, offset

    def _condition(self, key: object, value: Any) -> ColumnElement[bool]:
        if not isinstance(key, str):
            raise BadValue(f"Filter keys are strings, got {show(key)}.")
        field, json_key, lookup = self._split(key)
        target: ColumnElement[Any] = self.table.c[field]
        kind = self.kinds[field]
        if json_key is not None:
            target, kind = target[json_key].as_string(), _JSON_KEY
        if lookup not in kind.lookups:
            raise BadValue(
                f"Unknown lookup {show(lookup)} for {show(field)} in {show(key)}. "
                f"Allowed lookups: {', '.join(kind.lookups)}."
            )
        return _BUILD[lookup](target, _value(key, lookup, kind, value))

    def _split(self, key: str) -> tuple[str, str | None, str]:
        """`field`, `field__lookup`, `json_field__key` or `json_field__key__lookup`."""
        field, *rest = key.split(SEPARATOR)
        if field not in self.kinds:
            allowed = ", ".join(self.kinds)
            raise BadValue(
                f"Unknown field {show(field)} in {show(key)}. Allowed fields: {allowed}."
            )
        is_json = self.kinds[field].lookups is JSON_DOCUMENT
        if not is_json or not rest or (len(rest) == 1 and rest[0] in LOOKUPS) or len(rest) > 2:
            return field, None, SEPARATOR.join(rest) if rest else "e"
        json_key, lookup = rest[0], rest[1] if len(rest) == 2 else "e"
        if not JSON_KEY.fullmatch(json_key):
            raise BadValue(
                f"Bad JSON key {show(json_key)} in {show(key)}: "
                "use 1 to 64 letters, digits or underscores."
            )
        return field, json_key, lookup
