import asyncio

import pytest

from tests.api.helpers import bearer, signed_in
from tests.conftest import _admin, asgi_client, client_on, settings_with


async def test_health_is_503_naming_redis_when_redis_is_down(settings):
    async with client_on(
        settings_with(settings, redis_url="redis://127.0.0.1:1/0"), "http://test"
    ) as http:
        response = await http.get("/api/v1/debug/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["components"]["redis"] == "unavailable"
    assert body["components"]["postgres"] == "ok"


async def test_a_request_needing_a_down_dependency_is_503_not_500(settings):
    async with client_on(
        settings_with(settings, redis_url="redis://127.0.0.1:1/0"), "http://test"
    ) as http:
        response = await http.get("/api/v1/users/me/", headers={"Authorization": "Bearer x.y.z"})
        signin = await http.post(
            "/api/v1/auth/tokens/", json={"email": "a@b.io", "password": "password1"}
        )
    assert response.status_code == 401
    assert signin.status_code == 503
    assert signin.headers["content-type"] == "application/problem+json"


@pytest.fixture
def refused_role(settings):
    role = f"refused_{settings.db_name}"
    asyncio.run(_admin(settings, f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0'))
    yield role
    asyncio.run(_admin(settings, f'DROP ROLE IF EXISTS "{role}"'))


async def test_postgresql_refusing_connections_is_503_naming_it(settings, refused_role):
    async with client_on(settings_with(settings, db_user=refused_role), "http://test") as http:
        health = await http.get("/api/v1/debug/health/")
        signup = await http.post(
            "/api/v1/auth/sign-up/", json={"email": "a@b.io", "password": "password1"}
        )
    assert (health.status_code, health.json()["components"]["postgres"]) == (503, "unavailable")
    assert signup.status_code == 503
    assert signup.json()["type"] == "urn:problem:unavailable"


async def test_the_profile_read_when_postgresql_refuses_connections_is_503_not_500(
    container, refused_role
):
    # GET /users/me/ reads below the ORM, on a pooled driver connection: a server that is full
    # ("too many clients") or refuses the role must still answer as an outage there.
    async with asgi_client(container) as http:
        _, tokens = await signed_in(http)
    refused = settings_with(container.settings, db_user=refused_role)
    async with client_on(refused) as http:
        me = await http.get("/users/me/", headers=bearer(tokens["access"]))
    assert me.status_code == 503, me.text
    assert me.json()["type"] == "urn:problem:unavailable"
