"""The aggregate repository selects users through the filter DSL (SPEC section 5): one builder."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.domain.users.user import User
from app.domain.users.values import Email
from app.infrastructure.db.tables import UQ_USERS_EMAIL, UserRow
from app.infrastructure.db.users import USER_LOOKUPS

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


@pytest.fixture
def statements(container) -> Iterator[list[str]]:
    """The SQL text of every statement the container's engine runs meanwhile."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    sa.event.listen(container.engine.sync_engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(container.engine.sync_engine, "before_cursor_execute", record)


async def stored(container) -> User:
    user = User.register(Email.parse("ada@example.com"), "hash", NOW, first_name="Ada")
    async with container.uow() as uow:
        uow.users.add(user)
        await uow.commit()
    return user


def compiled(container, filters: dict) -> str:
    statement = USER_LOOKUPS.select(filters, entity=UserRow)
    return str(statement.compile(dialect=container.engine.dialect))


async def test_get_and_get_by_email_run_the_statements_the_dsl_builds(container, statements):
    user = await stored(container)
    statements.clear()
    async with container.uow() as uow:
        by_id = await uow.users.get(user.id)
        by_email = await uow.users.get_by_email(Email.parse("ADA@example.com"))
    assert by_id is not None and by_email is not None
    assert by_id.id == by_email.id == user.id
    assert [s for s in statements if s.lstrip().upper().startswith("SELECT")] == [
        compiled(container, {"uuid": user.id}),
        compiled(container, {"email_key": "ada@example.com"}),
    ]


async def test_the_lookup_by_email_is_served_by_the_unique_index(container):
    await stored(container)
    statement = USER_LOOKUPS.select({"email_key": "ada@example.com"}, entity=UserRow)
    sql = str(statement.compile(compile_kwargs={"literal_binds": True}))
    async with container.engine.connect() as conn:
        await conn.execute(sa.text("SET enable_seqscan = off"))  # a tiny table: force the choice
        plan = "\n".join((await conn.execute(sa.text(f"EXPLAIN {sql}"))).scalars())
    assert UQ_USERS_EMAIL in plan


async def test_unknown_ids_and_emails_find_nobody(container):
    await stored(container)
    async with container.uow() as uow:
        assert await uow.users.get_by_email(Email.parse("grace@example.com")) is None
        assert await uow.users.get(User.register(Email.parse("x@example.com"), "h", NOW).id) is None
