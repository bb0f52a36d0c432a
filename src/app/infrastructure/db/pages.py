"""A list's read side: one table's rows over the filter DSL, a page at a time, by offset or keyset.

The allow-list is the TableQuery's, the cursors are signed, and the count and the page come from
one snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.application.ports import ListQuery, Page
from app.domain.shared import check_all
from app.infrastructure.db.filters import invalid
from app.infrastructure.db.keyset import Cursors
from app.infrastructure.db.queries import Filters, Row, TableQuery

UNORDERED = (sa.JSON, sa.ARRAY)  # a JSON document or a list has no order worth paging in
_SNAPSHOT = sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


class TablePages:
    """The rows of `rows` (a TableQuery: its fields are the allow-list), ordered by
    `default_order` when a query names no order."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cursors: Cursors,
        rows: TableQuery,
        default_order: Sequence[str],
    ) -> None:
        self._sessions, self._cursors, self._rows = sessions, cursors, rows
        self._default_order = tuple(default_order)

    async def first(self, filters: Filters) -> Row | None:
        """The first row matching `filters`, or None."""
        async with self._sessions() as session:
            return await self._rows.get_first(session, filters)

    async def page(self, query: ListQuery, scope: Filters | None = None) -> Page[Row]:
        """A page of the rows matching the query (and `scope`, filters the client cannot lift)
        and their total, read from one snapshot; raises ValidationError listing every bad
        filter, the order, the page and the cursor."""
        order_by = list(query.order_by or self._default_order)
        checked = check_all(
            {
                "filters": lambda: self._rows.parse(query.filters),
                "order_by": lambda: self._rows.order(order_by),
                "page": lambda: self._rows.page(query.limit, query.offset),
                "after": lambda: self._after(query, order_by),
            }
        )
        # The scope replaces a client's filter of the same key; any other filter only narrows it.
        filters = checked["filters"] | dict(scope or {})
        (limit, offset), after = checked["page"], checked["after"]
        async with self._sessions() as session:
            await session.execute(_SNAPSHOT)  # the count and the page see the same rows
            rows, position = await self._rows.get_page(
                session, filters, order_by, limit, offset, after
            )
            total = await self._rows.count(session, filters)
        cursor = None if position is None else self._cursors.encode(order_by, position)
        return Page(items=rows, total=total, limit=limit, offset=offset, next=cursor)

    def _after(self, query: ListQuery, order_by: list[str]) -> list[Any] | None:
        if query.after is None:
            return None
        if query.offset:
            raise invalid([("offset", "A page starts at a cursor or at an offset, not both.")])
        return self._cursors.decode(query.after, order_by)
