"""The filter DSL's operations against PostgreSQL: reads, pages, order, writes, and their limits."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.shared import AlreadyExistsError, ValidationError
from app.domain.users.user import User
from app.domain.users.values import Email
from app.infrastructure.db.queries import TableQuery
from app.infrastructure.db.tables import UserRow

NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara"]
BIRTHDAYS = [date(1815, 12, 10), date(1906, 12, 9), date(1912, 6, 23), None, date(1939, 11, 7)]


def person(name: str, **extra) -> dict:
    return {
        "uuid": uuid4(),
        "email": f"{name.lower()}@example.com",
        "password_hashed": "hash",
        "first_name": name,
    } | extra


@pytest.fixture
def users(settings) -> TableQuery:
    return TableQuery(
        UserRow, max_page_size=settings.max_page_size, max_filters=settings.max_filters
    )


@pytest.fixture
async def session(container) -> AsyncIterator[AsyncSession]:
    async with container.sessions() as session:
        yield session


@pytest.fixture
async def seeded(container, users) -> list[dict]:
    """Five committed users, created in NAMES order (the container empties the table after)."""
    rows = [
        person(name, birthday=birthday, is_active=name != "Alan")
        for name, birthday in zip(NAMES, BIRTHDAYS, strict=True)
    ]
    async with container.sessions() as session:
        created = await users.create_bulk(session, rows)
        await session.commit()
    return created


async def committed_count(container) -> int:
    async with container.engine.connect() as conn:
        return await conn.scalar(sa.text("SELECT count(*) FROM users"))


def first_names(rows: list[dict]) -> list[str]:
    return [row["first_name"] for row in rows]


async def test_count_exists_and_get_first_answer_for_the_filter(users, session, seeded):
    assert await users.count(session) == 5
    assert await users.count(session, {"is_active": True}) == 4
    assert await users.exists(session, {"first_name": "Ada"}) is True
    assert await users.exists(session, {"first_name": "Nobody"}) is False
    assert await users.exists(session) is True
    first = await users.get_first(session, {"is_active": True}, ["-first_name"])
    assert first["first_name"] == "Grace"
    assert await users.get_first(session, {"first_name": "Nobody"}) is None


async def test_get_list_returns_every_column_of_the_allow_list_as_dicts(users, session, seeded):
    [ada] = await users.get_list(session, {"first_name": "Ada"})
    assert ada == seeded[0]
    assert set(ada) == set(UserRow.__table__.c.keys())
    assert ada["meta"] == {}
    assert ada["birthday"] == date(1815, 12, 10)


async def test_without_order_rows_come_in_primary_key_order(users, session, seeded):
    assert first_names(await users.get_list(session)) == NAMES


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (["first_name"], ["Ada", "Alan", "Barbara", "Edsger", "Grace"]),
        (["-first_name"], ["Grace", "Edsger", "Barbara", "Alan", "Ada"]),
        (["birthday"], ["Ada", "Grace", "Alan", "Barbara", "Edsger"]),
        (("-birthday",), ["Edsger", "Barbara", "Alan", "Grace", "Ada"]),
        (["is_active", "-first_name"], ["Alan", "Grace", "Edsger", "Barbara", "Ada"]),
        (["-is_active", "birthday"], ["Ada", "Grace", "Barbara", "Edsger", "Alan"]),
        (["-id"], ["Barbara", "Edsger", "Alan", "Grace", "Ada"]),
    ],
)
async def test_order_by_sorts_by_each_field_in_turn(users, session, seeded, order_by, expected):
    assert first_names(await users.get_list(session, order_by=order_by)) == expected


async def test_limit_and_offset_walk_through_pages(users, session, seeded):
    pages = [
        first_names(await users.get_list(session, order_by=["first_name"], limit=2, offset=at))
        for at in (0, 2, 4, 6)
    ]
    assert pages == [["Ada", "Alan"], ["Barbara", "Edsger"], ["Grace"], []]


async def test_limit_defaults_to_max_page_size_and_may_equal_it(session, seeded):
    users = TableQuery(UserRow, max_page_size=3, max_filters=5)
    assert len(await users.get_list(session)) == 3
    assert len(await users.get_list(session, limit=3)) == 3


@pytest.mark.parametrize(
    ("page", "key"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": 4}, "limit"),
        ({"limit": "2"}, "limit"),
        ({"limit": True}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": "0"}, "offset"),
        ({"offset": 2**63}, "offset"),
    ],
)
async def test_a_page_out_of_bounds_is_refused(session, seeded, page, key):
    users = TableQuery(UserRow, max_page_size=3, max_filters=5)
    with pytest.raises(ValidationError) as caught:
        await users.get_list(session, **page)
    assert [name for name, _ in caught.value.errors] == [key]
    assert "from 1 to 3" in caught.value.detail or "from 0" in caught.value.detail


@pytest.mark.parametrize(
    ("order_by", "phrase"),
    [
        ("first_name", "a list of field names"),
        (None, "a list of field names"),
        (["nope"], "'nope'"),
        (["-nope"], "'-nope'"),
        (["--first_name"], "'--first_name'"),
        (["first_name; DROP TABLE users"], "DROP TABLE"),
        ([5], "'5'"),
        (["first_name", "-first_name"], "a repeated field"),
    ],
)
async def test_a_bad_order_field_is_refused_listing_the_allowed_ones(
    container, users, session, seeded, order_by, phrase
):
    with pytest.raises(ValidationError) as caught:
        await users.get_list(session, order_by=order_by)
    assert caught.value.errors[0][0] == "order_by"
    assert phrase in caught.value.detail
    assert "first_name, last_name" in caught.value.detail
    assert await committed_count(container) == 5


async def test_create_returns_the_row_with_its_server_defaults(users, session):
    row = await users.create(session, person("Ada", meta={"a": [1]}, birthday="1815-12-10"))
    assert row["id"] > 0
    assert row["is_active"] is True
    assert row["meta"] == {"a": [1]}
    assert row["birthday"] == date(1815, 12, 10)
    assert row["created_at"].tzinfo is not None


async def test_create_bulk_keeps_the_given_order_even_with_different_fields(users, session):
    rows = [
        person("Ada"),
        person("Grace", city="New York"),
        person("Alan"),
        person("Edsger", is_active=False),
    ]
    created = await users.create_bulk(session, rows)
    assert first_names(created) == ["Ada", "Grace", "Alan", "Edsger"]
    assert [row["city"] for row in created] == [None, "New York", None, None]
    assert [row["is_active"] for row in created] == [True, True, True, False]
    assert first_names(await users.get_list(session)) == ["Ada", "Grace", "Alan", "Edsger"]
    assert await users.create_bulk(session, []) == []


async def test_the_dsl_never_commits(container, users):
    async with container.sessions() as session:
        await users.create(session, person("Ada"))
        assert await users.count(session) == 1
    assert await committed_count(container) == 0


async def test_reads_see_the_unit_of_work_pending_changes(container, users):
    user = User.register(Email.parse("ada@example.com"), "hash", datetime.now(UTC))
    async with container.uow() as uow:
        uow.users.add(user)
        assert await users.exists(uow.session, {"uuid": user.id}) is True


@pytest.mark.parametrize(
    ("values", "key", "phrase"),
    [
        (person("Ada", id=1), "id", "Writable fields: uuid, email"),
        (person("Ada", nope=1), "nope", "Unknown or read-only field"),
        (person("Ada", email=None), "email", "may not be null"),
        (person("Ada", zip_code="1" * 17), "zip_code", "longer than 16 characters"),
        (person("Ada", birthday="someday"), "birthday", "a date"),
        (person("Ada", meta={"a": float("nan")}), "meta", "JSON"),
        (person("Ada", meta=None), "meta", "may not be null"),
        ({"email": "ada@example.com", "password_hashed": "x"}, "uuid", "'uuid' is required"),
        ({}, "values", "non-empty"),
        ("ada", "values", "non-empty"),
    ],
)
async def test_create_refuses_bad_values_naming_the_field(
    container, users, session, values, key, phrase
):
    with pytest.raises(ValidationError) as caught:
        await users.create(session, values)
    assert caught.value.errors[0][0] == key
    assert phrase in caught.value.detail
    assert await users.count(session) == 0


async def test_create_bulk_names_the_row_of_each_bad_value(users, session):
    with pytest.raises(ValidationError) as caught:
        await users.create_bulk(session, [person("Ada"), person("Grace", birthday=1)])
    assert [key for key, _ in caught.value.errors] == ["rows[1].birthday"]
    with pytest.raises(ValidationError):
        await users.create_bulk(session, "Ada")
    assert await users.count(session) == 0


async def test_a_duplicate_unique_value_is_already_exists(users, session, seeded):
    with pytest.raises(AlreadyExistsError):
        await users.create(session, person("Ada", email="ADA@example.com"))


async def test_another_broken_constraint_is_a_validation_error(session):
    users = TableQuery(UserRow, max_page_size=10, max_filters=5, writable=("email",))
    with pytest.raises(ValidationError) as caught:
        await users.create(session, {"email": "ada@example.com"})
    assert caught.value.errors[0][0] == "values"


async def test_update_sets_values_on_matching_rows_only(users, session, seeded):
    updated = await users.update(session, {"is_active": True}, {"city": "Paris", "meta": {"a": 1}})
    assert updated == 4
    paris = await users.get_list(session, {"city": "Paris", "meta__a": "1"})
    assert sorted(first_names(paris)) == ["Ada", "Barbara", "Edsger", "Grace"]
    assert await users.update(session, {"first_name": "Nobody"}, {"city": "Rome"}) == 0


async def test_update_bulk_applies_pairs_and_rows_by_primary_or_given_key(users, session, seeded):
    ada, grace, alan, edsger, _ = seeded
    pairs = [
        ({"first_name": "Ada"}, {"city": "London"}),
        ({"id__in": [grace["id"]]}, {"city": "NYC"}),
    ]
    assert await users.update_bulk(session, pairs) == 2
    assert await users.update_bulk(session, [{"id": alan["id"], "city": "Wilmslow"}]) == 1
    assert (
        await users.update_bulk(session, [{"uuid": edsger["uuid"], "city": "Nuenen"}], key="uuid")
        == 1
    )
    cities = {row["first_name"]: row["city"] for row in await users.get_list(session)}
    assert cities == {
        "Ada": "London",
        "Grace": "NYC",
        "Alan": "Wilmslow",
        "Edsger": "Nuenen",
        "Barbara": None,
    }
    assert ada["city"] is None


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        (
            [({"first_name": "Ada"}, {"city": "X"}), ({"first_name": "Grace"}, {"city": 5})],
            "changes[1].city",
        ),
        ([({"first_name": "Ada"}, {"city": "X"}), ({}, {"city": "Y"})], "filters"),
        ([({"first_name": "Ada"}, {"city": "X"}), ({"nope": 1}, {"city": "Y"})], "nope"),
        ([({"first_name": "Ada"}, {"city": "X"}), {"city": "Y"}], "changes"),
        ([({"first_name": "Ada"}, {"city": "X"}), "Ada"], "changes"),
        ([({"first_name": "Ada"}, {})], "values"),
        ([({"first_name": "Ada"}, {"id": 7})], "id"),
        ({"first_name": "Ada"}, "changes"),
    ],
)
async def test_update_bulk_checks_every_change_before_running_any(
    users, session, seeded, changes, key
):
    with pytest.raises(ValidationError) as caught:
        await users.update_bulk(session, changes)
    assert caught.value.errors[0][0] == key
    assert await users.count(session, {"city__is_null": False}) == 0


@pytest.mark.parametrize("filters", [{}, None])
async def test_update_and_remove_refuse_an_empty_filter(container, users, session, seeded, filters):
    with pytest.raises(ValidationError) as caught:
        await users.update(session, filters, {"city": "Everywhere"})
    assert caught.value.errors == [("filters", "Updating or removing needs at least one filter.")]
    with pytest.raises(ValidationError):
        await users.remove(session, filters)
    assert await users.count(session, {"city__is_null": True}) == 5
    assert await committed_count(container) == 5


async def test_remove_deletes_matching_rows_only(users, session, seeded):
    assert await users.remove(session, {"birthday__lt": date(1910, 1, 1)}) == 2
    assert sorted(first_names(await users.get_list(session))) == ["Alan", "Barbara", "Edsger"]
    assert await users.remove(session, {"first_name": "Nobody"}) == 0


async def test_a_query_over_a_table_object_and_an_allow_list(session, seeded):
    names = TableQuery(
        UserRow.__table__, fields=("first_name", "birthday"), max_page_size=10, max_filters=5
    )
    rows = await names.get_list(session, {"birthday__is_null": False}, ["birthday"], limit=2)
    assert rows == [
        {"first_name": "Ada", "birthday": date(1815, 12, 10)},
        {"first_name": "Grace", "birthday": date(1906, 12, 9)},
    ]
    with pytest.raises(ValidationError):
        await names.count(session, {"email": "ada@example.com"})


def test_an_allow_list_naming_a_missing_column_is_a_programming_error():
    with pytest.raises(ValueError, match="not columns of users: nope"):
        TableQuery(UserRow, fields=("email", "nope"), max_page_size=10, max_filters=5)
