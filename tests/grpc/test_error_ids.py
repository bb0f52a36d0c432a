"""A failed call's `error_id` (trailing metadata) is its request id, found in its log lines."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import grpc
import pytest

from app.container import build_container
from app.interfaces.grpc.pb import auth_pb2, users_pb2
from tests.conftest import settings_with
from tests.grpc.conftest import PASSWORD, Stubs, unique_email
from tests.logs import ProcessLog, process_log

GET_ME = "/app.v1.UsersService/GetMe"


@pytest.fixture(params=[False, True], ids=["text", "json"])
def log(request, settings) -> Iterator[ProcessLog]:
    with process_log(settings, json_lines=request.param) as captured:
        yield captured


async def failed(call) -> dict[str, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    trailers = dict(caught.value.trailing_metadata())
    assert trailers["error_id"] == trailers["x-request-id"]
    return {"code": caught.value.code().name, "details": caught.value.details(), **trailers}


async def assert_logged(log: ProcessLog, failure: dict[str, str], method: str) -> None:
    access, problem = f"grpc {method} {failure['code']} ", f"{method} {failure['code']}:"
    # The access line is written once the call has ended, which may be just after the client
    # has its status.
    deadline = time.monotonic() + 5
    while not any(m.startswith(access) for m in log.messages(failure["error_id"])):
        assert time.monotonic() < deadline, log.messages(failure["error_id"])
        await asyncio.sleep(0.01)
    messages = log.messages(failure["error_id"])
    assert any(m.startswith(problem) for m in messages), messages


@pytest.mark.parametrize("given", [None, "gateway-7f3a.1"], ids=["made", "given"])
async def test_an_unauthenticated_calls_error_id_is_its_request_id_in_its_log_lines(
    stubs, log, given
):
    metadata = (("x-request-id", given),) if given else ()
    failure = await failed(stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=metadata))
    assert failure["code"] == "UNAUTHENTICATED"
    assert failure["error_id"] == (given or failure["x-request-id"])
    assert given or len(failure["error_id"]) == 32
    await assert_logged(log, failure, GET_ME)


async def test_an_invalid_arguments_error_id_is_in_its_log_lines(stubs, log):
    request = auth_pb2.SignUpRequest(email="not-an-email", password=PASSWORD)
    failure = await failed(stubs.auth.SignUp(request))
    assert failure["code"] == "INVALID_ARGUMENT"
    await assert_logged(log, failure, "/app.v1.AuthService/SignUp")


async def test_an_unavailable_dependencys_error_id_is_in_its_log_lines(settings, start_server, log):
    container = build_container(settings_with(settings, redis_url="redis://127.0.0.1:1/0"))
    try:
        server = await start_server(container)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            request = auth_pb2.IssueTokensRequest(email=unique_email(), password=PASSWORD)
            failure = await failed(Stubs.of(channel).auth.IssueTokens(request))
    finally:
        await container.aclose()
    assert failure["code"] == "UNAVAILABLE"
    await assert_logged(log, failure, "/app.v1.AuthService/IssueTokens")
