"""Health, reflection, request ids, logs and sessions shared with REST."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf import descriptor_pool, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from app.container import build_container
from app.interfaces.grpc.errors import UNAVAILABLE_DETAIL
from app.interfaces.grpc.pb import debug_pb2, users_pb2
from app.interfaces.grpc.server import APP_SERVICES
from tests.conftest import settings_with
from tests.grpc.conftest import HEALTH_INTERVAL, Stubs, bearer

CLOSED_REDIS = "redis://127.0.0.1:1/0"


async def health_of(channel: grpc.aio.Channel, service: str) -> int:
    stub = health_pb2_grpc.HealthStub(channel)
    return (await stub.Check(health_pb2.HealthCheckRequest(service=service))).status


async def test_health_reports_serving_for_the_server_and_each_app_service(channel):
    for service in ("", *APP_SERVICES):
        assert await health_of(channel, service) == health_pb2.HealthCheckResponse.SERVING


async def test_health_reports_not_serving_when_redis_is_unreachable(settings, start_server):
    container = build_container(settings_with(settings, redis_url=CLOSED_REDIS))
    try:
        server = await start_server(container)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            statuses = [await health_of(channel, s) for s in ("", *APP_SERVICES)]
            reply = await Stubs.of(channel).debug.HealthCheck(_health_request())
    finally:
        await container.aclose()
    assert set(statuses) == {health_pb2.HealthCheckResponse.NOT_SERVING}
    assert (reply.status, reply.components["redis"], reply.components["postgres"]) == (
        "unavailable",
        "unavailable",
        "ok",
    )


async def test_health_follows_the_dependencies_as_they_change(channel, grpc_server):
    healthy = grpc_server.reporter.servicer
    await healthy.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    # The next round of probes sets it back; on a loaded machine a round (PostgreSQL, Redis,
    # the broker) takes longer than the interval between rounds.
    for _ in range(int(5 / HEALTH_INTERVAL)):
        await asyncio.sleep(HEALTH_INTERVAL)
        if await health_of(channel, "") == health_pb2.HealthCheckResponse.SERVING:
            return
    raise AssertionError("health stayed NOT_SERVING while every dependency answered")


async def test_a_dependency_down_during_a_call_is_unavailable(settings, start_server, stubs):
    pair = await stubs.signed_in()
    container = build_container(settings_with(settings, redis_url=CLOSED_REDIS))
    try:
        server = await start_server(container)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            call = Stubs.of(channel).users.GetMe(
                users_pb2.GetMeRequest(), metadata=bearer(pair.access)
            )
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call
    finally:
        await container.aclose()
    assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
    assert caught.value.details() == UNAVAILABLE_DETAIL
    assert len(dict(caught.value.trailing_metadata())["error_id"]) == 32


async def test_shutdown_reports_not_serving_to_health_watchers(container, start_server):
    server = await start_server(container)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
        stopping = asyncio.create_task(server.stop(1.0))
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.NOT_SERVING
        await stopping


async def test_reflection_lists_the_app_services_health_and_reflection(channel):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    async for reply in stub.ServerReflectionInfo(iter([request])):
        names = {s.name for s in reply.list_services_response.service}
        break
    assert names >= {
        "app.v1.AuthService",
        "app.v1.UsersService",
        "app.v1.DebugService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }


def _reflected_get_me_types(port: int) -> tuple[type, type]:
    # The reflection database speaks the blocking API: it runs in a thread beside the server.
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
        method = pool.FindServiceByName("app.v1.UsersService").FindMethodByName("GetMe")
        return (
            message_factory.GetMessageClass(method.input_type),
            message_factory.GetMessageClass(method.output_type),
        )


async def test_a_client_built_only_from_reflection_can_call_get_me(channel, grpc_server, stubs):
    pair = await stubs.signed_in()
    request_type, reply_type = await asyncio.to_thread(_reflected_get_me_types, grpc_server.port)
    get_me = channel.unary_unary(
        "/app.v1.UsersService/GetMe",
        request_serializer=request_type.SerializeToString,
        response_deserializer=reply_type.FromString,
    )
    reply = await get_me(request_type(), metadata=bearer(pair.access))
    assert reply_type is not users_pb2.Profile
    assert (reply.uuid, reply.is_active) == (pair.user_uuid, True)


async def test_a_token_revoked_through_rest_sign_out_is_rejected_by_grpc(stubs, client):
    pair = await stubs.signed_in()
    me = await stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(pair.access))
    response = await client.post(
        "/auth/sign-out/", headers={"Authorization": f"Bearer {pair.access}"}
    )
    assert (me.uuid, response.status_code) == (pair.user_uuid, 204)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(pair.access))
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_tokens_issued_over_grpc_work_on_rest(stubs, client):
    pair = await stubs.signed_in()
    response = await client.get("/users/me/", headers={"Authorization": f"Bearer {pair.access}"})
    assert (response.status_code, response.json()["uuid"]) == (200, pair.user_uuid)


async def test_the_request_id_is_returned_and_a_bad_one_is_replaced(stubs):
    given = stubs.debug.HealthCheck(_health_request(), metadata=(("x-request-id", "abc-123"),))
    await given
    assert dict(await given.trailing_metadata())["x-request-id"] == "abc-123"
    bad = stubs.debug.HealthCheck(_health_request(), metadata=(("x-request-id", "x" * 129),))
    await bad
    replaced = dict(await bad.trailing_metadata())["x-request-id"]
    assert replaced != "x" * 129 and len(replaced) == 32


async def test_each_call_is_logged_with_its_request_id_and_status(stubs, caplog_loguru):
    await stubs.debug.HealthCheck(_health_request(), metadata=(("x-request-id", "log-ok-1"),))
    with pytest.raises(grpc.aio.AioRpcError):
        await stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=(("x-request-id", "log-401"),))
    lines = caplog_loguru.getvalue().splitlines()
    ok = [line for line in lines if "grpc /app.v1.DebugService/HealthCheck OK" in line]
    denied = [line for line in lines if "grpc /app.v1.UsersService/GetMe UNAUTHENTICATED" in line]
    assert ok and "log-ok-1" in ok[0]
    assert denied and "log-401" in denied[0]


def _health_request() -> debug_pb2.HealthCheckRequest:
    return debug_pb2.HealthCheckRequest()
