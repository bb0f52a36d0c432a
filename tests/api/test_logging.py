"""A submitted password never reaches a response body or a log line; an error_id always does."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI
from loguru import logger

from app.domain.shared import RateLimited
from app.infrastructure.logging import configure_logging
from app.interfaces.api.app import create_app
from tests.api.helpers import PASSWORD, assert_problem, bearer, unique_email
from tests.conftest import free_port, settings_with
from tests.logs import ProcessLog, process_log

JSON = {"content-type": "application/json"}


async def test_a_password_appears_in_no_response_and_no_log_line(client, caplog_loguru):
    password, email = "Pa55word-that-must-stay-secret", unique_email()
    responses = [
        await client.post("/auth/sign-up/", json={"email": email, "password": password}),
        await client.post("/auth/sign-up/", json={"email": email, "password": password}),
        await client.post("/auth/sign-up/", json={"email": "bad", "password": password}),
        await client.post("/auth/tokens/", json={"email": email, "password": password + "x"}),
        await client.post("/auth/tokens/", json={"email": email, "password": password}),
        await client.post("/auth/tokens/", json={"email": email, "password": [password]}),
    ]
    access = responses[4].json()["access"]
    responses.append(await client.get("/users/me/", headers=bearer(access)))
    assert [r.status_code for r in responses] == [201, 409, 422, 401, 200, 422, 200]
    for response in responses:
        assert password not in response.text
    assert caplog_loguru.text
    assert password not in caplog_loguru.text
    assert access not in caplog_loguru.text


def test_json_logs_are_one_object_per_line_with_the_request_id(settings, capsys):
    configure_logging(settings_with(settings, log_json=True, log_level="INFO"))
    try:
        with logger.contextualize(request_id="req-42"):
            logger.info("hello")
        line = capsys.readouterr().err.strip().splitlines()[-1]
        record = json.loads(line)["record"]
        assert (record["message"], record["extra"]["request_id"]) == ("hello", "req-42")
    finally:
        logger.remove()
        logger.add(__import__("sys").stderr, level="DEBUG")


def app_with_failures(container) -> FastAPI:
    """The real app plus test-only routes that raise what no client input can cause here."""
    app = create_app(container)
    failing = APIRouter(prefix="/failing")

    @failing.get("/rate-limited/")
    async def rate_limited() -> None:
        raise RateLimited("Too many attempts; try again later", retry_after=7)

    @failing.get("/unavailable/")
    async def unavailable() -> None:
        raise ConnectionRefusedError("10.0.0.7:5432 refused")

    @failing.get("/boom/")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.include_router(failing)
    return app


@pytest.fixture(params=[False, True], ids=["text", "json"])
def log(request, settings) -> Iterator[ProcessLog]:
    with process_log(settings, json_lines=request.param) as captured:
        yield captured


@pytest.fixture
async def http(container) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_with_failures(container), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


FAILURES = [
    ("GET", "/api/v1/nope/", {}, 404),
    ("DELETE", "/api/v1/users/me/", {}, 405),
    ("POST", "/api/v1/auth/sign-up/", {"json": {"email": "x", "password": "short"}}, 422),
    ("GET", "/api/v1/users/me/", {}, 401),
    ("POST", "/api/v1/auth/sign-up/", {"data": {"email": "a@b.io"}}, 415),
    ("POST", "/api/v1/auth/sign-up/", {"content": b"{}" * (1 << 19) + b"{}"}, 413),
    ("POST", "/api/v1/auth/tokens/", {"content": b"\xff", "headers": JSON}, 400),
    ("GET", "/failing/rate-limited/", {}, 429),
    ("GET", "/failing/unavailable/", {}, 503),
    ("GET", "/failing/boom/", {}, 500),
]


@pytest.mark.parametrize(
    ("method", "path", "send", "status"), FAILURES, ids=[str(f[3]) for f in FAILURES]
)
async def test_a_problems_error_id_is_its_request_id_and_in_its_log_lines(
    http, log, method, path, send, status
):
    response = await http.request(method, path, **send)
    body = assert_problem(response, status)
    assert body["error_id"] == response.headers["x-request-id"]
    messages = log.messages(body["error_id"])
    assert f"{status} {path}: {body['detail']}" in messages
    assert any(m.startswith(f"{method} {path} {status} ") for m in messages), messages


async def test_a_taken_email_is_a_409_whose_error_id_is_in_its_log_lines(http, log):
    sign_up = {"email": unique_email(), "password": PASSWORD}
    assert (await http.post("/api/v1/auth/sign-up/", json=sign_up)).status_code == 201
    response = await http.post("/api/v1/auth/sign-up/", json=sign_up)
    body = assert_problem(response, 409)
    assert any(" 409 " in m for m in log.messages(body["error_id"]))


async def test_the_callers_own_request_id_is_the_error_id(http, log):
    response = await http.get("/api/v1/nope/", headers={"X-Request-ID": "gateway-7f3a.1"})
    assert response.json()["error_id"] == response.headers["x-request-id"] == "gateway-7f3a.1"
    assert any(m.startswith("GET /api/v1/nope/ 404 ") for m in log.messages("gateway-7f3a.1"))


async def test_an_unexpected_error_under_uvicorn_logs_one_traceback_and_one_access_line(
    container, settings
):
    port = free_port()
    config = uvicorn.Config(
        app_with_failures(container), port=port, log_config=None, lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    with process_log(settings, json_lines=False) as log:
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:
                await asyncio.sleep(0.01)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                response = await client.get("/failing/boom/")
        finally:
            server.should_exit = True
            await serving
    assert log.text.count("Traceback (most recent call last)") == 1
    assert log.text.count("RuntimeError: secret internals") == 1
    body = assert_problem(response, 500)
    assert body["error_id"] == response.headers["x-request-id"]
    assert body["detail"] == "Internal server error" and "secret internals" not in response.text
    access = [m for m in log.messages(body["error_id"]) if m.startswith("GET /failing/boom/ ")]
    assert access == [access[0]] and access[0].startswith("GET /failing/boom/ 500 ")
