"""What SQL each lookup of the filter DSL builds, from a checked target and value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement

Build = Callable[[ColumnElement[Any], Any], ColumnElement[bool]]


def _contains(target: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    return target.contains(text, autoescape=True)  # `%`, `_` and the escape char stay literal


def _none_of(target: ColumnElement[Any], texts: list[str]) -> ColumnElement[bool]:
    return sa.or_(target.is_(None), sa.and_(sa.true(), *(~_contains(target, t) for t in texts)))


_BUILD: dict[str, Build] = {
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


# On a list (ARRAY) column the value is one item: `e` holds it, `in` holds any of the items
# (both served by a GIN index); the negations also match NULL, as on other columns.
_ON_LISTS: dict[str, Build] = {
    "e": lambda target, value: target.contains([value]),
    "ne": lambda target, value: sa.or_(target.is_(None), ~target.contains([value])),
    "in": lambda target, value: target.overlap(value),
    "not_in": lambda target, value: sa.or_(target.is_(None), ~target.overlap(value)),
}


def condition(lookup: str, target: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
    """The condition of a checked lookup on `target`; `value` is a bound parameter in it."""
    on_list = isinstance(target.type, sa.ARRAY) and lookup in _ON_LISTS
    return (_ON_LISTS[lookup] if on_list else _BUILD[lookup])(target, value)
