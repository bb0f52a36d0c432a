"""gRPC: values PostgreSQL or a serializer cannot take are INVALID_ARGUMENT naming each field.

protobuf strings are UTF-8 on the wire, so a lone surrogate cannot arrive here; a NUL can, and so
can a Struct holding NaN, Infinity or deep nesting.
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf.struct_pb2 import Struct

from app.domain.storable import MAX_JSON_DEPTH
from app.interfaces.grpc.pb import auth_pb2, debug_pb2, users_pb2
from tests.grpc.conftest import PASSWORD, bearer, unique_email

TEXT_FIELDS = ("first_name", "last_name", "phone", "street", "city", "state", "zip_code", "country")
BAD_META: dict[str, dict[str, Any]] = {
    "nul-in-value": {"a": "x\x00y"},
    "nul-in-key": {"a\x00": 1},
    "nan": {"a": float("nan")},
    "infinity": {"a": [1.0, float("-inf")]},
    "nested-infinity": {"a": {"b": float("inf")}},
}


def struct(values: dict[str, Any]) -> Struct:
    message = Struct()
    message.update(values)
    return message


def nested(levels: int) -> dict[str, Any]:
    """`levels` objects inside one another, the outermost counted."""
    value: dict[str, Any] = {"leaf": "x"}
    for _ in range(levels - 1):
        value = {"k": value}
    return value


async def rpc_error(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


def field_errors(error: grpc.aio.AioRpcError) -> list[str]:
    """The field of each `field-error` entry, in order."""
    trailers = error.trailing_metadata() or ()
    return [value.split(":", 1)[0] for key, value in trailers if key == "field-error"]


def assert_invalid(error: grpc.aio.AioRpcError, *fields: str) -> None:
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert field_errors(error) == list(fields)


@pytest.mark.parametrize("field", ["email", "password", "first_name", "last_name"])
async def test_sign_up_refuses_a_nul_in_every_field(stubs, field):
    values = {"email": unique_email(), "password": PASSWORD} | {field: "ab\x00cdefghij"}
    if field == "email":
        values["email"] = "a\x00b@example.com"
    error = await rpc_error(stubs.auth.SignUp(auth_pb2.SignUpRequest(**values)))
    assert_invalid(error, field)


@pytest.mark.parametrize("field", ["email", "password"])
async def test_sign_in_with_a_nul_is_invalid_argument_not_internal(stubs, field):
    values = {"email": unique_email(), "password": PASSWORD} | {field: "a\x00b@example.com"}
    error = await rpc_error(stubs.auth.IssueTokens(auth_pb2.IssueTokensRequest(**values)))
    assert_invalid(error, field)


@pytest.mark.parametrize("field", TEXT_FIELDS)
async def test_update_me_refuses_a_nul_in_every_text_field(stubs, field):
    pair = await stubs.signed_in()
    request = users_pb2.UpdateMeRequest(**{field: "12\x0034"})
    error = await rpc_error(stubs.users.UpdateMe(request, metadata=bearer(pair.access)))
    assert_invalid(error, field)


@pytest.mark.parametrize("meta", BAD_META.values(), ids=BAD_META.keys())
async def test_update_me_refuses_meta_that_cannot_be_stored(stubs, meta):
    pair = await stubs.signed_in()
    request = users_pb2.UpdateMeRequest(meta=struct(meta))
    error = await rpc_error(stubs.users.UpdateMe(request, metadata=bearer(pair.access)))
    assert_invalid(error, "meta")


async def test_meta_at_the_nesting_limit_reads_back_over_grpc_and_one_more_level_is_refused(
    stubs,
):
    pair = await stubs.signed_in()
    deepest = nested(MAX_JSON_DEPTH)
    request = users_pb2.UpdateMeRequest(meta=struct(deepest))
    changed = await stubs.users.UpdateMe(request, metadata=bearer(pair.access))
    me = await stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(pair.access))
    assert me == changed
    assert struct(deepest) == me.meta
    over = users_pb2.UpdateMeRequest(meta=struct(nested(MAX_JSON_DEPTH + 1)))
    error = await rpc_error(stubs.users.UpdateMe(over, metadata=bearer(pair.access)))
    assert_invalid(error, "meta")


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field: tag, varint length, payload."""
    size, length = b"", len(payload)
    while length > 0x7F:
        size, length = size + bytes([length & 0x7F | 0x80]), length >> 7
    return bytes([number << 3 | 2]) + size + bytes([length]) + payload


def deep_meta_request(levels: int) -> bytes:
    """UpdateMeRequest{meta} `levels` objects deep, encoded by hand: upb refuses to encode it."""
    value = _field(3, b"x")  # Value.string_value
    struct = b""
    for _ in range(levels):
        struct = _field(1, _field(1, b"k") + _field(2, value))  # Struct.fields{key, value}
        value = _field(5, struct)  # Value.struct_value
    return _field(10, struct)  # UpdateMeRequest.meta


async def test_meta_deeper_than_protobuf_parses_is_invalid_argument(stubs):
    pair = await stubs.signed_in()
    update = stubs.channel.unary_unary("/app.v1.UsersService/UpdateMe")
    error = await rpc_error(
        update(deep_meta_request(MAX_JSON_DEPTH + 10), metadata=bearer(pair.access))
    )
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(
    "data",
    [*BAD_META.values(), nested(MAX_JSON_DEPTH + 1)],
    ids=[*BAD_META.keys(), "too-deep"],
)
async def test_send_message_refuses_data_that_cannot_be_stored(stubs, data):
    pair = await stubs.signed_in()
    request = debug_pb2.SendMessageRequest(event="debug.echo.v1", data=struct(data))
    error = await rpc_error(stubs.debug.SendMessage(request, metadata=bearer(pair.access)))
    assert_invalid(error, "data")


async def test_sign_up_lists_every_bad_field(stubs):
    request = auth_pb2.SignUpRequest(email="not-an-email", password="short", last_name="x" * 129)
    error = await rpc_error(stubs.auth.SignUp(request))
    assert_invalid(error, "email", "password", "last_name")


async def test_issue_tokens_lists_every_bad_field(stubs):
    request = auth_pb2.IssueTokensRequest(email="a" * 300 + "@example.com", password="p\x00ss")
    error = await rpc_error(stubs.auth.IssueTokens(request))
    assert_invalid(error, "email", "password")


async def test_update_me_lists_every_bad_field(stubs):
    pair = await stubs.signed_in()
    request = users_pb2.UpdateMeRequest(
        phone="call me",
        city="x" * 129,
        birthday="10/12/1815",
        meta=struct({"a": "\x00"}),
        clear=["email"],
    )
    error = await rpc_error(stubs.users.UpdateMe(request, metadata=bearer(pair.access)))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert sorted(field_errors(error)) == ["birthday", "city", "clear", "meta", "phone"]


async def test_send_message_lists_a_bad_event_name_and_bad_data(stubs):
    pair = await stubs.signed_in()
    request = debug_pb2.SendMessageRequest(event="has spaces", data=struct({"a": float("nan")}))
    error = await rpc_error(stubs.debug.SendMessage(request, metadata=bearer(pair.access)))
    assert_invalid(error, "event", "data")
