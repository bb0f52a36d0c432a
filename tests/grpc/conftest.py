"""A gRPC server on a free loopback port, in-process, over the real container."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass

import grpc
import pytest
from loguru import logger

from app.container import Container
from app.interfaces.grpc.pb import (
    auth_pb2,
    auth_pb2_grpc,
    debug_pb2_grpc,
    users_pb2_grpc,
)
from app.interfaces.grpc.server import GrpcServer, create_server

PASSWORD = "correct horse battery"
HEALTH_INTERVAL = 0.05


@dataclass
class Stubs:
    channel: grpc.aio.Channel
    auth: auth_pb2_grpc.AuthServiceStub
    users: users_pb2_grpc.UsersServiceStub
    debug: debug_pb2_grpc.DebugServiceStub

    @classmethod
    def of(cls, channel: grpc.aio.Channel) -> Stubs:
        return cls(
            channel,
            auth_pb2_grpc.AuthServiceStub(channel),
            users_pb2_grpc.UsersServiceStub(channel),
            debug_pb2_grpc.DebugServiceStub(channel),
        )

    async def signed_in(self, email: str | None = None) -> auth_pb2.TokenPair:
        """A new account's token pair."""
        email = email or unique_email()
        await self.auth.SignUp(auth_pb2.SignUpRequest(email=email, password=PASSWORD))
        return await self.auth.IssueTokens(
            auth_pb2.IssueTokensRequest(email=email, password=PASSWORD)
        )


def unique_email() -> str:
    return f"grpc-{uuid.uuid4().hex[:12]}@example.com"


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


ServerFactory = Callable[[Container], Awaitable[GrpcServer]]


@pytest.fixture
async def start_server() -> AsyncIterator[ServerFactory]:
    """Starts servers on free ports for the test; stops them all afterwards."""
    started: list[GrpcServer] = []

    async def start(container: Container) -> GrpcServer:
        server = create_server(container, port=0, health_interval=HEALTH_INTERVAL)
        await server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        await server.stop(None)


@pytest.fixture
async def grpc_server(container: Container, start_server: ServerFactory) -> GrpcServer:
    return await start_server(container)


@pytest.fixture
async def channel(grpc_server: GrpcServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_server.port}") as opened:
        yield opened


@pytest.fixture
def stubs(channel: grpc.aio.Channel) -> Stubs:
    return Stubs.of(channel)


@pytest.fixture
def caplog_loguru() -> Iterator[io.StringIO]:
    """Everything loguru writes during the test, with the bound request id."""
    buffer = io.StringIO()
    sink = logger.add(buffer, level="DEBUG", format="{message} | {extra}", diagnose=False)
    yield buffer
    logger.remove(sink)
