"""The production wiring with fakes plugged in: REST and gRPC edges without PostgreSQL or Redis.

`build_container(settings, uow=..., hasher=..., ...)` replaces adapters and keeps every service,
route, interceptor and error table real. The fake unit of work and its stores are held to the
SQL ones by tests/infrastructure/test_unit_of_work_contract.py; the session, limit and hashing
fakes are plain dictionaries and counters, and their real adapters have tests of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import httpx
import pytest

from app.application.auth import AttemptLimits
from app.config.settings import Settings
from app.container import Container, build_container
from app.interfaces.grpc.pb import auth_pb2, users_pb2
from app.interfaces.grpc.server import create_server
from tests.conftest import asgi_client
from tests.fakes import (
    FakeDatabase,
    FakeHasher,
    FakeLimiter,
    FakeProfiles,
    FakeSessions,
    FixedClock,
)
from tests.grpc.conftest import Stubs, bearer

PASSWORD = "long-enough-password"


@dataclass
class Fakes:
    db: FakeDatabase
    sessions: FakeSessions
    container: Container


@pytest.fixture
async def fakes(base_settings: Settings) -> AsyncIterator[Fakes]:
    db, clock = FakeDatabase(), FixedClock()
    sessions = FakeSessions(clock)
    container = build_container(
        base_settings,
        uow=db.uow,
        hasher=FakeHasher(),
        sessions=sessions,
        limits=AttemptLimits(
            sign_in=FakeLimiter(100), sign_up=FakeLimiter(100), password_reset=FakeLimiter(100)
        ),
        profiles=FakeProfiles(db),
        clock=clock,
    )
    yield Fakes(db, sessions, container)
    await container.aclose()


@pytest.fixture
async def http(fakes: Fakes) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(fakes.container) as client:
        yield client


async def test_rest_sign_up_sign_in_profile_and_sign_out_run_on_the_fakes(fakes, http):
    created = await http.post(
        "/auth/sign-up/", json={"email": "Ada@Example.com", "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    tokens = await http.post(
        "/auth/tokens/", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert tokens.status_code == 200, tokens.text
    auth = {"Authorization": f"Bearer {tokens.json()['access']}"}
    patched = await http.patch("/users/me/", json={"city": "London"}, headers=auth)
    assert patched.status_code == 200, patched.text
    assert (await http.get("/users/me/", headers=auth)).json()["city"] == "London"
    assert (await http.post("/auth/sign-out/", headers=auth)).status_code == 204
    assert (await http.get("/users/me/", headers=auth)).status_code == 401
    assert [event.name for event in fakes.db.events] == [
        "users.registered.v1",
        "users.profile_updated.v1",
    ]
    assert fakes.sessions.live == {}


async def test_rest_errors_go_through_the_real_error_table_on_the_fakes(http):
    body = {"email": "ada@example.com", "password": PASSWORD}
    assert (await http.post("/auth/sign-up/", json=body)).status_code == 201
    taken = await http.post("/auth/sign-up/", json=body | {"email": "ADA@example.com"})
    assert (taken.status_code, taken.headers["content-type"]) == (409, "application/problem+json")
    wrong = await http.post("/auth/tokens/", json=body | {"password": "wrong password"})
    assert wrong.status_code == 401


async def test_grpc_sign_up_and_get_me_run_on_the_fakes(fakes):
    server = create_server(fakes.container, port=0)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stubs = Stubs.of(channel)
            await stubs.auth.SignUp(
                auth_pb2.SignUpRequest(email="ada@example.com", password=PASSWORD)
            )
            pair = await stubs.auth.IssueTokens(
                auth_pb2.IssueTokensRequest(email="ada@example.com", password=PASSWORD)
            )
            me = await stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(pair.access))
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer("not-a-token"))
    finally:
        await server.stop(None)
    assert me.email == "ada@example.com"
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert len(fakes.db.users) == 1
