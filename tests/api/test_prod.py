"""In PROD the REST API has no debug surface: POST /debug/send-message/ does not exist."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from app.config.settings import LaunchMode
from app.container import Container
from tests.api.helpers import assert_problem, bearer, signed_in
from tests.conftest import client_on, settings_with


@pytest.fixture
async def prod_client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """The app over a PROD container on the run's database (emptied by `container`)."""
    async with client_on(settings_with(container.settings, launch_mode=LaunchMode.PROD)) as http:
        yield http


async def _outbox_rows(container: Container) -> int:
    async with container.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM outbox"))).scalar_one())


async def test_send_message_is_404_in_prod_and_writes_no_outbox_row(prod_client, container):
    _, tokens = await signed_in(prod_client)
    before = await _outbox_rows(container)
    response = await prod_client.post(
        "/debug/send-message/",
        json={"event": "users.registered.v1", "data": {"email": "someone-else@example.com"}},
        headers=bearer(tokens["access"]),
    )
    assert_problem(response, 404)
    assert await _outbox_rows(container) == before


async def test_health_is_still_served_in_prod(prod_client):
    response = await prod_client.get("/debug/health/")
    assert (response.status_code, response.json()["status"]) == (200, "ok")
