"""Small HTTP helpers shared by the API tests."""

from __future__ import annotations

import uuid

import httpx

PASSWORD = "correct horse battery"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


async def sign_up(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict:
    response = await client.post("/auth/sign-up/", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return response.json()


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict:
    response = await client.post("/auth/tokens/", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def signed_in(client: httpx.AsyncClient) -> tuple[str, dict]:
    email = unique_email()
    await sign_up(client, email)
    return email, await sign_in(client, email)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:problem:")
    assert set(body) >= {"type", "title", "status", "detail", "instance", "error_id", "errors"}
    assert len(body["error_id"]) == 32
    return body
