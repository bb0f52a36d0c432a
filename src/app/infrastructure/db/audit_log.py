"""The audit trail's read side: pages of entries over the filter DSL, newest first."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.infrastructure.db.column_kinds import kind_of
from app.infrastructure.db.keyset import Cursors
from app.infrastructure.db.pages import UNORDERED, TablePages
from app.infrastructure.db.queries import TableQuery
from app.infrastructure.db.tables import AuditRow

# Every column but the integer id: an entry is shown whole, and filtered on any of its facts.
AUDIT_FIELDS = tuple(column.name for column in AuditRow.__table__.c if column.name != "id")
AUDIT_ORDER_FIELDS = tuple(
    name for name in AUDIT_FIELDS if not isinstance(AuditRow.__table__.c[name].type, UNORDERED)
)
AUDIT_KINDS = {name: kind_of(AuditRow.__table__.c[name].type) for name in AUDIT_FIELDS}
AUDIT_DEFAULT_ORDER = ("-occurred_at",)


class AuditQueries(TablePages):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cursors: Cursors,
        *,
        max_page_size: int,
        max_filters: int,
    ) -> None:
        entries = TableQuery(
            AuditRow,
            fields=AUDIT_FIELDS,
            writable=(),
            order_fields=AUDIT_ORDER_FIELDS,
            key=("uuid",),
            max_page_size=max_page_size,
            max_filters=max_filters,
        )
        super().__init__(sessions, cursors, entries, AUDIT_DEFAULT_ORDER)
