"""TablePages against PostgreSQL: one row by its filters, and a scope the client cannot lift."""

from __future__ import annotations

from uuid import uuid4

from app.application.ports import ListQuery
from app.infrastructure.db.keyset import Cursors
from app.infrastructure.db.pages import TablePages
from app.infrastructure.db.queries import TableQuery
from app.infrastructure.db.tables import UserRow


async def test_first_finds_one_row_and_the_scope_narrows_every_page(container):
    rows = TableQuery(UserRow, fields=("uuid", "email", "city"), max_page_size=10, max_filters=2)
    async with container.sessions() as session:
        made = await rows.create_bulk(
            session,
            [
                {
                    "uuid": uuid4(),
                    "email": f"{city}-{n}@example.com",
                    "password_hashed": "x",
                    "city": city,
                }
                for n, city in enumerate(["Paris", "Paris", "Rome"])
            ],
        )
        await session.commit()
    pages = TablePages(container.sessions, Cursors("secret-" * 8), rows, ("email",))

    assert (await pages.first({"uuid": made[2]["uuid"]}))["city"] == "Rome"
    assert await pages.first({"uuid": uuid4()}) is None
    scoped = await pages.page(ListQuery(), {"city": "Paris"})
    assert ([row["email"] for row in scoped.items], scoped.total) == (
        ["Paris-0@example.com", "Paris-1@example.com"],
        2,
    )
    # A client's filter of the scope's key is replaced by the scope; any other only narrows it.
    lifted = await pages.page(ListQuery(filters=[("city", "Rome")]), {"city": "Paris"})
    assert lifted.total == 2
    narrowed = await pages.page(ListQuery(filters=[("email__like", "-1@")]), {"city": "Paris"})
    assert [row["email"] for row in narrowed.items] == ["Paris-1@example.com"]
