"""SPEC §3 over gRPC: status codes, `error_id` in trailing metadata, no internals in details."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.struct_pb2 import Struct
from sqlalchemy import text

from app.domain.shared import DomainError, NotFoundError, ValidationError
from app.domain.users.errors import InvalidField
from app.interfaces.grpc.errors import INTERNAL_DETAIL, failure_of
from app.interfaces.grpc.pb import auth_pb2, debug_pb2, users_pb2
from tests.conftest import settings_with
from tests.grpc.conftest import PASSWORD, Stubs, bearer, unique_email


async def rpc_error(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def deactivate(container, column: str, value: str) -> None:
    async with container.engine.begin() as conn:
        await conn.execute(
            text(f"UPDATE users SET is_active = false WHERE {column} = :value"), {"value": value}
        )


def error_id(error: grpc.aio.AioRpcError) -> str:
    trailers = dict(error.trailing_metadata())
    assert len(trailers["error_id"]) == 32
    return trailers["error_id"]


async def test_a_call_without_a_token_is_unauthenticated_with_error_and_request_ids(stubs):
    call = stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=(("x-request-id", "req-401"),))
    error = await rpc_error(call)
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error.details() == "Missing bearer token"
    trailers = dict(error.trailing_metadata())
    assert trailers["x-request-id"] == trailers["error_id"] == "req-401"  # one id per call


@pytest.mark.parametrize("value", ["Bearer", "Basic abc", "Bearer not-a-jwt", "token"])
async def test_a_malformed_or_foreign_authorization_is_unauthenticated(stubs, value):
    call = stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=(("authorization", value),))
    assert (await rpc_error(call)).code() is grpc.StatusCode.UNAUTHENTICATED


async def test_a_refresh_token_is_not_accepted_as_an_access_token(stubs):
    pair = await stubs.signed_in()
    call = stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(pair.refresh))
    assert (await rpc_error(call)).code() is grpc.StatusCode.UNAUTHENTICATED


async def test_a_spent_refresh_token_is_unauthenticated_and_revokes_the_session(stubs):
    pair = await stubs.signed_in()
    await stubs.auth.RefreshTokens(auth_pb2.RefreshTokensRequest(refresh=pair.refresh))
    reuse = stubs.auth.RefreshTokens(auth_pb2.RefreshTokensRequest(refresh=pair.refresh))
    assert (await rpc_error(reuse)).code() is grpc.StatusCode.UNAUTHENTICATED
    call = stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(pair.access))
    assert (await rpc_error(call)).code() is grpc.StatusCode.UNAUTHENTICATED


async def test_a_wrong_password_is_unauthenticated_with_the_same_message_as_an_unknown_email(stubs):
    email = unique_email()
    await stubs.auth.SignUp(auth_pb2.SignUpRequest(email=email, password=PASSWORD))
    wrong = await rpc_error(
        stubs.auth.IssueTokens(auth_pb2.IssueTokensRequest(email=email, password="x" * 12))
    )
    unknown = await rpc_error(
        stubs.auth.IssueTokens(auth_pb2.IssueTokensRequest(email=unique_email(), password=PASSWORD))
    )
    assert wrong.code() is unknown.code() is grpc.StatusCode.UNAUTHENTICATED
    assert wrong.details() == unknown.details()


async def test_a_taken_email_is_already_exists_whatever_its_case(stubs):
    email = unique_email()
    await stubs.auth.SignUp(auth_pb2.SignUpRequest(email=email, password=PASSWORD))
    again = stubs.auth.SignUp(auth_pb2.SignUpRequest(email=email.upper(), password=PASSWORD))
    error = await rpc_error(again)
    assert error.code() is grpc.StatusCode.ALREADY_EXISTS
    error_id(error)


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (auth_pb2.SignUpRequest(email="not-an-email", password=PASSWORD), "email"),
        (auth_pb2.SignUpRequest(email="a@example.com", password="short"), "password"),
        (auth_pb2.SignUpRequest(email="a@example.com", password="p" * 257), "password"),
        (
            auth_pb2.SignUpRequest(email="a@example.com", password=PASSWORD, first_name="x" * 129),
            "first_name",
        ),
    ],
)
async def test_an_invalid_sign_up_is_invalid_argument_naming_the_field(stubs, request_, field):
    error = await rpc_error(stubs.auth.SignUp(request_))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith(f"{field}:")
    assert dict(error.trailing_metadata())["field-error"].startswith(f"{field}:")


@pytest.mark.parametrize(
    "request_",
    [
        users_pb2.UpdateMeRequest(zip_code="1" * 17),
        users_pb2.UpdateMeRequest(birthday="10/12/1815"),
        users_pb2.UpdateMeRequest(phone="call me"),
        users_pb2.UpdateMeRequest(clear=["email"]),
        users_pb2.UpdateMeRequest(clear=["meta"]),
        users_pb2.UpdateMeRequest(city="London", clear=["city"]),
    ],
)
async def test_an_invalid_profile_change_is_invalid_argument(stubs, request_):
    pair = await stubs.signed_in()
    error = await rpc_error(stubs.users.UpdateMe(request_, metadata=bearer(pair.access)))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    error_id(error)


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [("a" * 250 + "@example.com", PASSWORD, "email"), ("a@example.com", "p" * 257, "password")],
)
async def test_an_oversized_sign_in_is_invalid_argument(stubs, email, password, field):
    call = stubs.auth.IssueTokens(auth_pb2.IssueTokensRequest(email=email, password=password))
    error = await rpc_error(call)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith(f"{field}:")


async def test_an_invalid_event_name_is_invalid_argument(stubs):
    pair = await stubs.signed_in()
    request = debug_pb2.SendMessageRequest(event="no spaces allowed", data=Struct())
    error = await rpc_error(stubs.debug.SendMessage(request, metadata=bearer(pair.access)))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_send_message_requires_a_signed_in_caller(stubs):
    request = debug_pb2.SendMessageRequest(event="debug.echo.v1", data=Struct())
    error = await rpc_error(stubs.debug.SendMessage(request))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_a_deactivated_account_is_not_found_on_update(stubs, container):
    pair = await stubs.signed_in()
    await deactivate(container, "uuid", pair.user_uuid)
    error = await rpc_error(
        stubs.users.UpdateMe(users_pb2.UpdateMeRequest(city="x"), metadata=bearer(pair.access))
    )
    assert error.code() is grpc.StatusCode.NOT_FOUND
    error_id(error)


async def test_a_deactivated_account_cannot_sign_in(stubs, container):
    email = unique_email()
    await stubs.auth.SignUp(auth_pb2.SignUpRequest(email=email, password=PASSWORD))
    await deactivate(container, "email", email)
    call = stubs.auth.IssueTokens(auth_pb2.IssueTokensRequest(email=email, password=PASSWORD))
    assert (await rpc_error(call)).code() is grpc.StatusCode.PERMISSION_DENIED


async def test_too_many_sign_in_attempts_are_resource_exhausted_with_retry_after(
    settings, start_server
):
    from app.container import build_container

    container = build_container(settings_with(settings, sign_in_attempts_per_minute=2))
    try:
        server = await start_server(container)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stubs = Stubs.of(channel)
            request = auth_pb2.IssueTokensRequest(email=unique_email(), password=PASSWORD)
            for _ in range(2):
                await rpc_error(stubs.auth.IssueTokens(request))
            error = await rpc_error(stubs.auth.IssueTokens(request))
    finally:
        await container.aclose()
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert 0 < int(dict(error.trailing_metadata())["retry-after"]) <= 60


async def test_a_request_that_is_not_the_methods_message_is_invalid_argument(channel):
    call = channel.unary_unary("/app.v1.AuthService/SignUp")(b"\xff\xff\xff\xff")
    error = await rpc_error(call)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    error_id(error)


async def test_an_unknown_method_is_unimplemented(channel):
    error = await rpc_error(channel.unary_unary("/app.v1.UsersService/DeleteMe")(b""))
    assert error.code() is grpc.StatusCode.UNIMPLEMENTED


async def test_a_message_over_the_size_limit_is_resource_exhausted(stubs, settings):
    big = "x" * (settings.grpc_max_message_bytes + 1)
    error = await rpc_error(stubs.auth.SignUp(auth_pb2.SignUpRequest(email=big, password=PASSWORD)))
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED


def test_an_unexpected_error_is_internal_without_its_message():
    failure = failure_of(RuntimeError("password=hunter2 at db-7"), "/app.v1.UsersService/GetMe")
    assert failure.code is grpc.StatusCode.INTERNAL
    assert failure.details == INTERNAL_DETAIL
    assert len(failure.error_id) == 32


def test_a_dependency_failure_is_unavailable_without_its_message():
    failure = failure_of(ConnectionRefusedError("10.0.0.7:5432 refused"), "/m")
    assert failure.code is grpc.StatusCode.UNAVAILABLE
    assert "10.0.0.7" not in failure.details


def test_an_error_maps_through_the_nearest_class_in_its_hierarchy():
    class Ambiguous(NotFoundError, ValidationError):
        pass

    class Unlisted(DomainError):
        pass

    assert failure_of(InvalidField("city", "bad"), "/m").code is grpc.StatusCode.INVALID_ARGUMENT
    assert failure_of(Ambiguous("x"), "/m").code is grpc.StatusCode.NOT_FOUND
    assert failure_of(Unlisted("x"), "/m").code is grpc.StatusCode.INTERNAL
