"""The user directory's read side: pages of profiles over the filter DSL, by offset or keyset."""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.application.users import UserView
from app.infrastructure.db.column_kinds import kind_of
from app.infrastructure.db.keyset import Cursors
from app.infrastructure.db.pages import UNORDERED, TablePages
from app.infrastructure.db.queries import TableQuery
from app.infrastructure.db.tables import UserRow

# An account as UserView shows it, and no more: never the password hash nor the integer id.
USER_FIELDS = tuple(field.name for field in fields(UserView))
# The allow-list: each profile field is filtered with every lookup of its column's kind, and
# ordered by unless it is a JSON document or a list.
USER_ORDER_FIELDS = tuple(
    name for name in USER_FIELDS if not isinstance(UserRow.__table__.c[name].type, UNORDERED)
)
# What each field takes, for documentation (the queries derive the same from the same columns).
USER_KINDS = {name: kind_of(UserRow.__table__.c[name].type) for name in USER_FIELDS}
USER_DEFAULT_ORDER = ("-created_at",)
# Ties in any order are broken by the public key, never the integer id: a cursor names its row.
USER_KEY = ("uuid",)


class UserQueries(TablePages):
    """Pages of user profiles (never the password hash nor the integer id)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cursors: Cursors,
        *,
        max_page_size: int,
        max_filters: int,
    ) -> None:
        users = TableQuery(
            UserRow,
            fields=USER_FIELDS,
            writable=(),
            order_fields=USER_ORDER_FIELDS,
            key=USER_KEY,
            max_page_size=max_page_size,
            max_filters=max_filters,
        )
        super().__init__(sessions, cursors, users, USER_DEFAULT_ORDER)
