"""The filter DSL's operations (SPEC section 5), for read-side queries and repositories.

Every operation runs on the caller's AsyncSession, inside its transaction, and never commits.
Statements are Core statements on the table: ORM objects already loaded in the session do not
see a DSL update until they are refreshed. `select` hands the checked statement to a caller
that runs it itself (the aggregate repository loads ORM rows through it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from itertools import groupby
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import Column, CursorResult, Executable, Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from app.domain.shared import AlreadyExistsError, DomainError
from app.infrastructure.db.column_kinds import BadValue, kind_of
from app.infrastructure.db.filters import Columns, checked, invalid, show

Filters = Mapping[str, Any]
Row = dict[str, Any]
Change = tuple[Filters, Mapping[str, Any]] | Mapping[str, Any]
_UNIQUE_VIOLATION = "23505"


class TableQuery:
    """Checked filtered reads and bulk writes on one table; `fields` is the allow-list."""

    def __init__(
        self,
        model: Table | type[DeclarativeBase],
        *,
        max_page_size: int,
        max_filters: int,
        fields: Collection[str] | None = None,
        writable: Collection[str] | None = None,
        expressions: Mapping[str, sa.ColumnElement[Any]] | None = None,
        order_fields: Collection[str] | None = None,
        key: Sequence[str] | None = None,
    ) -> None:
        table = model if isinstance(model, Table) else cast(Table, model.__table__)
        self._columns = Columns(
            table,
            table.c.keys() if fields is None else fields,
            max_filters=max_filters,
            max_page_size=max_page_size,
            expressions=expressions,
            order_fields=order_fields,
            key=key,
        )
        self._table = table
        self._returned = list(table.c) if fields is None else [table.c[name] for name in fields]
        if writable is None:
            writable = [c.name for c in table.c if c is not table.autoincrement_column]
        self._writable = {name: kind_of(table.c[name].type) for name in writable}
        self._required = sorted(name for name in self._writable if _required(table.c[name]))

    async def count(self, session: AsyncSession, filters: Filters | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(self._table)
        result = await _run(session, query.where(*self._columns.where(filters)))
        return int(result.scalar_one())

    async def exists(self, session: AsyncSession, filters: Filters | None = None) -> bool:
        query = sa.select(sa.literal(1)).select_from(self._table)
        result = await _run(session, sa.select(query.where(*self._columns.where(filters)).exists()))
        return bool(result.scalar_one())

    async def get_first(
        self, session: AsyncSession, filters: Filters | None = None, order_by: Sequence[str] = ()
    ) -> Row | None:
        rows = await self.get_list(session, filters, order_by, limit=1)
        return rows[0] if rows else None

    async def get_list(
        self,
        session: AsyncSession,
        filters: Filters | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
        offset: int = 0,
        after: Sequence[str | None] | None = None,
    ) -> list[Row]:
        """A page of rows as dicts of the allowed fields; `limit` defaults to MAX_PAGE_SIZE."""
        query = self.select(filters, order_by, limit, offset, after=after)
        return [dict(row) for row in (await _run(session, query)).mappings()]

    async def get_page(
        self,
        session: AsyncSession,
        filters: Filters | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
        offset: int = 0,
        after: Sequence[str | None] | None = None,
    ) -> tuple[list[Row], list[str | None] | None]:
        """get_list's page and, when rows follow it, the position of its last row (the
        `after` of the next page); None on the last page."""
        limit, _ = self.page(limit, offset)
        query = self.select(filters, order_by, limit, offset, after=after).limit(limit + 1)
        rows = [dict(row) for row in (await _run(session, query)).mappings()]
        if len(rows) <= limit:
            return rows, None
        return rows[:limit], self._columns.position(order_by, rows[limit - 1])

    def select(
        self,
        filters: Filters | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
        offset: int = 0,
        *,
        after: Sequence[str | None] | None = None,
        entity: type[DeclarativeBase] | None = None,
    ) -> sa.Select[Any]:
        """The checked statement of get_list, selecting the allowed fields or the ORM `entity`
        mapped to this table; `after` starts it past a position (keyset pages)."""
        where = self._columns.where(filters)
        if after is not None:
            where.append(self._columns.after(order_by, after))
        order = self.order(order_by)
        limit, offset = self.page(limit, offset)
        selected = self._returned if entity is None else [entity]
        query = sa.select(*selected).where(*where).order_by(*order).limit(limit)
        return query.offset(offset) if offset else query  # each step copies the statement

    def parse(self, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
        """Filters from text pairs (a query string); raises ValidationError naming each bad key."""
        return self._columns.parse(pairs)

    def order(self, order_by: Sequence[str]) -> list[sa.ColumnElement[Any]]:
        """The checked ORDER BY of `order_by`, the key last; raises ValidationError."""
        return self._columns.order(order_by)

    def page(self, limit: int | None, offset: int) -> tuple[int, int]:
        """The checked `limit` (MAX_PAGE_SIZE when None) and `offset`; raises ValidationError."""
        return self._columns.page(limit, offset)

    async def create(self, session: AsyncSession, values: Mapping[str, Any]) -> Row:
        """Insert one row and return it; raises ValidationError, AlreadyExistsError."""
        return (await self.create_bulk(session, [values]))[0]

    async def create_bulk(
        self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]
    ) -> list[Row]:
        """Insert rows, returned in order; raises ValidationError, AlreadyExistsError."""
        if isinstance(rows, str) or not isinstance(rows, Sequence):
            raise invalid([("rows", "rows is a list of objects of field values.")])
        values = self._rows(rows, partial=False)
        # One multi-row INSERT per run of rows setting the same fields (a left-out column gets
        # its default), so rows are inserted, and get their keys, in the order given.
        query = sa.insert(self._table).returning(*self._returned, sort_by_parameter_order=True)
        created: list[Row] = []
        async with _constraints():
            for _, run in groupby(values, key=lambda row: row.keys()):
                result = await _run(session, query, list(run))
                created += [dict(row) for row in result.mappings()]
        return created

    async def update(
        self, session: AsyncSession, filters: Filters, values: Mapping[str, Any]
    ) -> int:
        """Set `values` on the rows matching a non-empty filter; returns how many matched."""
        return await self.update_bulk(session, [(filters, values)])

    async def update_bulk(
        self, session: AsyncSession, changes: Sequence[Change], *, key: str | None = None
    ) -> int:
        """Apply `(filters, values)` pairs, or rows holding `key` (default: the primary key).

        Every change is checked before the first statement runs; returns the rows updated.
        """
        if isinstance(changes, str) or not isinstance(changes, Sequence):
            raise invalid([("changes", "changes is a list of (filters, values) pairs or rows.")])
        key = key or self._table.primary_key.columns[0].name
        pairs = [_as_pair(change, key) for change in changes]
        wheres = [self._where_some(filters) for filters, _ in pairs]
        rows = self._rows([values for _, values in pairs], partial=True, name="changes")
        statements = [
            sa.update(self._table).where(*where).values(row)
            for where, row in zip(wheres, rows, strict=True)
        ]
        updated = 0
        async with _constraints():
            for statement in statements:
                updated += cast(CursorResult[Any], await _run(session, statement)).rowcount
        return updated

    async def remove(self, session: AsyncSession, filters: Filters) -> int:
        """Delete the rows matching a non-empty filter; returns how many there were."""
        statement = sa.delete(self._table).where(*self._where_some(filters))
        return cast(CursorResult[Any], await _run(session, statement)).rowcount

    def _where_some(self, filters: Filters) -> list[sa.ColumnElement[bool]]:
        conditions = self._columns.where(filters)
        if not conditions:
            raise invalid([("filters", "Updating or removing needs at least one filter.")])
        return conditions

    def _rows(
        self, rows: Sequence[Mapping[str, Any]], *, partial: bool, name: str = "rows"
    ) -> list[Row]:
        checked_rows, problems = [], []
        for index, row in enumerate(rows):
            prefix = "" if len(rows) == 1 else f"{name}[{index}]."
            try:
                checked_rows.append(self._row(row, partial=partial, prefix=prefix))
            except DomainError as exc:
                problems += exc.errors
        if problems:
            raise invalid(problems)
        return checked_rows

    def _row(self, row: Mapping[str, Any], *, partial: bool, prefix: str) -> Row:
        if not isinstance(row, Mapping) or not row:
            raise invalid([(f"{prefix}values", "Values are a non-empty object of fields.")])
        values, problems = {}, []
        for name, value in row.items():
            try:
                values[name] = self._value(name, value)
            except BadValue as exc:
                problems.append((f"{prefix}{str(name)[:80]}", str(exc)))
        missing = [] if partial else [name for name in self._required if name not in row]
        problems += [(f"{prefix}{name}", f"{name!r} is required.") for name in missing]
        if problems:
            raise invalid(problems)
        return values

    def _value(self, name: object, value: Any) -> Any:
        if not isinstance(name, str) or name not in self._writable:
            allowed = ", ".join(self._writable)
            raise BadValue(f"Unknown or read-only field {show(name)}. Writable fields: {allowed}.")
        column = self._table.c[name]
        if value is None:
            if not column.nullable:
                raise BadValue(f"{show(name)} may not be null.")
            return None
        value = checked(name, self._writable[name], value)
        length = getattr(column.type, "length", None)
        if isinstance(value, str) and length is not None and len(value) > length:
            raise BadValue(f"{show(name)} is longer than {length} characters.")
        return value


def _required(column: Column[Any]) -> bool:
    return not column.nullable and column.server_default is None and column.default is None


def _as_pair(change: Change, key: str) -> tuple[Filters, Mapping[str, Any]]:
    if isinstance(change, tuple) and len(change) == 2:
        return change
    if not isinstance(change, Mapping) or key not in change:
        raise invalid(
            [("changes", f"Each change is a (filters, values) pair or a row with {key!r}.")]
        )
    return {key: change[key]}, {name: value for name, value in change.items() if name != key}


async def _run(
    session: AsyncSession, statement: Executable, params: list[Row] | None = None
) -> sa.Result[Any]:
    await session.flush()  # pending ORM changes of this unit of work are part of what is queried
    return await session.execute(statement, params)


@asynccontextmanager
async def _constraints() -> AsyncIterator[None]:
    """A broken constraint is the caller's error; the transaction is failed and rolls back."""
    try:
        yield
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == _UNIQUE_VIOLATION:
            raise AlreadyExistsError("A row with these unique values already exists.") from None
        raise invalid([("values", "The values break a constraint of the table.")]) from None
