<%
    E, e, N = c.Entity, c.entity, c.name
%>\
"""The ${E} repository (write side) and the ${c.words} read side over the filter DSL."""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.application.${N} import ${E}View
from app.application.ports import Outbox, OutgoingMessage
from app.domain.${N}.${e} import ${E}
from app.domain.${N}.values import ${", ".join([E + "Id", *(k.enum_class(c, f) for f in c.of_type("enum"))])}
from app.infrastructure.db.column_kinds import kind_of
from app.infrastructure.db.keyset import Cursors
from app.infrastructure.db.pages import UNORDERED, TablePages
from app.infrastructure.db.queries import TableQuery
from app.infrastructure.db.tables import ${E}Row


def _to_${e}(row: ${E}Row) -> ${E}:
    return ${E}(
        id=${E}Id(row.uuid),
% if c.owner:
        owner_id=row.owner_uuid,
% endif
% for f in c.fields:
        ${f.name}=${k.from_row(c, f)},
% endfor
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _apply(${e}: ${E}, row: ${E}Row) -> None:
    row.uuid = ${e}.id
% if c.owner:
    row.owner_uuid = ${e}.owner_id
% endif
% for f in c.fields:
    row.${f.name} = ${e}.${f.name}
% endfor
    row.created_at = ${e}.created_at
    row.updated_at = ${e}.updated_at


class Sql${E}Repository:
    """Tracks the ${c.words} it hands out, so the unit of work saves them and their events."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._seen: dict[${E}Id, tuple[${E}, ${E}Row]] = {}
        self._removed: set[${E}Id] = set()

    async def get(self, ${e}_id: ${E}Id) -> ${E} | None:
        # FOR UPDATE: two changes of one ${c.entity_words} run one after the other, neither is lost.
        query = select(${E}Row).where(${E}Row.uuid == ${e}_id).with_for_update()
        row = await self._session.scalar(query)
        if row is None:
            return None
        ${e} = _to_${e}(row)
        self._seen[${e}.id] = (${e}, row)
        return ${e}

    def add(self, ${e}: ${E}) -> None:
        row = ${E}Row()
        _apply(${e}, row)
        self._session.add(row)
        self._seen[${e}.id] = (${e}, row)

    async def remove(self, ${e}: ${E}) -> None:
        _, row = self._seen[${e}.id]
        await self._session.delete(row)
        self._removed.add(${e}.id)

    def sync(self, outbox: Outbox) -> None:
        """Copy each tracked ${c.entity_words} into its row (unless removed), and the events it
        recorded into the outbox, so both commit in one transaction."""
        for ${e}, row in self._seen.values():
            if ${e}.id not in self._removed:
                _apply(${e}, row)
            for event in ${e}.collect_events():
                outbox.add(
                    OutgoingMessage(
                        id=event.event_id,
                        event=event.name,
                        data=event.payload(),
                        occurred_at=event.occurred_at,
                        key=event.aggregate_id,
                    )
                )


# ${c.an_entity.capitalize()} as ${E}View shows it: each field is filtered with every lookup of its
# column's kind, and ordered by unless it is a JSON document.
${c.ENTITY}_COLUMNS = tuple(field.name for field in fields(${E}View))
${c.ENTITY}_ORDER_FIELDS = tuple(
    name for name in ${c.ENTITY}_COLUMNS if not isinstance(${E}Row.__table__.c[name].type, UNORDERED)
)
# What each field takes, for documentation (the queries derive the same from the same columns).
${c.ENTITY}_KINDS = {name: kind_of(${E}Row.__table__.c[name].type) for name in ${c.ENTITY}_COLUMNS}
${c.ENTITY}_DEFAULT_ORDER = ("-created_at",)


class ${E}Queries(TablePages):
    """Pages of ${c.words} (never the integer id); ties in any order are broken by the uuid."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cursors: Cursors,
        *,
        max_page_size: int,
        max_filters: int,
    ) -> None:
        ${N} = TableQuery(
            ${E}Row,
            fields=${c.ENTITY}_COLUMNS,
            writable=(),
            order_fields=${c.ENTITY}_ORDER_FIELDS,
            key=("uuid",),
            max_page_size=max_page_size,
            max_filters=max_filters,
        )
        super().__init__(sessions, cursors, ${N}, ${c.ENTITY}_DEFAULT_ORDER)
