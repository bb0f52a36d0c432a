"""GET /api/v1/users/: the filter DSL of SPEC section 5 over HTTP, a test per rule, with offset
and keyset pages, against PostgreSQL and Redis (the admin is made by the operator's use case)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from uuid import uuid4

import httpx
import pytest
import sqlalchemy as sa

from app.infrastructure.db.directory import USER_FIELDS, USER_ORDER_FIELDS
from app.infrastructure.db.queries import TableQuery
from app.infrastructure.db.tables import UserRow
from tests.api.helpers import assert_problem, bearer, sign_in, sign_up

ADMIN = "root@example.com"


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


PEOPLE = [
    {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "country": "UK",
        "street": "5% Main_St",
        "meta": {"plan": "pro", "note": "50% off"},
        "created_at": at("2025-12-10T10:00:00"),
        "updated_at": at("2026-01-02T00:00:00"),
    },
    {
        "email": "grace@example.org",
        "first_name": "Grace",
        "last_name": "Hopper",
        "country": "US",
        "street": "55 MainXSt",
        "meta": {"plan": "free"},
        "created_at": at("2026-01-05T08:00:00"),
        "updated_at": at("2026-01-05T08:00:00"),
    },
    {
        "email": "alan@example.com",
        "first_name": "Alan",
        "last_name": "Turing",
        "country": "UK",
        "is_active": False,
        "meta": {"plan": "pro-trial"},
        "created_at": at("2026-02-01T00:00:00"),
        "updated_at": at("2026-02-01T00:00:00"),
    },
    {
        "email": "edsger@example.nl",
        "first_name": "Edsger",
        "last_name": "Dijkstra",
        "country": "NL",
        "meta": {},
        "created_at": at("2026-02-01T00:00:00"),  # the same instant as Alan: uuid breaks the tie
        "updated_at": at("2026-02-01T00:00:00"),
    },
    {
        "email": "barbara@example.com",
        "first_name": "Barbara",
        "last_name": "Liskov",
        "country": None,
        "meta": {"plan": "team"},
        "created_at": at("2026-03-01T00:00:00"),
        "updated_at": at("2026-03-01T00:00:00"),
    },
]
EVERYONE = {"ada", "grace", "alan", "edsger", "barbara", "root"}


@pytest.fixture
async def admin(client: httpx.AsyncClient, container) -> dict[str, str]:
    """Headers of an admin: an account granted `admin` by the operator, then signed in."""
    await sign_up(client, ADMIN)
    await container.admin.grant(ADMIN, "admin")
    return bearer((await sign_in(client, ADMIN))["access"])


@pytest.fixture
async def people(container, admin) -> list[dict]:
    """Five accounts written straight to the table (the DSL's own bulk insert), and the admin."""
    rows = TableQuery(UserRow, max_page_size=10, max_filters=10)
    async with container.sessions() as session:
        created = await rows.create_bulk(
            session, [person | {"uuid": uuid4(), "password_hashed": "x"} for person in PEOPLE]
        )
        await session.commit()
    return created


async def listed(client: httpx.AsyncClient, headers: dict, params=None) -> dict:
    response = await client.get("/users/", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def names(page: dict) -> list[str]:
    return [item["email"].partition("@")[0] for item in page["items"]]


async def refused(client: httpx.AsyncClient, headers: dict, params) -> dict:
    body = assert_problem(await client.get("/users/", params=params, headers=headers), 422)
    assert body["type"] == "urn:problem:validation"
    return body


async def user_count(container) -> int:
    async with container.engine.connect() as conn:
        return await conn.scalar(sa.text("SELECT count(*) FROM users"))


async def test_lists_profiles_with_roles_a_total_and_the_page_newest_first(client, admin, people):
    page = await listed(client, admin)
    order = names(page)
    assert order[:2] == ["root", "barbara"] and order[4:] == ["grace", "ada"]
    assert set(order[2:4]) == {"alan", "edsger"}  # created at the same instant
    assert (page["total"], page["limit"], page["offset"], page["next"]) == (6, 100, 0, None)
    root, barbara = page["items"][:2]
    assert root["roles"] == ["admin", "user"] and barbara["roles"] == ["user"]
    assert set(barbara) == set(USER_FIELDS)
    assert "password_hashed" not in barbara and "id" not in barbara
    assert barbara["meta"] == {"plan": "team"} and barbara["country"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"email__ilike": "ADA"}, {"ada"}),
        ({"email": "ada@example.com"}, {"ada"}),
        ({"first_name__e": "Grace"}, {"grace"}),
        ({"first_name__ne": "Grace"}, EVERYONE - {"grace"}),
        ({"last_name__like": "ing"}, {"alan"}),
        ({"last_name__like": "ING"}, set()),
        ({"last_name__gte": "Lovelace"}, {"ada", "alan"}),
        ({"country__in": "DE,FR,UK"}, {"ada", "alan"}),
        ([("country__in", "US"), ("country__in", "NL")], {"grace", "edsger"}),
        ({"country__in": ""}, set()),
        ({"country__not_in": ""}, EVERYONE),
        ({"country__not_in": "UK"}, {"grace", "edsger", "barbara", "root"}),
        ({"country__is_null": "true"}, {"barbara", "root"}),
        ({"country__is_null": "false"}, {"ada", "grace", "alan", "edsger"}),
        ({"email__not_like_all": "example.com,root"}, {"grace", "edsger"}),
        ({"is_active": "false"}, {"alan"}),
        ({"is_active__ne": "false"}, EVERYONE - {"alan"}),
        ({"created_at__gte": "2026-01-01"}, EVERYONE - {"ada"}),
        ({"created_at__lt": "2026-02-01T00:00:00Z"}, {"ada", "grace"}),
        ({"created_at__lte": "2026-02-01T01:00:00+01:00"}, {"ada", "grace", "alan", "edsger"}),
        ({"created_at": "2026-02-01"}, {"alan", "edsger"}),
        ({"updated_at__gt": "2026-01-01", "updated_at__lt": "2026-01-03"}, {"ada"}),
        ({"meta__plan__jsonb_like": "pro"}, {"ada", "alan"}),
        ({"meta__plan": "pro"}, {"ada"}),
        ({"meta__plan__jsonb_not_like": "pro"}, {"grace", "edsger", "barbara", "root"}),
        ({"meta__jsonb_not_like": "plan"}, {"edsger", "root"}),
        ({"birthday__is_null": "true"}, EVERYONE),
        ({"uuid__ne": "00000000-0000-0000-0000-000000000000"}, EVERYONE),
        ({"meta__plan__in": "free,team"}, {"grace", "barbara"}),
        ({"meta__plan__is_null": "true"}, {"edsger", "root"}),
        ({"meta__jsonb_like": "team"}, {"barbara"}),
        ({"meta": "{}"}, {"edsger", "root"}),
        ({"roles": "admin"}, {"root"}),
        ({"roles__ne": "admin"}, EVERYONE - {"root"}),
        ({"roles__in": "admin,user"}, EVERYONE),
        ({"is_active": "true", "country": "UK"}, {"ada"}),
    ],
)
async def test_each_filter_in_query_string_syntax_matches_what_it_says(
    client, admin, people, params, expected
):
    page = await listed(client, admin, params)
    assert set(names(page)) == expected
    assert page["total"] == len(expected)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"street__like": "5%"}, {"ada"}),
        ({"street__like": "Main_St"}, {"ada"}),
        ({"street__ilike": "main_st"}, {"ada"}),
        ({"street__like": "%"}, {"ada"}),
        ({"first_name__like": "_"}, set()),
        ({"meta__note__jsonb_like": "50%"}, {"ada"}),
        ({"meta__note__like": "0%"}, {"ada"}),
    ],
)
async def test_percent_and_underscore_match_themselves(client, admin, people, params, expected):
    assert set(names(await listed(client, admin, params))) == expected


async def test_an_unknown_field_is_a_422_naming_it_and_the_allowed_fields(client, admin, people):
    body = await refused(client, admin, {"password_hashed__like": "x"})
    [error] = body["errors"]
    assert error["field"] == "password_hashed__like"
    assert "Unknown field 'password_hashed'" in error["message"]
    assert "Allowed fields: uuid, email, first_name" in error["message"]
    body = await refused(client, admin, {"id": "1"})
    assert body["errors"][0]["field"] == "id"


async def test_an_unknown_lookup_is_a_422_naming_it_and_the_allowed_lookups(client, admin, people):
    body = await refused(client, admin, {"is_active__like": "t"})
    [error] = body["errors"]
    assert error["field"] == "is_active__like"
    assert "Unknown lookup 'like'" in error["message"]
    assert "Allowed lookups: e, ne, in, not_in, is_null" in error["message"]
    body = await refused(client, admin, {"created_at__ilike": "2026"})
    assert "Allowed lookups: e, ne, in, not_in, is_null, gt, gte, lt, lte." in body["detail"]


@pytest.mark.parametrize("order_by", ["password_hashed", "-meta", "roles", "email,email", ""])
async def test_an_unknown_order_field_is_a_422_naming_the_allowed_ones(
    client, admin, people, order_by
):
    body = await refused(client, admin, {"order_by": order_by})
    [error] = body["errors"]
    assert error["field"] == "order_by"
    assert f"Order by {', '.join(USER_ORDER_FIELDS)}" in error["message"]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("is_active", "yes", "true or false"),
        ("is_active", "1", "true or false"),
        ("country__is_null", "maybe", "true or false"),
        ("created_at__gte", "soon", "an ISO 8601 date-time with time zone"),
        ("created_at__gte", "2026-01-01T00:00:00", "with time zone"),
        ("created_at__gte", "2026-02-30", "ISO 8601"),
        ("updated_at__in", "2026-01-01,later", "ISO 8601"),
        ("birthday", "someday", "a date (YYYY-MM-DD)"),
        ("uuid", "not-a-uuid", "a UUID"),
        ("meta", "{not json", "JSON"),
        ("email", "a\x00b", "no NUL"),
        ("meta__plan__ne", "\x00", "a string"),
    ],
)
async def test_a_value_of_the_wrong_type_is_a_422_naming_the_key_and_the_type(
    client, admin, people, key, value, expected
):
    body = await refused(client, admin, {key: value})
    [error] = body["errors"]
    assert error["field"] == key
    assert f"Bad value for {key!r}" in error["message"] and expected in error["message"]


async def test_a_key_given_twice_outside_the_list_lookups_is_a_422(client, admin, people):
    body = await refused(client, admin, [("email", "a@example.com"), ("email", "b@example.com")])
    assert body["errors"][0]["field"] == "email"
    assert "only the list lookups (in, not_in, not_like_all)" in body["detail"]


@pytest.mark.parametrize("limit", ["0", "-1", "101", "1000000000000000000000"])
async def test_a_limit_outside_one_to_max_page_size_is_a_422(
    client, admin, people, settings, limit
):
    assert settings.max_page_size == 100
    body = await refused(client, admin, {"limit": limit})
    assert body["errors"] == [{"field": "limit", "message": "limit is an integer from 1 to 100."}]


@pytest.mark.parametrize(("name", "value"), [("limit", "ten"), ("offset", "1.5")])
async def test_a_page_parameter_that_is_not_an_integer_is_a_422_naming_it(
    client, admin, people, name, value
):
    body = await refused(client, admin, {name: value})
    assert [error["field"] for error in body["errors"]] == [name]


async def test_a_negative_offset_is_a_422(client, admin, people):
    body = await refused(client, admin, {"offset": "-1"})
    assert body["errors"] == [{"field": "offset", "message": "offset is an integer from 0."}]


async def test_limit_and_offset_page_through_the_order(client, admin, people):
    params = {"order_by": "first_name", "first_name__is_null": "false", "limit": "2"}
    pages = [names(await listed(client, admin, params | {"offset": at})) for at in (0, 2, 4)]
    assert pages == [["ada", "alan"], ["barbara", "edsger"], ["grace"]]
    assert (await listed(client, admin, params | {"offset": 6}))["items"] == []


async def test_more_filters_than_max_filters_is_a_422(client, admin, people, settings):
    assert settings.max_filters == 20
    twenty = {f"meta__k{n}__is_null": "true" for n in range(20)}
    assert (await listed(client, admin, twenty))["total"] == 6
    body = await refused(client, admin, twenty | {"email__ne": "x"})
    assert body["errors"] == [{"field": "filters", "message": "At most 20 filters, got 21."}]


async def test_every_bad_key_and_the_page_are_reported_at_once(client, admin, people):
    body = await refused(
        client, admin, {"nope": "1", "is_active": "yes", "order_by": "nope", "limit": "0"}
    )
    assert [error["field"] for error in body["errors"]] == [
        "nope",
        "is_active",
        "order_by",
        "limit",
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"email; DROP TABLE users--": "x"},
        {"email' OR '1'='1": "x"},
        {"email__e; DROP TABLE users": "x"},
        {"meta__a'b__like": "x"},
        {"order_by": "email; DROP TABLE users"},
        {"order_by": "email DESC, (SELECT 1)"},
    ],
)
async def test_injection_shaped_keys_are_refused_and_the_table_stays_intact(
    client, admin, people, container, params
):
    await refused(client, admin, params)
    assert await user_count(container) == len(PEOPLE) + 1


@pytest.mark.parametrize(
    "params",
    [
        {"email": "x' OR '1'='1"},
        {"last_name__like": "'; DROP TABLE users; --"},
        {"meta__plan": "pro' OR 'a'='a"},
        {"country__in": "UK') OR ('1'='1"},
        {"meta__jsonb_like": "\"}' OR 1=1 --"},
    ],
)
async def test_injection_shaped_values_are_bound_parameters_matching_nothing(
    client, admin, people, container, params
):
    assert (await listed(client, admin, params))["total"] == 0
    assert await user_count(container) == len(PEOPLE) + 1


async def test_a_plain_user_gets_403_and_a_caller_without_a_token_401(client, people):
    await sign_up(client, "plain@example.com")
    plain = bearer((await sign_in(client, "plain@example.com"))["access"])
    body = assert_problem(await client.get("/users/", headers=plain), 403)
    assert body["detail"] == "This needs the permission users:read"
    assert_problem(await client.get("/users/", params={"nope": "1"}, headers=plain), 403)
    assert_problem(await client.get("/users/"), 401)


async def test_following_next_visits_every_account_once_in_order(client, admin, people):
    for order_by in ("-created_at", "created_at", "country,-email", "-country,first_name"):
        everyone = names(await listed(client, admin, {"order_by": order_by}))
        seen, params = [], {"order_by": order_by, "limit": "2"}
        while True:
            page = await listed(client, admin, params)
            seen += names(page)
            assert page["total"] == 6
            if page["next"] is None:
                break
            params = {"order_by": order_by, "limit": "2", "after": page["next"]}
        assert seen == everyone, order_by


async def test_a_keyset_page_keeps_its_place_when_accounts_are_added_before_it(
    client, admin, people, container
):
    params = {"order_by": "created_at", "limit": "2"}
    everyone = names(await listed(client, admin, {"order_by": "created_at"}))
    first = await listed(client, admin, params)
    assert names(first) == everyone[:2] == ["ada", "grace"]
    rows = TableQuery(UserRow, max_page_size=10, max_filters=10)
    async with container.sessions() as session:
        early = {"email": "early@example.com", "created_at": at("2000-01-01T00:00:00")}
        await rows.create(session, early | {"uuid": uuid4(), "password_hashed": "x"})
        await session.commit()
    by_cursor = await listed(client, admin, params | {"after": first["next"]})
    by_offset = await listed(client, admin, params | {"offset": "2"})
    assert names(by_cursor) == everyone[2:4]
    assert names(by_offset)[0] == "grace"  # the offset page shifted: Grace is read twice


async def test_the_filters_apply_to_keyset_pages_and_the_last_page_has_no_next(
    client, admin, people
):
    params = {"country": "UK", "order_by": "email", "limit": "1"}
    first = await listed(client, admin, params)
    second = await listed(client, admin, params | {"after": first["next"]})
    assert (names(first), names(second), second["next"]) == (["ada"], ["alan"], None)
    assert second["total"] == 2


def tampered(cursor: str) -> str:
    body, _, mac = cursor.partition(".")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[-3] ^= 1
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode() + "." + mac


async def test_a_cursor_that_was_edited_or_made_up_is_a_422(client, admin, people):
    cursor = (await listed(client, admin, {"limit": "1"}))["next"]
    assert cursor
    for bad in (tampered(cursor), cursor[:-2], "not-a-cursor", "a.b", "é.é", "x" * 5000, ""):
        body = await refused(client, admin, {"limit": "1", "after": bad})
        assert body["errors"][0]["field"] == "after", bad
        assert "not one this service issued" in body["detail"]


async def test_a_cursor_is_refused_with_another_order_or_an_offset(client, admin, people):
    cursor = (await listed(client, admin, {"order_by": "email", "limit": "1"}))["next"]
    body = await refused(client, admin, {"order_by": "-email", "after": cursor})
    assert body["errors"] == [
        {
            "field": "after",
            "message": "This cursor continues order_by=email; send that order_by with it.",
        }
    ]
    body = await refused(client, admin, {"order_by": "email", "after": cursor, "offset": "1"})
    assert body["errors"] == [
        {"field": "offset", "message": "A page starts at a cursor or at an offset, not both."}
    ]


async def test_the_openapi_document_describes_the_parameters_and_the_allow_list(client):
    operation = (await client.get("http://test/openapi.json")).json()["paths"]["/api/v1/users/"]
    operation = operation["get"]
    assert [p["name"] for p in operation["parameters"]] == ["order_by", "limit", "offset", "after"]
    for name in USER_FIELDS:
        assert f"| `{name}` |" in operation["description"]
    assert "`meta__KEY__LOOKUP`" in operation["description"]
    assert {"200", "401", "403", "422", "503"} <= set(operation["responses"])
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert page.endswith("/UserPageResponse")
