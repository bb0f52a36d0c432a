"""The probes outside /api/v1: /livez (the process serves) and /readyz (its dependencies)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from app.config.settings import LaunchMode, Settings
from app.container import Container, build_container
from app.interfaces.api.app import create_app
from tests.conftest import settings_with
from tests.logs import process_log

DOWN = {
    "redis_url": "redis://127.0.0.1:1/0",
    "db_port": 1,
    "message_broker_url": "amqp://127.0.0.1:1/",
}


@asynccontextmanager
async def client_of(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(container), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@asynccontextmanager
async def client_with(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app over its own container, closed afterwards."""
    container = build_container(settings)
    try:
        async with client_of(container) as http:
            yield http
    finally:
        await container.aclose()


async def test_livez_is_200_while_every_dependency_is_down(settings):
    async with client_with(settings_with(settings, **DOWN)) as http:
        response = await http.get("/livez")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_is_the_health_document_of_debug_health(container):
    async with client_of(container) as http:
        ready, health = await http.get("/readyz"), await http.get("/api/v1/debug/health/")
    assert ready.status_code == health.status_code == 200
    assert ready.json() == health.json()
    assert ready.json() == {
        "status": "ok",
        "components": {"postgres": "ok", "redis": "ok", "broker": "ok"},
    }


async def test_readyz_is_503_naming_the_component_that_is_down(settings):
    async with client_with(settings_with(settings, redis_url=DOWN["redis_url"])) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["components"]["redis"] == "unavailable"
    assert response.json()["components"]["postgres"] == "ok"


async def test_the_probes_are_served_in_prod_at_the_root_only(container):
    async with client_with(settings_with(container.settings, launch_mode=LaunchMode.PROD)) as http:
        live, ready = await http.get("/livez"), await http.get("/readyz")
        prefixed = await http.get("/api/v1/livez")
    assert (live.status_code, ready.status_code, prefixed.status_code) == (200, 200, 404)


async def test_successful_probes_stay_out_of_the_info_log(container, settings):
    with process_log(settings, json_lines=False, level="INFO") as log:
        async with client_of(container) as http:
            for path in ("/livez", "/readyz", "/api/v1/debug/health/"):
                assert (await http.get(path)).status_code == 200
    assert "GET /livez " not in log.text and "GET /readyz " not in log.text
    assert "GET /api/v1/debug/health/ 200 " in log.text


async def test_a_failing_readiness_probe_is_logged(settings):
    with process_log(settings, json_lines=False, level="INFO") as log:
        async with client_with(settings_with(settings, redis_url=DOWN["redis_url"])) as http:
            assert (await http.get("/readyz")).status_code == 503
    assert "GET /readyz 503 " in log.text
