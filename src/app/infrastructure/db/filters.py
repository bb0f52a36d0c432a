"""The filter DSL's checks (SPEC section 5): keys, values, order and page, before any SQL exists.

Values come as Python values, or as text (`parse`: a query string, gRPC filters), read the way
each column's kind reads text (column_kinds), so the two forms cannot disagree.

Negative lookups (`ne`, `not_in`, `not_like_all`, `jsonb_not_like`) also match NULL, as a
client reading "not x" expects; `is_null` is the way to ask for NULLs, a None value never is.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import suppress
from typing import Any

from sqlalchemy import ColumnElement, Table

from app.domain.shared import ValidationError
from app.infrastructure.db.column_kinds import (
    JSON_DOCUMENT,
    JSON_KEY_TEXT,
    TEXT,
    BadValue,
    Kind,
    bool_text,
    bool_value,
    kind_of,
    text_of,
    text_value,
)
from app.infrastructure.db.keyset import SortKey, following
from app.infrastructure.db.lookups import condition

SEPARATOR = "__"
JSON_KEY = re.compile(r"[A-Za-z0-9_]{1,64}")
LOOKUPS = frozenset(TEXT + JSON_DOCUMENT)
_LISTS = frozenset({"in", "not_in", "not_like_all"})
_SUBSTRINGS = frozenset({"like", "ilike", "not_like_all", "jsonb_like", "jsonb_not_like"})
_MAX_OFFSET = 2**63 - 1
_MAX_LIST = 1000
_MAX_ITEMS = 10_000  # one bound parameter each; asyncpg refuses more than 32767


_JSON_KEY = Kind("a string", JSON_KEY_TEXT, text_value)
_FLAG = Kind("true or false", (), bool_value, bool_text)
_SUBSTRING = Kind("a string (no NUL characters)", (), text_value)


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


def _value_kind(lookup: str, kind: Kind) -> Kind:
    """What a value of `lookup` is on a column of `kind`: a flag, a substring or a column value."""
    return _FLAG if lookup == "is_null" else _SUBSTRING if lookup in _SUBSTRINGS else kind


def _read(key: str, kind: Kind, text: str) -> Any:
    try:
        return kind.parse(text)
    except (BadValue, ValueError, TypeError):
        raise BadValue(f"Bad value for {show(key)}: expected {kind.label}.") from None


def _value(key: str, lookup: str, kind: Kind, value: Any) -> Any:
    if value is None and lookup != "is_null":
        raise BadValue(f"Bad value for {show(key)}: to match NULL use `__is_null`.")
    kind = _value_kind(lookup, kind)
    if lookup not in _LISTS:
        return checked(key, kind, value)
    if isinstance(value, list | tuple) and len(value) <= _MAX_LIST:
        with suppress(BadValue, ValueError, TypeError):
            return [kind.check(item) for item in value]
    expected = f"a list of at most {_MAX_LIST} items, each {kind.label}"
    raise BadValue(f"Bad value for {show(key)}: expected {expected}.")


class Columns:
    """The columns one query may filter, order by and return, under the limits of SPEC section 5.

    `expressions` adds named computed fields (filter and order only), `order_fields` narrows what
    may be ordered by, and `key` (default: the primary key) names the unique columns that end
    every order, so pages are stable and a keyset position is one row.
    """

    def __init__(
        self,
        table: Table,
        fields: Collection[str],
        *,
        max_filters: int,
        max_page_size: int,
        expressions: Mapping[str, ColumnElement[Any]] | None = None,
        order_fields: Collection[str] | None = None,
        key: Sequence[str] | None = None,
    ) -> None:
        unknown = sorted(set(fields) - set(table.c.keys()))
        if unknown:
            raise ValueError(f"not columns of {table.name}: {', '.join(unknown)}")
        self.table = table
        self._targets: dict[str, ColumnElement[Any]] = {name: table.c[name] for name in fields}
        self._targets |= expressions or {}
        self.kinds = {name: kind_of(target.type) for name, target in self._targets.items()}
        self.orderable = tuple(self.kinds if order_fields is None else order_fields)
        outside = sorted(set(self.orderable) - set(self.kinds))
        if outside:
            raise ValueError(f"order fields that are not fields: {', '.join(outside)}")
        self._key = [table.c[name] for name in key] if key else list(table.primary_key)
        self._rule = f"Order by {', '.join(self.orderable)}, each once, '-' first for descending."
        self._max_filters, self._max_page_size = max_filters, max_page_size

    def where(self, filters: Mapping[str, Any] | None) -> list[ColumnElement[bool]]:
        """The checked conditions of `filters`; raises ValidationError naming each bad key."""
        if filters is None:
            return []
        if not isinstance(filters, Mapping):
            raise invalid([("filters", "Filters are an object of `field__lookup: value` pairs.")])
        self._count(len(filters))
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

    def parse(self, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
        """Filters from text `(key, value)` pairs, each value read as its column reads text.

        A list lookup takes its key repeated (one item each, commas kept) or once with items
        separated by commas (empty: no items); any other key is given once. Raises
        ValidationError naming each bad key.
        """
        texts: dict[str, list[str]] = {}
        for key, text in pairs:
            texts.setdefault(key, []).append(text)
        self._count(len(texts))
        filters, problems = {}, []
        for key, values in texts.items():
            try:
                filters[key] = self._parsed(key, values)
            except BadValue as exc:
                problems.append((key[:80], str(exc)))
        if problems:
            raise invalid(problems)
        return filters

    def order(self, order_by: Sequence[str]) -> list[ColumnElement[Any]]:
        """ORDER BY clauses (`-field` descending), then the key so pages are stable."""
        return [
            key.target.desc() if key.descending else key.target.asc()
            for key in self._sorted(order_by)
        ]

    def position(self, order_by: Sequence[str], row: Mapping[str, Any]) -> list[str | None]:
        """Where `row` stands in `order_by`: its sort key values as text, for `after`."""
        return [text_of(row[key.name]) for key in self._sorted(order_by)]

    def after(self, order_by: Sequence[str], position: Sequence[Any]) -> ColumnElement[bool]:
        """The rows after `position` (as `position` gives it) in `order_by`; raises
        ValidationError (`after`) when the position does not fit the order's columns."""
        keys = self._sorted(order_by)
        if (
            isinstance(position, str)
            or not isinstance(position, Sequence)
            or len(position) != len(keys)
        ):
            raise invalid([("after", f"A position is a list of {len(keys)} values.")])
        values = []
        for key, text in zip(keys, position, strict=True):
            kind = kind_of(key.target.type)
            try:
                value = None if text is None else kind.check(kind.parse(text))
            except (BadValue, ValueError, TypeError):
                raise invalid([("after", f"{key.name} of a position is {kind.label}.")]) from None
            if value is None and not key.nullable:
                raise invalid([("after", f"{key.name} of a position is never null.")])
            values.append(value)
        return following(keys, values)

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

    def _count(self, count: int) -> None:
        if count > self._max_filters:
            raise invalid([("filters", f"At most {self._max_filters} filters, got {count}.")])

    def _sorted(self, order_by: Sequence[str]) -> list[SortKey]:
        """The checked order, then each key column not in it, in the direction of the last."""
        if isinstance(order_by, str) or not isinstance(order_by, Sequence):
            raise invalid([("order_by", f"order_by is a list of field names. {self._rule}")])
        names = [item.removeprefix("-") if isinstance(item, str) else item for item in order_by]
        bad = [
            item
            for item, name in zip(order_by, names, strict=True)
            if not isinstance(name, str) or name not in self.orderable
        ]
        if bad or len(set(names)) != len(names):
            shown = ", ".join(show(item) for item in bad) or "a repeated field"
            raise invalid([("order_by", f"Bad order_by: {shown}. {self._rule}")])
        keys = [
            SortKey(name, self._targets[name], item != name)
            for item, name in zip(order_by, names, strict=True)
        ]
        # The key's direction follows the last field's, so one index on (field, key) serves both.
        descending = keys[-1].descending if keys else False
        named = {key.name for key in keys}
        return keys + [
            SortKey(column.name, column, descending)
            for column in self._key
            if column.name not in named
        ]

    def _parsed(self, key: str, texts: list[str]) -> Any:
        _, kind, lookup = self._resolve(key)
        kind = _value_kind(lookup, kind)
        if lookup in _LISTS:
            items = texts if len(texts) > 1 else texts[0].split(",") if texts[0] else []
            return [_read(key, kind, item) for item in items]
        if len(texts) > 1:
            raise BadValue(
                f"{show(key)} is given {len(texts)} times; only the list lookups "
                f"({', '.join(sorted(_LISTS))}) take several values."
            )
        return _read(key, kind, texts[0])

    def _condition(self, key: object, value: Any) -> ColumnElement[bool]:
        if not isinstance(key, str):
            raise BadValue(f"Filter keys are strings, got {show(key)}.")
        target, kind, lookup = self._resolve(key)
        return condition(lookup, target, _value(key, lookup, kind, value))

    def _resolve(self, key: str) -> tuple[ColumnElement[Any], Kind, str]:
        """The filtered expression, the kind of its values and the lookup of a checked key."""
        field, json_key, lookup = self._split(key)
        target = self._targets[field]
        kind = self.kinds[field]
        if json_key is not None:
            target, kind = target[json_key].as_string(), _JSON_KEY
        if lookup not in kind.lookups:
            raise BadValue(
                f"Unknown lookup {show(lookup)} for {show(field)} in {show(key)}. "
                f"Allowed lookups: {', '.join(kind.lookups)}."
            )
        return target, kind, lookup

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
