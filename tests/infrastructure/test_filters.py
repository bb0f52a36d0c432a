"""The filter DSL against PostgreSQL: every lookup matches what it says, every bad input is refused
before any SQL runs and leaves the table as it was."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.shared import ValidationError
from app.domain.storable import MAX_JSON_DEPTH
from app.infrastructure.db.column_kinds import BadValue, kind_of
from app.infrastructure.db.queries import TableQuery
from app.infrastructure.db.tables import UserRow

PEOPLE = [
    {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "birthday": date(1815, 12, 10),
        "street": "5% Main_St \\ Lane",
        "city": "London",
        "meta": {"title": "Countess", "note": "100% sure", "tags": ["math"]},
    },
    {
        "email": "grace@example.com",
        "first_name": "Grace",
        "last_name": "Hopper",
        "birthday": date(1906, 12, 9),
        "street": "55 MainXSt",
        "city": "New York",
        "meta": {"title": "Rear Admiral", "navy": True},
    },
    {
        "email": "alan@example.org",
        "first_name": "Alan",
        "last_name": "Turing",
        "birthday": date(1912, 6, 23),
        "street": "5 Main St",
        "city": None,
        "is_active": False,
        "meta": {"note": "100 percent"},
    },
    {
        "email": "edsger@example.org",
        "first_name": "Edsger",
        "last_name": "Dijkstra",
        "birthday": None,
        "street": None,
        "city": "Nuenen",
        "meta": {},
    },
]
EVERYONE = {"Ada", "Grace", "Alan", "Edsger"}


@pytest.fixture
def users(settings) -> TableQuery:
    return TableQuery(
        UserRow, max_page_size=settings.max_page_size, max_filters=settings.max_filters
    )


@pytest.fixture
async def session(container, users) -> AsyncIterator[AsyncSession]:
    """A session over four committed users (the container empties the table afterwards)."""
    async with container.sessions() as seeding:
        await users.create_bulk(
            seeding, [person | {"uuid": uuid4(), "password_hashed": "x"} for person in PEOPLE]
        )
        await seeding.commit()
    async with container.sessions() as session:
        yield session


async def names(users: TableQuery, session: AsyncSession, filters) -> set[str]:
    return {row["first_name"] for row in await users.get_list(session, filters)}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"first_name": "Ada"}, {"Ada"}),
        ({"first_name__e": "Ada"}, {"Ada"}),
        ({"first_name__ne": "Ada"}, EVERYONE - {"Ada"}),
        ({"city__ne": "London"}, {"Grace", "Alan", "Edsger"}),
        ({"birthday__gt": date(1906, 12, 9)}, {"Alan"}),
        ({"birthday__gte": "1906-12-09"}, {"Grace", "Alan"}),
        ({"birthday__lt": date(1900, 1, 1)}, {"Ada"}),
        ({"birthday__lte": date(1906, 12, 9)}, {"Ada", "Grace"}),
        ({"email__in": ["ada@example.com", "alan@example.org"]}, {"Ada", "Alan"}),
        ({"email__in": ("grace@example.com",)}, {"Grace"}),
        ({"email__in": []}, set()),
        ({"email__not_in": ["ada@example.com"]}, EVERYONE - {"Ada"}),
        ({"email__not_in": []}, EVERYONE),
        ({"city__not_in": ["London"]}, {"Grace", "Alan", "Edsger"}),
        ({"email__like": "example.org"}, {"Alan", "Edsger"}),
        ({"last_name__like": "love"}, set()),
        ({"last_name__ilike": "LOVE"}, {"Ada"}),
        ({"street__like": "5%"}, {"Ada"}),
        ({"street__like": "Main_St"}, {"Ada"}),
        ({"street__ilike": "main_st"}, {"Ada"}),
        ({"street__like": "\\"}, {"Ada"}),
        ({"street__like": "/"}, set()),
        ({"email__not_like_all": ["ada", "grace"]}, {"Alan", "Edsger"}),
        ({"email__not_like_all": []}, EVERYONE),
        ({"street__not_like_all": ["Main"]}, {"Edsger"}),
        ({"city__is_null": True}, {"Alan"}),
        ({"city__is_null": False}, {"Ada", "Grace", "Edsger"}),
        ({"is_active": False}, {"Alan"}),
        ({"is_active__ne": False}, {"Ada", "Grace", "Edsger"}),
        ({"is_active__in": [True]}, {"Ada", "Grace", "Edsger"}),
        ({"id__gt": 0}, EVERYONE),
        ({"id__lt": 0}, set()),
        ({"created_at__lt": "2000-01-01T00:00:00Z"}, set()),
        ({"created_at__gt": datetime(2000, 1, 1, tzinfo=UTC)}, EVERYONE),
        ({"is_active": True, "birthday__lt": date(1910, 1, 1)}, {"Ada", "Grace"}),
        ({"email": "x' OR '1'='1"}, set()),
        ({}, EVERYONE),
        (None, EVERYONE),
    ],
)
async def test_lookup_matches_the_rows_it_describes(users, session, filters, expected):
    assert await names(users, session, filters) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"meta__title": "Countess"}, {"Ada"}),
        ({"meta__title__e": "Countess"}, {"Ada"}),
        ({"meta__title__ne": "Countess"}, {"Grace", "Alan", "Edsger"}),
        ({"meta__title__in": ["Countess", "Rear Admiral"]}, {"Ada", "Grace"}),
        ({"meta__title__not_in": ["Countess"]}, {"Grace", "Alan", "Edsger"}),
        ({"meta__title__like": "Count"}, {"Ada"}),
        ({"meta__title__ilike": "admiral"}, {"Grace"}),
        ({"meta__title__not_like_all": ["Count", "Rear"]}, {"Alan", "Edsger"}),
        ({"meta__title__is_null": True}, {"Alan", "Edsger"}),
        ({"meta__navy": "true"}, {"Grace"}),
        ({"meta__note__jsonb_like": "100%"}, {"Ada"}),
        ({"meta__note__jsonb_like": "100"}, {"Ada", "Alan"}),
        ({"meta__note__jsonb_not_like": "100"}, {"Grace", "Edsger"}),
        ({"meta__jsonb_like": "Countess"}, {"Ada"}),
        ({"meta__jsonb_not_like": "title"}, {"Alan", "Edsger"}),
        ({"meta": {}}, {"Edsger"}),
        ({"meta__e": {"note": "100 percent"}}, {"Alan"}),
        ({"meta__ne": {}}, {"Ada", "Grace", "Alan"}),
        ({"meta__is_null": False}, EVERYONE),
        ({"meta__like__e": "x"}, set()),
    ],
)
async def test_jsonb_lookups_match_the_text_of_a_key_or_of_the_document(
    users, session, filters, expected
):
    assert await names(users, session, filters) == expected


async def test_uuid_filters_take_a_uuid_or_its_text(users, session):
    ada = await users.get_first(session, {"first_name": "Ada"})
    assert await names(users, session, {"uuid": ada["uuid"]}) == {"Ada"}
    assert await names(users, session, {"uuid": str(ada["uuid"])}) == {"Ada"}
    assert await names(users, session, {"uuid__ne": str(ada["uuid"])}) == EVERYONE - {"Ada"}


REJECTED = [
    ({"nope": 1}, "nope", "Allowed fields"),
    ({"password": "x"}, "password", "email"),
    ({"email; DROP TABLE users--": "x"}, "email; DROP TABLE users--", "Allowed fields"),
    ({"email' OR '1'='1": "x"}, "email' OR '1'='1", "Unknown field"),
    ({"email__e; DROP TABLE users": "x"}, "email__e; DROP TABLE users", "Allowed lookups"),
    ({"meta__a'b__like": "x"}, "meta__a'b__like", "Bad JSON key"),
    ({"meta__a-b": "x"}, "meta__a-b", "letters, digits or underscores"),
    ({"meta__" + "k" * 65: "x"}, "meta__" + "k" * 65, "Bad JSON key"),
    ({"meta__": "x"}, "meta__", "Bad JSON key"),
    ({"meta__a__b__c": "x"}, "meta__a__b__c", "Unknown lookup"),
    ({"meta__gt": {}}, "meta__gt", "Allowed lookups: e, ne, is_null, jsonb_like"),
    ({"meta__title__gt": "a"}, "meta__title__gt", "Unknown lookup"),
    ({"email__startswith": "a"}, "email__startswith", "like, ilike"),
    ({"email__": "a"}, "email__", "Unknown lookup"),
    ({"email__like__x": "a"}, "email__like__x", "Unknown lookup"),
    ({"is_active__like": "t"}, "is_active__like", "Unknown lookup"),
    ({"is_active__gt": False}, "is_active__gt", "Unknown lookup"),
    ({"birthday__jsonb_like": "1"}, "birthday__jsonb_like", "Unknown lookup"),
    ({"email__in": "ada@example.com"}, "email__in", "a list"),
    ({"email__not_in": {"a": 1}}, "email__not_in", "a list"),
    ({"email__in": [None]}, "email__in", "a list"),
    ({"email__in": ["a"] * 1001}, "email__in", "at most 1000 items"),
    ({"birthday__in": ["yesterday"]}, "birthday__in", "a date"),
    ({"email__not_like_all": "ada"}, "email__not_like_all", "a list"),
    ({"email__not_like_all": [1]}, "email__not_like_all", "a string"),
    ({"email": None}, "email", "__is_null"),
    ({"email": 5}, "email", "a string"),
    ({"email": "a\x00b"}, "email", "NUL"),
    ({"email": "\ud800"}, "email", "a string"),
    ({"email__like": 5}, "email__like", "a string"),
    ({"meta__title": 5}, "meta__title", "a string"),
    ({"meta__jsonb_like": {"a": 1}}, "meta__jsonb_like", "a string"),
    ({"meta": {"a": float("nan")}}, "meta", "JSON"),
    ({"meta": {"a": "\x00"}}, "meta", "JSON"),
    ({"meta": {1: "a"}}, "meta", "JSON"),
    ({"meta": {"a": object()}}, "meta", "JSON"),
    ({"birthday": "yesterday"}, "birthday", "a date (YYYY-MM-DD)"),
    ({"birthday": "1815-12-10T00:00:00"}, "birthday", "a date"),
    ({"birthday": datetime(1815, 12, 10, tzinfo=UTC)}, "birthday", "a date"),
    ({"birthday": 1815}, "birthday", "a date"),
    ({"is_active": "true"}, "is_active", "true or false"),
    ({"is_active": 1}, "is_active", "true or false"),
    ({"city__is_null": "yes"}, "city__is_null", "true or false"),
    ({"id": "1"}, "id", "an integer"),
    ({"id": True}, "id", "an integer"),
    ({"id": 1.0}, "id", "an integer"),
    ({"id__gt": 2**63}, "id__gt", "64-bit"),
    ({"uuid": "not-a-uuid"}, "uuid", "a UUID"),
    ({"uuid": 123}, "uuid", "a UUID"),
    ({"created_at__gt": datetime(2020, 1, 1)}, "created_at__gt", "with time zone"),
    ({"created_at__gt": "2020-01-01"}, "created_at__gt", "ISO 8601"),
    ({"created_at__gt": "soon"}, "created_at__gt", "ISO 8601"),
    ({"created_at__gt": date(2020, 1, 1)}, "created_at__gt", "date-time"),
    ({1: "x"}, "1", "Filter keys are strings"),
]


@pytest.mark.parametrize(("filters", "key", "phrase"), REJECTED)
async def test_bad_filters_are_refused_naming_the_key_and_the_table_stays_intact(
    container, users, session, filters, key, phrase
):
    with pytest.raises(ValidationError) as caught:
        await users.get_list(session, filters)
    assert caught.value.errors[0][0] == key[:80]
    assert phrase in caught.value.detail
    assert repr(key[:80]) in caught.value.detail or "..." in caught.value.detail
    async with container.engine.connect() as conn:
        assert await conn.scalar(sa.text("SELECT count(*) FROM users")) == len(PEOPLE)


async def test_every_bad_key_is_reported_at_once(users, session):
    with pytest.raises(ValidationError) as caught:
        await users.count(session, {"nope": 1, "email": 5, "city": "London"})
    assert [key for key, _ in caught.value.errors] == ["nope", "email"]


async def test_a_very_long_bad_key_is_shortened_in_the_message(users, session):
    key = "x" * 10_000
    with pytest.raises(ValidationError) as caught:
        await users.count(session, {key: 1})
    assert len(caught.value.detail) < 1000
    assert caught.value.errors[0][0] == key[:80]


async def test_filters_that_are_not_an_object_are_refused(users, session):
    with pytest.raises(ValidationError) as caught:
        await users.count(session, ["email"])
    assert caught.value.errors[0][0] == "filters"


async def test_more_conditions_than_max_filters_are_refused(settings, session):
    users = TableQuery(UserRow, max_page_size=10, max_filters=3)
    three = {"first_name__ne": "x", "last_name__ne": "x", "city__ne": "x"}
    assert await users.count(session, three) == len(PEOPLE)
    with pytest.raises(ValidationError) as caught:
        await users.count(session, three | {"email__ne": "x"})
    assert caught.value.errors == [("filters", "At most 3 filters, got 4.")]
    assert await users.count(session) == len(PEOPLE)


async def test_a_string_longer_than_the_column_just_matches_nothing(users, session):
    assert await users.count(session, {"zip_code": "9" * 10_000}) == 0


def nested(depth: int) -> list:
    """`depth` lists around an empty one: depth + 1 levels."""
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("column_type", "good", "bad"),
    [
        (sa.SmallInteger(), 2**15 - 1, 2**15),
        (sa.Integer(), -(2**31), 2**31),
        (sa.BigInteger(), 2**63 - 1, 2**63),
        (sa.Numeric(), Decimal("1.5"), True),
        (sa.Float(), 1.5, "1.5"),
        (sa.DateTime(), datetime(2020, 1, 1), datetime(2020, 1, 1, tzinfo=UTC)),
        (sa.DateTime(timezone=True), "2020-01-01T00:00:00+02:00", "2020-01-01T00:00:00"),
        (sa.Uuid(), UUID(int=1), "1"),
        (sa.Enum("draft", "sent", name="state"), "sent", "lost"),
        (sa.Enum("draft", "sent", name="state"), "draft", ["draft"]),
        (sa.JSON(), {"a": [1, 2.5, None, True, "x"]}, {"a": {"c": float("inf")}}),
        (sa.JSON(), nested(MAX_JSON_DEPTH - 1), nested(MAX_JSON_DEPTH)),  # at the limit, over it
    ],
)
def test_each_column_type_checks_its_values(column_type, good, bad):
    kind = kind_of(column_type)
    assert kind.check(good) is not None
    with pytest.raises((BadValue, ValueError, TypeError)):
        kind.check(bad)


def test_a_column_type_the_dsl_does_not_know_allows_only_equality_on_its_python_type():
    kind = kind_of(sa.LargeBinary())
    assert kind.lookups == ("e", "ne", "is_null")
    assert kind.check(b"x") == b"x"
    with pytest.raises(BadValue):
        kind.check("x")


class Opaque(sa.types.UserDefinedType):
    cache_ok = True


class Unknowable(sa.types.UserDefinedType):
    cache_ok = True

    @property
    def python_type(self) -> type:
        raise NotImplementedError


@pytest.mark.parametrize("column_type", [Opaque(), Unknowable()])
def test_a_column_type_without_a_python_type_only_allows_null_tests(column_type):
    kind = kind_of(column_type)
    assert kind.lookups == ("is_null",)
    with pytest.raises(BadValue):
        kind.check("anything")


async def test_more_than_ten_thousand_list_items_in_all_are_refused(users, session):
    lists = {f"{field}__in": ["x"] * 1000 for field in ("email", "city", "state", "country")}
    lists |= {f"{field}__not_in": ["x"] * 1000 for field in ("email", "city", "state")}
    lists |= {f"{field}__not_like_all": ["x"] * 1000 for field in ("street", "phone", "zip_code")}
    assert await users.count(session, lists) == 0
    with pytest.raises(ValidationError) as caught:
        await users.count(session, lists | {"first_name__in": ("x",)})
    assert caught.value.errors == [("filters", "At most 10000 list items in all filters.")]
