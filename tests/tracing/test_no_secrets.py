"""Traced REST and gRPC processes export no password, token or email, whatever their spans
record."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import httpx

from app.interfaces.grpc.pb import auth_pb2, auth_pb2_grpc, users_pb2, users_pb2_grpc
from tests.conftest import app_process, free_port
from tests.grpc.test_process import wait_serving
from tests.tracing.conftest import traced_env, wait_until_serving
from tests.tracing.receiver import Span, http_receiver

_REQUESTS = 6  # what _sign_up_sign_in_and_read_me sends
_UNTRACED = ("/livez", "/readyz", "/api/v1/debug/health/", "/metrics")


async def test_spans_of_sign_up_sign_in_and_me_hold_no_email_password_or_token(container):
    settings = container.settings
    email = f"Secret.{uuid.uuid4().hex[:12]}@Example.com"
    password = f"pw-{uuid.uuid4().hex}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with http_receiver() as (endpoint, received):
        async with app_process(
            settings,
            "api",
            "--port",
            str(port),
            "--workers",
            "1",
            LOG_LEVEL="WARNING",
            **traced_env(endpoint),
        ) as api:
            await wait_until_serving(url, api)
            async with httpx.AsyncClient(base_url=url) as http:
                for probe in _UNTRACED:  # polled all day long: no spans, not even their queries
                    assert (await http.get(probe)).status_code == 200
            async with httpx.AsyncClient(base_url=f"{url}/api/v1") as http:
                tokens = await _sign_up_sign_in_and_read_me(http, email, password)
            spans = await asyncio.to_thread(received.wait_for, _all_served)
    assert not [s.name for s in spans if s.kind == "server" and s.name.endswith(_UNTRACED)]
    assert not [s.name for s in spans if not s.parent_id and s.kind != "server"]
    kinds = {(s.kind, s.attributes.get("db.system")) for s in spans}
    # The check means something only if the database and Redis calls were traced too.
    assert {("client", "postgresql"), ("client", "redis")} <= kinds, kinds
    exported = received.text
    secrets = [email, email.lower(), password, *tokens, *(t.rsplit(".", 1)[1] for t in tokens)]
    leaked = [secret for secret in secrets if secret in exported]
    assert leaked == []


async def _sign_up_sign_in_and_read_me(
    http: httpx.AsyncClient, email: str, password: str
) -> list[str]:
    credentials = {"email": email, "password": password}
    assert (await http.post("/auth/sign-up/", json=credentials)).status_code == 201
    assert (await http.post("/auth/sign-up/", json=credentials)).status_code == 409
    wrong = {"email": email, "password": password + "-wrong"}
    assert (await http.post("/auth/tokens/", json=wrong)).status_code == 401
    pair = (await http.post("/auth/tokens/", json=credentials)).json()
    access, refresh = pair["access"], pair["refresh"]
    # A token in the query string too: clients do put them there.
    me = await http.get(
        "/users/me/", params={"access_token": access}, headers={"Authorization": f"Bearer {access}"}
    )
    assert me.status_code == 200
    renewed = await http.post(
        "/auth/tokens/refresh/", headers={"Authorization": f"Bearer {refresh}"}
    )
    assert renewed.status_code == 200
    return [access, refresh, renewed.json()["access"], renewed.json()["refresh"]]


def _all_served(spans: list[Span]) -> bool:
    return sum(1 for s in spans if s.kind == "server") >= _REQUESTS


async def test_grpc_calls_are_traced_without_their_secrets_and_health_checks_are_not(container):
    email, password = f"grpc-{uuid.uuid4().hex[:12]}@example.com", f"pw-{uuid.uuid4().hex}"
    port = free_port()
    with http_receiver() as (endpoint, received):
        async with app_process(
            container.settings,
            "grpc",
            "--port",
            str(port),
            LOG_LEVEL="WARNING",
            **traced_env(endpoint),
        ):
            await wait_serving(port)  # health checks, until the server answers
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                access = await _sign_up_sign_in_and_get_me(channel, email, password)
            spans = await asyncio.to_thread(
                received.wait_for, lambda spans: _names(spans) >= set(_GRPC_CALLS)
            )
    assert not any("grpc.health" in span.name for span in spans)
    secrets = [email, password, access, access.rsplit(".", 1)[1]]
    assert [secret for secret in secrets if secret in received.text] == []


_GRPC_CALLS = (
    "/app.v1.AuthService/SignUp",
    "/app.v1.AuthService/IssueTokens",
    "/app.v1.UsersService/GetMe",
)


async def _sign_up_sign_in_and_get_me(channel: grpc.aio.Channel, email: str, password: str) -> str:
    auth = auth_pb2_grpc.AuthServiceStub(channel)
    users = users_pb2_grpc.UsersServiceStub(channel)
    await auth.SignUp(auth_pb2.SignUpRequest(email=email, password=password))
    pair = await auth.IssueTokens(auth_pb2.IssueTokensRequest(email=email, password=password))
    await users.GetMe(
        users_pb2.GetMeRequest(), metadata=(("authorization", f"Bearer {pair.access}"),)
    )
    return str(pair.access)


def _names(spans: list[Span]) -> set[str]:
    return {span.name for span in spans if span.kind == "server"}
