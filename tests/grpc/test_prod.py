"""In PROD the gRPC server has no debug surface: SendMessage is not served nor described."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest
from google.protobuf import descriptor_pool
from google.protobuf.struct_pb2 import Struct
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from sqlalchemy import text

from app.config.settings import LaunchMode
from app.container import Container, build_container
from app.interfaces.grpc.pb import debug_pb2
from app.interfaces.grpc.server import GrpcServer, create_server
from tests.conftest import settings_with
from tests.grpc.conftest import HEALTH_INTERVAL, Stubs, bearer


@pytest.fixture
async def prod_server(container: Container) -> AsyncIterator[GrpcServer]:
    """A server over a PROD container on the run's database (emptied by `container`)."""
    prod = build_container(settings_with(container.settings, launch_mode=LaunchMode.PROD))
    server = create_server(prod, port=0, health_interval=HEALTH_INTERVAL)
    try:
        await server.start()
        yield server
    finally:
        await server.stop(None)  # before the container it uses is closed
        await prod.aclose()


@pytest.fixture
async def prod_stubs(prod_server: GrpcServer) -> AsyncIterator[Stubs]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{prod_server.port}") as channel:
        yield Stubs.of(channel)


async def _outbox_rows(container: Container) -> int:
    async with container.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM outbox"))).scalar_one())


async def test_send_message_is_unimplemented_in_prod_and_writes_no_outbox_row(
    prod_stubs, container
):
    pair = await prod_stubs.signed_in()
    before = await _outbox_rows(container)
    data = Struct()
    data.update({"user_uuid": pair.user_uuid, "email": "someone-else@example.com"})
    request = debug_pb2.SendMessageRequest(event="users.registered.v1", data=data)
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await prod_stubs.debug.SendMessage(request, metadata=bearer(pair.access))
    assert failed.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert await _outbox_rows(container) == before


async def test_send_message_is_unimplemented_in_prod_without_a_token_too(prod_stubs):
    request = debug_pb2.SendMessageRequest(event="debug.echo.v1")
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await prod_stubs.debug.SendMessage(request)
    assert failed.value.code() is grpc.StatusCode.UNIMPLEMENTED


async def test_the_health_check_rpc_is_still_served_in_prod(prod_stubs):
    reply = await prod_stubs.debug.HealthCheck(debug_pb2.HealthCheckRequest())
    assert reply.status == "ok"


def _reflected_debug_methods(port: int) -> set[str]:
    # The reflection database speaks the blocking API: it runs in a thread beside the server.
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
        return {m.name for m in pool.FindServiceByName("app.v1.DebugService").methods}


async def test_reflection_in_prod_describes_health_check_but_not_send_message(prod_server):
    methods = await asyncio.to_thread(_reflected_debug_methods, prod_server.port)
    assert methods == {"HealthCheck"}


async def test_reflection_outside_prod_describes_send_message(grpc_server):
    methods = await asyncio.to_thread(_reflected_debug_methods, grpc_server.port)
    assert methods == {"HealthCheck", "SendMessage"}
