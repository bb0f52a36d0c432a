import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from app.infrastructure.security import usable_cpus
from tests.api.helpers import PASSWORD, assert_problem, bearer, sign_in, sign_up, unique_email
from tests.conftest import client_on, settings_with


async def test_sign_up_answers_201_with_the_public_fields_only(client):
    email = unique_email()
    response = await client.post(
        "/auth/sign-up/",
        json={"email": f"  {email.upper()} ", "password": PASSWORD, "first_name": "Ada"},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"uuid", "email", "first_name", "last_name", "created_at"}
    assert (body["email"], body["first_name"], body["last_name"]) == (email, "Ada", None)


async def test_sign_up_with_a_taken_email_in_another_case_is_409(client):
    email = unique_email()
    await sign_up(client, email)
    response = await client.post(
        "/auth/sign-up/", json={"email": email.upper(), "password": PASSWORD}
    )
    assert_problem(response, 409)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "short"}, "password"),
        ({"email": "a@example.com", "password": "x" * 257}, "password"),
        ({"email": "a@example.com"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "first_name": "x" * 129}, "first_name"),
        ({"email": "a@example.com", "password": PASSWORD, "is_admin": True}, "is_admin"),
        ({"email": 5, "password": PASSWORD}, "email"),
    ],
)
async def test_sign_up_rejects_bad_input_with_a_422_naming_the_field(client, body, field):
    problem = assert_problem(await client.post("/auth/sign-up/", json=body), 422)
    assert field in [e["field"] for e in problem["errors"]]


async def test_eight_concurrent_sign_ups_of_one_email_give_one_201_and_seven_409(client):
    email = unique_email()
    responses = await asyncio.gather(
        *(
            client.post("/auth/sign-up/", json={"email": email, "password": PASSWORD})
            for _ in range(8)
        )
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 7


async def test_a_100_emoji_password_works_and_every_character_counts(client):
    email, password = unique_email(), "🔐" * 100
    await sign_up(client, email, password)
    assert (await sign_in(client, email, password))["access"]
    near_miss = "🔐" * 99 + "🔑"
    response = await client.post("/auth/tokens/", json={"email": email, "password": near_miss})
    assert_problem(response, 401)


async def test_sign_in_returns_the_token_pair_shape(client):
    email = unique_email()
    user = await sign_up(client, email)
    pair = await sign_in(client, email)
    assert set(pair) == {"user_data", "access", "refresh", "token_type", "expires_in"}
    assert pair["user_data"] == {"uuid": user["uuid"]}
    assert (pair["token_type"], pair["expires_in"]) == ("bearer", 300)


async def test_unknown_email_and_wrong_password_get_the_same_401(client):
    email = unique_email()
    await sign_up(client, email)
    wrong = await client.post("/auth/tokens/", json={"email": email, "password": "wrong password"})
    unknown = await client.post(
        "/auth/tokens/", json={"email": unique_email(), "password": PASSWORD}
    )
    bodies = [assert_problem(r, 401) for r in (wrong, unknown)]
    for body in bodies:
        del body["error_id"]
    assert bodies[0] == bodies[1]
    assert wrong.headers["www-authenticate"] == "Bearer"


async def test_an_inactive_account_gets_403(client, container):
    email = unique_email()
    user = await sign_up(client, email)
    async with container.uow() as uow:
        from uuid import UUID

        account = await uow.users.get(UUID(user["uuid"]))
        account.deactivate(container.users._clock.now())
        await uow.commit()
    response = await client.post("/auth/tokens/", json={"email": email, "password": PASSWORD})
    assert_problem(response, 403)


@asynccontextmanager
async def client_with(settings, **changes) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app built on the run's settings with some values changed, counting its
    attempts under a Redis prefix of its own (every test client comes from 127.0.0.1)."""
    prefix = f"{settings.redis_key_prefix}{uuid.uuid4().hex[:8]}:"
    async with client_on(settings_with(settings, redis_key_prefix=prefix, **changes)) as http:
        yield http


@pytest.fixture
async def strict_client(settings):
    async with client_with(
        settings, sign_in_attempts_per_minute=3, sign_up_attempts_per_minute=3
    ) as http:
        yield http


async def test_sign_in_over_the_limit_per_email_is_429_with_retry_after(strict_client):
    email = unique_email()
    await sign_up(strict_client, email)
    for _ in range(3):
        await strict_client.post(
            "/auth/tokens/", json={"email": email, "password": "wrong password"}
        )
    response = await strict_client.post(
        "/auth/tokens/", json={"email": email, "password": PASSWORD}
    )
    assert_problem(response, 429)
    assert 1 <= int(response.headers["retry-after"]) <= 60


async def test_sign_in_over_the_limit_per_client_address_is_429(strict_client):
    for _ in range(3):
        await strict_client.post(
            "/auth/tokens/", json={"email": unique_email(), "password": PASSWORD}
        )
    response = await strict_client.post(
        "/auth/tokens/", json={"email": unique_email(), "password": PASSWORD}
    )
    assert_problem(response, 429)


async def test_sign_up_over_the_limit_per_client_address_is_429_with_retry_after(strict_client):
    for _ in range(3):
        await sign_up(strict_client, unique_email())
    response = await strict_client.post(
        "/auth/sign-up/", json={"email": unique_email(), "password": PASSWORD}
    )
    assert_problem(response, 429)
    assert 1 <= int(response.headers["retry-after"]) <= 60


async def test_a_sign_up_burst_past_the_hash_queue_gets_503_with_retry_after_and_no_wait(
    settings,
):
    # Cost 12 takes ~0.25 s a hash: the burst arrives while the pool (one thread per CPU) and
    # the one waiting place are busy, so the rest are refused instead of queued.
    burst = usable_cpus() + 1 + 6
    async with client_with(settings, password_hash_rounds=12, password_hash_queue_limit=1) as http:
        responses = await asyncio.gather(
            *(
                http.post("/auth/sign-up/", json={"email": unique_email(), "password": PASSWORD})
                for _ in range(burst)
            )
        )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) == {201, 503}, statuses
    assert statuses.count(201) >= 1
    for response in responses:
        if response.status_code == 503:
            assert_problem(response, 503)
            assert int(response.headers["retry-after"]) >= 1


async def test_sign_out_answers_204_without_a_body(client):
    email = unique_email()
    await sign_up(client, email)
    pair = await sign_in(client, email)
    response = await client.post("/auth/sign-out/", headers=bearer(pair["access"]))
    assert (response.status_code, response.content) == (204, b"")
