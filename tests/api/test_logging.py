"""A submitted password never reaches a response body or a log line."""

import json

from loguru import logger

from app.infrastructure.logging import configure_logging
from tests.api.helpers import bearer, unique_email
from tests.conftest import settings_with


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
