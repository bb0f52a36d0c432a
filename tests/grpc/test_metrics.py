"""gRPC metrics: calls by method and status code, and their duration, over a real channel."""

from __future__ import annotations

import grpc
import pytest

from app.interfaces.grpc.pb import auth_pb2, users_pb2
from tests.grpc.conftest import PASSWORD, Stubs, bearer, unique_email
from tests.metrics.helpers import value

SIGN_UP = "/app.v1.AuthService/SignUp"
GET_ME = "/app.v1.UsersService/GetMe"


async def test_calls_are_counted_by_method_and_the_code_the_client_got(stubs: Stubs):
    ok = value("app_grpc_calls_total", method=SIGN_UP, code="OK")
    invalid = value("app_grpc_calls_total", method=SIGN_UP, code="INVALID_ARGUMENT")
    unauthenticated = value("app_grpc_calls_total", method=GET_ME, code="UNAUTHENTICATED")
    timed = value("app_grpc_call_duration_seconds_count", method=SIGN_UP)

    await stubs.auth.SignUp(auth_pb2.SignUpRequest(email=unique_email(), password=PASSWORD))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stubs.auth.SignUp(auth_pb2.SignUpRequest(email="not-an-email", password=PASSWORD))
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as anonymous:
        await stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer("not-a-token"))
    assert anonymous.value.code() is grpc.StatusCode.UNAUTHENTICATED

    assert value("app_grpc_calls_total", method=SIGN_UP, code="OK") == ok + 1
    assert value("app_grpc_calls_total", method=SIGN_UP, code="INVALID_ARGUMENT") == invalid + 1
    assert value("app_grpc_calls_total", method=GET_ME, code="UNAUTHENTICATED") == (
        unauthenticated + 1
    )
    assert value("app_grpc_call_duration_seconds_count", method=SIGN_UP) == timed + 2


async def test_an_unknown_method_adds_no_series(channel):
    unknown = channel.unary_unary("/app.v1.UsersService/Nope")
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await unknown(b"")
    assert missing.value.code() is grpc.StatusCode.UNIMPLEMENTED
    labels = {"method": "/app.v1.UsersService/Nope", "code": "UNIMPLEMENTED"}
    assert value("app_grpc_calls_total", **labels) == 0
