"""Keyset pagination: the condition for the rows after a given one, and the cursor that names it.

Offset pages make PostgreSQL read and drop every row before the page; a keyset page starts at
the last row seen, so page 10 000 costs what page 1 costs when an index serves the order.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import ColumnElement

from app.domain.shared import ValidationError

_MAX_CURSOR = 4096  # characters; a position of a few columns takes a few hundred
_MAC_BYTES = 16


@dataclass(frozen=True, slots=True)
class SortKey:
    """One column of an order: PostgreSQL puts NULLs last ascending and first descending."""

    name: str
    target: ColumnElement[Any]
    descending: bool

    @property
    def nullable(self) -> bool:
        return getattr(self.target, "nullable", True) is not False


def following(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after the row whose sort key values are `values`; the last key is unique."""
    same_way = len({key.descending for key in keys}) == 1
    if same_way and not any(key.nullable for key in keys):
        # One row comparison, which an index on these columns serves directly.
        row = sa.tuple_(*(key.target for key in keys))
        at = sa.tuple_(*(_bound(k, v) for k, v in zip(keys, values, strict=True)))
        return row < at if keys[0].descending else row > at
    branches = []
    for index, (key, value) in enumerate(zip(keys, values, strict=True)):
        ties = [_same(k, v) for k, v in zip(keys[:index], values[:index], strict=True)]
        branches.append(sa.and_(*ties, _beyond(key, value)))
    return sa.or_(*branches)


def _same(key: SortKey, value: Any) -> ColumnElement[bool]:
    return key.target.is_(None) if value is None else key.target == _bound(key, value)


def _beyond(key: SortKey, value: Any) -> ColumnElement[bool]:
    if value is None:  # NULLs are last ascending: nothing follows; first descending: values do
        return key.target.is_not(None) if key.descending else sa.false()
    if key.descending:
        return key.target < _bound(key, value)
    after = key.target > _bound(key, value)
    return sa.or_(after, key.target.is_(None)) if key.nullable else after


def _bound(key: SortKey, value: Any) -> ColumnElement[Any]:
    """A parameter of the column's type (a bare True would not compare with `<`)."""
    return sa.literal(value, key.target.type)


class Cursors:
    """Opaque, signed cursors: the order a page was read in and its last row's position.

    The signature (HMAC-SHA256 under a key derived from the secret) means a client can neither
    make up a position nor edit one; a cursor made for another order is refused by name.
    """

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"app.keyset-cursor.v1", hashlib.sha256).digest()

    def encode(self, order_by: Sequence[str], position: Sequence[str | None]) -> str:
        body = orjson.dumps([list(order_by), list(position)])
        return f"{_b64(body)}.{_b64(self._mac(body))}"

    def decode(self, cursor: str, order_by: Sequence[str]) -> list[str | None]:
        """The position in `cursor`; raises ValidationError (`after`) for any other text."""
        body = self._verified(cursor)
        if body is None:
            raise _bad("The cursor is not one this service issued; use `next` of a page as is.")
        made_for, position = orjson.loads(body)
        if made_for != list(order_by):
            shown = ",".join(made_for)
            raise _bad(f"This cursor continues order_by={shown}; send that order_by with it.")
        return list(position)

    def _verified(self, cursor: str) -> bytes | None:
        if not isinstance(cursor, str) or len(cursor) > _MAX_CURSOR or cursor.count(".") != 1:
            return None
        encoded_body, encoded_mac = cursor.split(".")
        try:
            body, mac = _unb64(encoded_body), _unb64(encoded_mac)
        except (binascii.Error, ValueError):
            return None
        return body if hmac.compare_digest(mac, self._mac(body)) else None

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:_MAC_BYTES]


def _bad(message: str) -> ValidationError:
    return ValidationError(message, errors=[("after", message)])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
