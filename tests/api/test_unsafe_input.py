"""REST: text and numbers PostgreSQL or a serializer cannot take are a 422 naming the field.

JSON bodies are sent as raw text: `NaN`, `Infinity` and `1e400` are what a client can send,
whatever its own JSON library allows, and the tests must not depend on httpx's encoder.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from app.domain.storable import MAX_JSON_DEPTH
from tests.api.helpers import PASSWORD, assert_problem, bearer, signed_in, unique_email

NUL, SURROGATE = "\x00", "\ud800"
TEXT_FIELDS = ("first_name", "last_name", "street", "city", "state", "zip_code", "country")
# Each body's `meta` as JSON text, and the rule it breaks.
BAD_META = {
    "nul-in-value": '{"a": "x\\u0000y"}',
    "nul-in-key": '{"a\\u0000": 1}',
    "surrogate-in-value": '{"a": "\\ud800"}',
    "surrogate-in-key": '{"\\udfff": 1}',
    "nan": '{"a": NaN}',
    "infinity": '{"a": [1, -Infinity]}',
    "overflow": '{"a": {"b": 1e400}}',
    "huge-integer": '{"a": ' + "9" * 400 + "}",
}


def raw_json(**fields: str) -> str:
    """An object whose members are given as JSON text (so NaN and friends survive)."""
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in fields.items()) + "}"


def nested(levels: int) -> dict[str, Any]:
    """`levels` objects inside one another, the outermost counted."""
    value: dict[str, Any] = {"leaf": "x"}
    for _ in range(levels - 1):
        value = {"k": value}
    return value


async def send(
    client: httpx.AsyncClient, method: str, path: str, body: str, token: str | None = None
) -> httpx.Response:
    headers = {"content-type": "application/json"} | (bearer(token) if token else {})
    return await client.request(method, path, content=body.encode(), headers=headers)


def fields_of(problem: dict[str, Any]) -> list[str]:
    return [error["field"] for error in problem["errors"]]


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
@pytest.mark.parametrize("field", ["email", "password", "first_name", "last_name"])
async def test_sign_up_refuses_nul_and_lone_surrogates_in_every_field(client, field, bad):
    body = {"email": unique_email(), "password": PASSWORD} | {field: f"ab{bad}cdefghij"}
    if field == "email":
        body["email"] = f"a{bad}b@example.com"
    response = await send(client, "POST", "/auth/sign-up/", json.dumps(body))
    problem = assert_problem(response, 422)
    assert fields_of(problem) == [field]


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
@pytest.mark.parametrize("field", ["email", "password"])
async def test_sign_in_with_nul_or_surrogates_is_a_422_not_a_500(client, field, bad):
    body = {"email": unique_email(), "password": PASSWORD} | {field: f"a{bad}b@example.com"}
    response = await send(client, "POST", "/auth/tokens/", json.dumps(body))
    assert fields_of(assert_problem(response, 422)) == [field]


async def test_the_message_names_the_rule_readably_and_never_echoes_the_value(client):
    secret = "hunter2-secret"
    body = json.dumps({"email": unique_email(), "password": f"{secret}\x00"})
    response = await send(client, "POST", "/auth/sign-up/", body)
    problem = assert_problem(response, 422)
    assert problem["errors"] == [
        {"field": "password", "message": "must not contain NUL characters"}
    ]
    assert secret not in response.text


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
@pytest.mark.parametrize("field", [*TEXT_FIELDS, "phone"])
async def test_patch_me_refuses_nul_and_surrogates_in_every_text_field(client, field, bad):
    _, pair = await signed_in(client)
    body = json.dumps({field: f"12{bad}34"})
    response = await send(client, "PATCH", "/users/me/", body, pair["access"])
    assert fields_of(assert_problem(response, 422)) == [field]


@pytest.mark.parametrize("meta", BAD_META.values(), ids=BAD_META.keys())
async def test_patch_me_refuses_meta_that_cannot_be_stored_or_serialised(client, meta):
    _, pair = await signed_in(client)
    response = await send(client, "PATCH", "/users/me/", raw_json(meta=meta), pair["access"])
    assert fields_of(assert_problem(response, 422)) == ["meta"]
    me = await client.get("/users/me/", headers=bearer(pair["access"]))
    assert me.json()["meta"] == {}


async def test_meta_at_the_nesting_limit_is_stored_and_one_level_more_is_a_422(client):
    _, pair = await signed_in(client)
    deepest = nested(MAX_JSON_DEPTH)
    ok = await client.patch("/users/me/", json={"meta": deepest}, headers=bearer(pair["access"]))
    assert ok.status_code == 200, ok.text
    assert ok.json()["meta"] == deepest
    too_deep = {"meta": nested(MAX_JSON_DEPTH + 1)}
    refused = await client.patch("/users/me/", json=too_deep, headers=bearer(pair["access"]))
    problem = assert_problem(refused, 422)
    assert fields_of(problem) == ["meta"]
    assert str(MAX_JSON_DEPTH) in problem["errors"][0]["message"]


async def test_a_body_nested_beyond_what_the_json_parser_takes_is_a_client_error(client):
    _, pair = await signed_in(client)
    body = '{"meta": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}"
    response = await send(client, "PATCH", "/users/me/", body, pair["access"])
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("key", ["\ud800", "a\x00"])
async def test_an_unknown_key_that_is_not_valid_text_is_a_readable_422(client, key):
    _, pair = await signed_in(client)
    response = await send(client, "PATCH", "/users/me/", json.dumps({key: 1}), pair["access"])
    problem = assert_problem(response, 422)
    assert "\x00" not in response.text and len(problem["errors"]) == 1


@pytest.mark.parametrize(
    "data",
    [*BAD_META.values(), json.dumps(nested(MAX_JSON_DEPTH + 1))],
    ids=[*BAD_META.keys(), "too-deep"],
)
async def test_send_message_refuses_data_that_cannot_be_stored_or_serialised(client, data):
    _, pair = await signed_in(client)
    body = raw_json(event='"debug.echo.v1"', data=data)
    response = await send(client, "POST", "/debug/send-message/", body, pair["access"])
    assert fields_of(assert_problem(response, 422)) == ["data"]


async def test_sign_up_lists_a_bad_email_and_a_short_password_together(client):
    body = json.dumps({"email": "not-an-email", "password": "short", "first_name": "x\x00"})
    problem = assert_problem(await send(client, "POST", "/auth/sign-up/", body), 422)
    assert fields_of(problem) == ["email", "password", "first_name"]


async def test_patch_me_lists_every_bad_field_at_once(client):
    _, pair = await signed_in(client)
    body = raw_json(phone='"call me"', city=json.dumps("x" * 129), meta='{"a": "\\u0000"}')
    response = await send(client, "PATCH", "/users/me/", body, pair["access"])
    assert sorted(fields_of(assert_problem(response, 422))) == ["city", "meta", "phone"]


async def test_send_message_lists_a_bad_event_name_and_bad_data_together(client):
    _, pair = await signed_in(client)
    body = raw_json(event='"has spaces"', data='{"a": NaN}')
    response = await send(client, "POST", "/debug/send-message/", body, pair["access"])
    assert fields_of(assert_problem(response, 422)) == ["event", "data"]
