"""The user directory's read side: pages of profiles over the filter DSL, by offset or keyset."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.application.ports import ListQuery, Page
from app.application.users import UserView
from app.domain.shared import check_all
from app.infrastructure.db.column_kinds import kind_of
from app.infrastructure.db.filters import invalid
from app.infrastructure.db.keyset import Cursors
from app.infrastructure.db.queries import Row, TableQuery
from app.infrastructure.db.tables import UserRow

_UNORDERED = (sa.JSON, sa.ARRAY)  # a JSON document or a list has no order worth paging in
# An account as UserView shows it, and no more: never the password hash nor the integer id.
USER_FIELDS = tuple(field.name for field in fields(UserView))
# The allow-list: each profile field is filtered with every lookup of its column's kind, and
# ordered by unless it is a JSON document or a list.
USER_ORDER_FIELDS = tuple(
    name for name in USER_FIELDS if not isinstance(UserRow.__table__.c[name].type, _UNORDERED)
)
# What each field takes, for documentation (the queries derive the same from the same columns).
USER_KINDS = {name: kind_of(UserRow.__table__.c[name].type) for name in USER_FIELDS}
USER_DEFAULT_ORDER = ("-created_at",)
# Ties in any order are broken by the public key, never the integer id: a cursor names its row.
USER_KEY = ("uuid",)
_SNAPSHOT = sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


class UserQueries:
    """Pages of user profiles (never the password hash nor the integer id)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cursors: Cursors,
        *,
        max_page_size: int,
        max_filters: int,
    ) -> None:
        self._sessions, self._cursors = sessions, cursors
        self._users = TableQuery(
            UserRow,
            fields=USER_FIELDS,
            writable=(),
            order_fields=USER_ORDER_FIELDS,
            key=USER_KEY,
            max_page_size=max_page_size,
            max_filters=max_filters,
        )

    async def page(self, query: ListQuery) -> Page[Row]:
        """A page of profiles and their total, read from one snapshot; raises ValidationError
        listing every bad filter, the order, the page and the cursor."""
        order_by = list(query.order_by or USER_DEFAULT_ORDER)
        checked = check_all(
            {
                "filters": lambda: self._users.parse(query.filters),
                "order_by": lambda: self._users.order(order_by),
                "page": lambda: self._users.page(query.limit, query.offset),
                "after": lambda: self._after(query, order_by),
            }
        )
        filters, (limit, offset), after = checked["filters"], checked["page"], checked["after"]
        async with self._sessions() as session:
            await session.execute(_SNAPSHOT)  # the count and the page see the same rows
            rows, position = await self._users.get_page(
                session, filters, order_by, limit, offset, after
            )
            total = await self._users.count(session, filters)
        cursor = None if position is None else self._cursors.encode(order_by, position)
        return Page(items=rows, total=total, limit=limit, offset=offset, next=cursor)

    def _after(self, query: ListQuery, order_by: list[str]) -> list[Any] | None:
        if query.after is None:
            return None
        if query.offset:
            raise invalid([("offset", "A page starts at a cursor or at an offset, not both.")])
        return self._cursors.decode(query.after, order_by)
