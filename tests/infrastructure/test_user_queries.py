"""The users list's read side against PostgreSQL: text filters, the allow-list, keyset positions
and signed cursors (the HTTP rules are in tests/api/test_list_users.py)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.application.ports import ListQuery
from app.domain.shared import ValidationError
from app.infrastructure.db.column_kinds import BadValue, kind_of, text_of
from app.infrastructure.db.directory import USER_FIELDS, UserQueries
from app.infrastructure.db.keyset import Cursors
from app.infrastructure.db.queries import TableQuery
from app.infrastructure.db.tables import UserRow

START = datetime(2026, 1, 1, tzinfo=UTC)
COUNTRIES = ["UK", None, "US", "UK", None, "NL"]
NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Niklaus", "Frances", "Donald"]


def queries(container, **limits) -> UserQueries:
    limits = {"max_page_size": 3, "max_filters": 3} | limits
    return UserQueries(container.sessions, Cursors("secret-" * 8), **limits)


@pytest.fixture
async def seeded(container) -> list[dict]:
    """Eight users with ties in created_at (pairs) and NULLs among the countries."""
    rows = TableQuery(UserRow, max_page_size=100, max_filters=10)
    people = [
        {
            "uuid": uuid4(),
            "email": f"{name.lower()}@example.com",
            "password_hashed": "x",
            "first_name": name,
            "country": COUNTRIES[index % len(COUNTRIES)],
            "is_active": index != 2,
            "created_at": START + timedelta(days=index // 2),
        }
        for index, name in enumerate(NAMES)
    ]
    async with container.sessions() as session:
        created = await rows.create_bulk(session, people)
        await session.commit()
    return created


async def walk(users: UserQueries, order_by: list[str], limit: int) -> list[str]:
    seen, after = [], None
    while True:
        page = await users.page(ListQuery(order_by=order_by, limit=limit, after=after))
        seen += [row["first_name"] for row in page.items]
        if page.next is None:
            return seen
        after = page.next


ORDERS = [
    ["-created_at"],
    ["created_at"],
    ["country"],
    ["-country"],
    ["country", "-created_at"],
    ["-is_active", "country", "first_name"],
    ["uuid"],
]


@pytest.mark.parametrize("order_by", ORDERS, ids=",".join)
@pytest.mark.parametrize("limit", [1, 3])
async def test_keyset_pages_visit_every_row_once_in_the_order_of_one_listing(
    container, seeded, order_by, limit
):
    users = queries(container, max_page_size=100)
    everyone = [row["first_name"] for row in (await users.page(ListQuery(order_by=order_by))).items]
    assert sorted(everyone) == sorted(NAMES)
    assert await walk(users, order_by, limit) == everyone


async def test_ties_are_broken_by_uuid_in_the_direction_of_the_last_field(container, seeded):
    users = queries(container, max_page_size=100)
    rows = (await users.page(ListQuery(order_by=["-created_at"]))).items
    keys = [(row["created_at"], row["uuid"]) for row in rows]
    assert keys == sorted(keys, reverse=True)
    rows = (await users.page(ListQuery(order_by=["created_at"]))).items
    keys = [(row["created_at"], row["uuid"]) for row in rows]
    assert keys == sorted(keys)


async def test_a_page_holds_the_profile_fields_only_with_the_total_of_the_filters(
    container, seeded
):
    page = await queries(container).page(
        ListQuery(filters=[("is_active", "true")], order_by=["first_name"])
    )
    assert [row["first_name"] for row in page.items] == ["Ada", "Barbara", "Donald"]
    assert (page.total, page.limit, page.offset) == (7, 3, 0)
    assert set(page.items[0]) == set(USER_FIELDS)
    assert "password_hashed" not in page.items[0] and "id" not in page.items[0]


@pytest.mark.parametrize(
    ("query", "key"),
    [
        (ListQuery(filters=[("password_hashed__like", "h")]), "password_hashed__like"),
        (ListQuery(filters=[("id", "1")]), "id"),
        (ListQuery(order_by=["password_hashed"]), "order_by"),
        (ListQuery(order_by=["meta"]), "order_by"),
        (ListQuery(limit=4), "limit"),
        (ListQuery(filters=[(f"city__ne{n}", "x") for n in range(4)]), "filters"),
    ],
)
async def test_the_allow_list_and_the_limits_hold(container, seeded, query, key):
    with pytest.raises(ValidationError) as caught:
        await queries(container).page(query)
    assert caught.value.errors[0][0] == key
    assert "password_hashed," not in caught.value.detail


async def test_a_cursor_signed_with_another_secret_is_refused(container, seeded):
    page = await queries(container).page(ListQuery(limit=1))
    other = UserQueries(container.sessions, Cursors("another-" * 8), max_page_size=3, max_filters=3)
    with pytest.raises(ValidationError) as caught:
        await other.page(ListQuery(limit=1, after=page.next))
    assert caught.value.errors[0][0] == "after"


def test_a_cursor_round_trips_its_position_and_names_its_order():
    cursors = Cursors("secret-" * 8)
    cursor = cursors.encode(["-created_at"], ["2026-01-01T00:00:00+00:00", None, "x"])
    assert cursors.decode(cursor, ["-created_at"]) == ["2026-01-01T00:00:00+00:00", None, "x"]
    with pytest.raises(ValidationError, match="continues order_by=-created_at"):
        cursors.decode(cursor, ["created_at"])


@pytest.mark.parametrize(
    ("position", "phrase"),
    [
        (["2026-01-01T00:00:00+00:00"], "a list of 2 values"),
        ("2026", "a list of 2 values"),
        (["soon", str(uuid4())], "an ISO 8601 date-time"),
        (["2026-01-01T00:00:00+00:00", "nope"], "a UUID"),
        ([None, str(uuid4())], "never null"),
    ],
)
async def test_a_position_that_does_not_fit_the_order_is_refused(container, position, phrase):
    users = TableQuery(UserRow, max_page_size=3, max_filters=3, key=("uuid",))
    async with container.sessions() as session:
        with pytest.raises(ValidationError) as caught:
            await users.get_list(session, order_by=["created_at"], after=position)
    assert caught.value.errors[0][0] == "after" and phrase in caught.value.detail


@pytest.mark.parametrize(
    ("column_type", "text", "value"),
    [
        (sa.Boolean(), "true", True),
        (sa.Boolean(), "false", False),
        (sa.Integer(), "-42", -42),
        (sa.BigInteger(), str(2**63 - 1), 2**63 - 1),
        (sa.Numeric(), "1.50", Decimal("1.50")),
        (sa.Numeric(), "2E+3", Decimal("2E+3")),
        (sa.Float(), "0.5", 0.5),
        (sa.Date(), "2026-01-31", date(2026, 1, 31)),
        (sa.DateTime(timezone=True), "2026-01-31", datetime(2026, 1, 31, tzinfo=UTC)),
        (sa.DateTime(timezone=True), "2026-01-31T10:00:00Z", datetime(2026, 1, 31, 10, tzinfo=UTC)),
        (sa.DateTime(), "2026-01-31", datetime(2026, 1, 31)),
        (sa.Uuid(), "00000000-0000-0000-0000-000000000001", UUID(int=1)),
        (sa.JSON(), '{"a": [1, null]}', {"a": [1, None]}),
        (sa.String(), "x,y", "x,y"),
        (sa.ARRAY(sa.String()), "admin", "admin"),
    ],
)
def test_each_kind_reads_text_into_the_value_its_check_takes(column_type, text, value):
    kind = kind_of(column_type)
    assert kind.check(kind.parse(text)) == value


@pytest.mark.parametrize(
    ("column_type", "text"),
    [
        (sa.Boolean(), "True"),
        (sa.Boolean(), "1"),
        (sa.Integer(), "1_000"),
        (sa.Integer(), " 1"),
        (sa.Integer(), "1.0"),
        (sa.Integer(), str(2**31)),
        (sa.Numeric(), "NaN"),
        (sa.Numeric(), "Infinity"),
        (sa.Float(), "1e999999"),
        (sa.Float(), "1e999"),
        (sa.DateTime(timezone=True), "2026-02-30"),
        (sa.DateTime(timezone=True), "2026-01-31T10:00:00"),
        (sa.JSON(), "{"),
        (sa.LargeBinary(), "x"),
    ],
)
def test_text_a_kind_cannot_read_is_refused(column_type, text):
    kind = kind_of(column_type)
    with pytest.raises((BadValue, ValueError, TypeError)):
        kind.check(kind.parse(text))


@pytest.mark.parametrize(
    ("column_type", "value"),
    [
        (sa.Boolean(), False),
        (sa.BigInteger(), -(2**63)),
        (sa.Numeric(), Decimal("-0.001")),
        (sa.Date(), date(1815, 12, 10)),
        (sa.DateTime(timezone=True), datetime(2026, 1, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        (sa.DateTime(), datetime(2026, 1, 1, 10, 0, 0, 1)),
        (sa.Uuid(), UUID(int=7)),
        (sa.String(), "100% a_b"),
    ],
)
def test_a_value_written_as_text_reads_back_as_itself(column_type, value):
    kind = kind_of(column_type)
    assert kind.check(kind.parse(text_of(value))) == value


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([("roles", "admin")], {"Ada"}),
        ([("roles__ne", "admin")], set(NAMES) - {"Ada"}),
        ([("roles__in", "admin,auditor")], {"Ada", "Grace"}),
        ([("roles__not_in", "admin,auditor")], set(NAMES) - {"Ada", "Grace"}),
        ([("roles__in", "")], set()),
        ([("roles__is_null", "false")], set(NAMES)),
    ],
)
async def test_a_list_column_matches_the_rows_holding_an_item(container, seeded, filters, expected):
    async with container.engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE users SET roles = '{user,admin}' WHERE first_name = 'Ada'")
        )
        await conn.execute(
            sa.text("UPDATE users SET roles = '{user,auditor}' WHERE first_name = 'Grace'")
        )
    page = await queries(container, max_page_size=100).page(ListQuery(filters=filters))
    assert {row["first_name"] for row in page.items} == expected


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("country__in", "UK,US")], {"country__in": ["UK", "US"]}),
        ([("country__in", "U,K"), ("country__in", "US")], {"country__in": ["U,K", "US"]}),
        ([("country__in", "")], {"country__in": []}),
        ([("country__not_like_all", "a,b")], {"country__not_like_all": ["a", "b"]}),
        (
            [("is_active", "false"), ("city__is_null", "true")],
            {"is_active": False, "city__is_null": True},
        ),
        ([("meta__plan", "1")], {"meta__plan": "1"}),
        ([("meta", "[1]")], {"meta": [1]}),
        (
            [("created_at__in", "2026-01-01,2026-01-02")],
            {
                "created_at__in": [
                    datetime(2026, 1, 1, tzinfo=UTC),
                    datetime(2026, 1, 2, tzinfo=UTC),
                ]
            },
        ),
    ],
)
def test_text_pairs_become_the_filters_the_dsl_takes(pairs, expected):
    users = TableQuery(UserRow, max_page_size=3, max_filters=3)
    assert users.parse(pairs) == expected


def test_every_combination_of_bad_text_is_reported_at_once():
    users = TableQuery(UserRow, max_page_size=3, max_filters=5)
    pairs = [("nope", "1"), ("is_active", "yes"), ("email", "a"), ("email", "b"), ("city", "x")]
    with pytest.raises(ValidationError) as caught:
        users.parse(pairs)
    assert [key for key, _ in caught.value.errors] == ["nope", "is_active", "email"]
    with pytest.raises(ValidationError) as caught:
        users.parse(itertools.islice(((f"k{n}", "x") for n in itertools.count()), 6))
    assert caught.value.errors == [("filters", "At most 5 filters, got 6.")]


async def test_a_keyset_page_in_the_default_order_is_a_range_of_the_list_index(container, seeded):
    users = TableQuery(UserRow, fields=USER_FIELDS, max_page_size=3, max_filters=3, key=("uuid",))
    order_by = ["-created_at"]
    async with container.sessions() as session:
        _, position = await users.get_page(session, order_by=order_by, limit=2)
    statement = users.select(order_by=order_by, after=position)
    sql = str(
        statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )
    async with container.engine.connect() as conn:
        await conn.execute(sa.text("SET enable_seqscan = off"))  # eight rows: force the choice
        await conn.execute(sa.text("SET enable_sort = off"))
        plan = "\n".join((await conn.execute(sa.text(f"EXPLAIN {sql}"))).scalars())
    assert "Index Scan Backward using ix_users_created_at_uuid" in plan
    assert "Sort" not in plan


def test_order_fields_outside_the_fields_are_a_programming_error():
    with pytest.raises(ValueError, match="order fields that are not fields: password_hashed"):
        TableQuery(
            UserRow,
            fields=("email",),
            order_fields=("password_hashed",),
            max_page_size=1,
            max_filters=1,
        )
