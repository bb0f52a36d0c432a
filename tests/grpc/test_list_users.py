"""UsersService.ListUsers: the REST list's filter DSL, pages and errors over a real channel."""

from __future__ import annotations

from uuid import uuid4

import grpc
import pytest

from app.infrastructure.db.queries import TableQuery
from app.infrastructure.db.tables import UserRow
from app.interfaces.grpc.pb import auth_pb2, users_pb2
from tests.grpc.conftest import PASSWORD, Stubs, bearer, unique_email

PEOPLE = [
    {"email": "ada@example.com", "first_name": "Ada", "country": "UK", "meta": {"plan": "pro"}},
    {"email": "grace@example.org", "first_name": "Grace", "country": "US"},
    {"email": "alan@example.com", "first_name": "Alan", "country": "UK", "is_active": False},
    {"email": "edsger@example.nl", "first_name": "Edsger", "country": "NL"},
]


@pytest.fixture
async def admin(stubs: Stubs, container) -> tuple[tuple[str, str], ...]:
    """Metadata of an admin: an account granted `admin` by the operator, then signed in."""
    email = unique_email()
    await stubs.auth.SignUp(auth_pb2.SignUpRequest(email=email, password=PASSWORD))
    await container.admin.grant(email, "admin")
    request = auth_pb2.IssueTokensRequest(email=email, password=PASSWORD)
    return bearer((await stubs.auth.IssueTokens(request)).access)


@pytest.fixture
async def people(container, admin) -> None:
    rows = TableQuery(UserRow, max_page_size=10, max_filters=10)
    async with container.sessions() as session:
        await rows.create_bulk(
            session, [person | {"uuid": uuid4(), "password_hashed": "x"} for person in PEOPLE]
        )
        await session.commit()


def request(*filters: tuple[str, str], **fields) -> users_pb2.ListUsersRequest:
    return users_pb2.ListUsersRequest(
        filters=[users_pb2.Filter(key=key, value=value) for key, value in filters], **fields
    )


def first_names(response: users_pb2.ListUsersResponse) -> list[str]:
    return [item.profile.first_name for item in response.items]


async def refused(stubs: Stubs, metadata, message) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stubs.users.ListUsers(message, metadata=metadata)
    return caught.value


def field_errors(error: grpc.aio.AioRpcError) -> list[str]:
    return [value for key, value in error.trailing_metadata() if key == "field-error"]


async def test_filters_order_and_a_page_come_back_with_the_total(stubs, admin, people):
    response = await stubs.users.ListUsers(
        request(("country__in", "UK,NL"), ("is_active", "true"), order_by=["first_name"]),
        metadata=admin,
    )
    assert first_names(response) == ["Ada", "Edsger"]
    assert (response.total, response.limit, response.offset) == (2, 100, 0)
    assert not response.HasField("next")
    ada = response.items[0]
    assert list(ada.roles) == ["user"] and dict(ada.profile.meta) == {"plan": "pro"}


async def test_a_key_repeated_is_one_list_as_in_a_query_string(stubs, admin, people):
    listed = request(("country__in", "US"), ("country__in", "NL"), order_by=["-first_name"])
    response = await stubs.users.ListUsers(listed, metadata=admin)
    assert first_names(response) == ["Grace", "Edsger"]


async def test_next_leads_through_every_page_with_limit_and_after(stubs, admin, people):
    seen, after = [], None
    while True:
        page = request(("first_name__is_null", "false"), order_by=["first_name"], limit=3)
        if after is not None:
            page.after = after
        response = await stubs.users.ListUsers(page, metadata=admin)
        seen += first_names(response)
        if not response.HasField("next"):
            break
        after = response.next
    assert seen == ["Ada", "Alan", "Edsger", "Grace"]
    by_offset = request(order_by=["first_name"], limit=2, offset=1)
    assert first_names(await stubs.users.ListUsers(by_offset, metadata=admin)) == ["Alan", "Edsger"]


@pytest.mark.parametrize(
    ("message", "field", "phrase"),
    [
        (request(("password_hashed", "x")), "password_hashed", "Allowed fields: uuid, email"),
        (request(("is_active__like", "t")), "is_active__like", "Allowed lookups: e, ne"),
        (request(("created_at__gte", "soon")), "created_at__gte", "ISO 8601 date-time"),
        (request(("email", "a"), ("email", "b")), "email", "only the list lookups"),
        (request(order_by=["password_hashed"]), "order_by", "Order by uuid, email"),
        (request(limit=0), "limit", "from 1 to 100"),
        (request(limit=101), "limit", "from 1 to 100"),
        (request(offset=-1), "offset", "from 0"),
        (request(after="not-a-cursor"), "after", "not one this service issued"),
        (request(*[(f"meta__k{n}", "x") for n in range(21)]), "filters", "At most 20 filters"),
    ],
)
async def test_each_rule_of_the_dsl_is_invalid_argument_naming_the_key(
    stubs, admin, people, message, field, phrase
):
    error = await refused(stubs, admin, message)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    [entry] = field_errors(error)
    assert entry.startswith(f"{field}: ") and phrase in entry


async def test_next_continues_the_order_and_an_edited_cursor_is_refused(stubs, admin, people):
    first = await stubs.users.ListUsers(request(order_by=["email"], limit=1), metadata=admin)
    following = await stubs.users.ListUsers(
        request(order_by=["email"], limit=1, after=first.next), metadata=admin
    )
    assert [item.profile.email for item in following.items] == ["alan@example.com"]
    edited = ("A" if first.next[0] != "A" else "B") + first.next[1:]  # the signed part
    error = await refused(stubs, admin, request(order_by=["email"], after=edited))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field_errors(error)[0].startswith("after: ")


async def test_without_users_read_the_call_is_permission_denied(stubs, people):
    pair = await stubs.signed_in()
    error = await refused(stubs, bearer(pair.access), request())
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert error.details() == "This needs the permission users:read"
    error = await refused(stubs, (), request())
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
