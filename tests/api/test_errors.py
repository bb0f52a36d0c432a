"""Every REST error of SPEC §3 is a problem document; nothing a client sends is a 500."""

import httpx
import pytest
from fastapi import APIRouter

from app.container import build_container
from app.domain.shared import NotFoundError
from app.interfaces.api.app import create_app
from tests.api.helpers import PASSWORD, assert_problem, bearer, signed_in, unique_email
from tests.conftest import settings_with


async def test_unknown_route_is_a_404_problem(client):
    body = assert_problem(await client.get("/nope/"), 404)
    assert body["instance"] == "/api/v1/nope/"


async def test_wrong_method_is_a_405_problem(client):
    assert_problem(await client.delete("/users/me/"), 405)


async def test_a_405_allows_every_method_the_path_serves(client):
    response = await client.options("/users/me/")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, PATCH"


async def test_malformed_json_is_a_422_problem(client):
    response = await client.post(
        "/auth/sign-up/", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert_problem(response, 422)


async def test_a_json_array_body_is_a_422_problem(client):
    assert_problem(await client.post("/auth/sign-up/", json=[1, 2]), 422)


async def test_a_form_encoded_body_is_a_415_problem(client):
    response = await client.post("/auth/sign-up/", data={"email": "a@b.io", "password": PASSWORD})
    assert_problem(response, 415)


async def test_a_body_over_one_mebibyte_is_a_413_problem(client):
    huge = b'{"email": "' + b"a" * (1 << 20) + b'"}'
    response = await client.post(
        "/auth/sign-up/", content=huge, headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)


async def test_a_streamed_body_over_one_mebibyte_is_a_413_problem(client):
    async def chunks():
        for _ in range(20):
            yield b"x" * 65536

    response = await client.post(
        "/auth/sign-up/", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)


async def test_validation_errors_never_echo_the_submitted_password(client):
    secret = "hunter2-but-longer-" + "z" * 300
    response = await client.post("/auth/sign-up/", json={"email": "x", "password": secret})
    body = assert_problem(response, 422)
    assert secret not in response.text and "hunter2" not in response.text
    assert {e["field"] for e in body["errors"]} == {"email", "password"}  # every bad field


async def test_a_wrong_type_is_a_422_not_a_500(client):
    response = await client.post("/auth/tokens/", json={"email": ["a"], "password": {"x": 1}})
    body = assert_problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {"email", "password"}


async def test_an_unexpected_exception_is_a_generic_500_with_an_error_id(container, caplog_loguru):
    app = create_app(container)
    boom = APIRouter()

    @boom.get("/boom/")
    async def explode() -> None:
        raise RuntimeError("secret internals")

    @boom.get("/missing/")
    async def missing() -> None:
        raise NotFoundError("No such thing")

    app.include_router(boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/boom/")
        not_found = await http.get("/missing/")
    body = assert_problem(response, 500)
    assert body["detail"] == "Internal server error"
    assert "secret internals" not in response.text and "traceback" not in body
    assert body["error_id"] in caplog_loguru.text
    assert "RuntimeError: secret internals" in caplog_loguru.text
    assert assert_problem(not_found, 404)["detail"] == "No such thing"


async def test_with_debug_on_a_500_carries_its_traceback(settings):
    debugging = build_container(settings_with(settings, debug=True))
    app = create_app(debugging)
    boom = APIRouter()

    @boom.get("/boom/")
    async def explode() -> None:
        raise RuntimeError("shown while debugging")

    app.include_router(boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            body = assert_problem(await http.get("/boom/"), 500)
    finally:
        await debugging.aclose()
    assert "RuntimeError: shown while debugging\n" in body["traceback"]


async def test_request_id_is_taken_or_made_and_returned(client):
    given = await client.get("/debug/health/", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/debug/health/", headers={"X-Request-ID": "bad id\twith tab"})
    assert len(made.headers["x-request-id"]) == 32


@pytest.mark.parametrize("path", ["/auth/sign-up/", "/auth/tokens/"])
async def test_empty_body_is_a_422_problem(client, path):
    response = await client.post(path, headers={"content-type": "application/json"})
    assert_problem(response, 422)


async def test_sign_up_of_a_unique_email_still_works_after_all_that(client):
    response = await client.post(
        "/auth/sign-up/", json={"email": unique_email(), "password": PASSWORD}
    )
    assert response.status_code == 201


# What schemathesis found: the schema said one thing, the service did another.


async def test_a_null_meta_is_a_422_and_the_profile_stays_readable(client):
    _, tokens = await signed_in(client)
    auth = bearer(tokens["access"])
    body = assert_problem(await client.patch("/users/me/", json={"meta": None}, headers=auth), 422)
    assert [e["field"] for e in body["errors"]] == ["meta"]
    assert (await client.get("/users/me/", headers=auth)).json()["meta"] == {}


@pytest.mark.parametrize("birthday", ["20000101", "2000-W01-1", "2000-01-01T00:00:00", 0])
async def test_a_birthday_not_written_yyyy_mm_dd_is_a_422(client, birthday):
    _, tokens = await signed_in(client)
    response = await client.patch(
        "/users/me/", json={"birthday": birthday}, headers=bearer(tokens["access"])
    )
    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == ["birthday"]


@pytest.mark.parametrize(
    "message",
    [
        {"event": "debug.echo.v1\n", "data": {}},
        {"event": "debug.echo.v1", "data": {}, "occurred_at": 0},
    ],
    ids=["event-with-a-newline", "occurred-at-a-number"],
)
async def test_a_message_the_schema_refuses_is_a_422(client, message):
    _, tokens = await signed_in(client)
    response = await client.post(
        "/debug/send-message/", json=message, headers=bearer(tokens["access"])
    )
    assert_problem(response, 422)
