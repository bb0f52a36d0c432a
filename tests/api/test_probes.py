"""The probes outside /api/v1: /livez (the process serves) and /readyz (its dependencies)."""

from __future__ import annotations

from app.config.settings import LaunchMode
from tests.conftest import asgi_client, client_on, settings_with
from tests.logs import process_log

DOWN = {
    "redis_url": "redis://127.0.0.1:1/0",
    "db_port": 1,
    "message_broker_url": "amqp://127.0.0.1:1/",
}


ROOT = "http://test"  # the probes live outside /api/v1


async def test_livez_is_200_while_every_dependency_is_down(settings):
    async with client_on(settings_with(settings, **DOWN), ROOT) as http:
        response = await http.get("/livez")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_is_the_health_document_of_debug_health(container):
    async with asgi_client(container, ROOT) as http:
        ready, health = await http.get("/readyz"), await http.get("/api/v1/debug/health/")
    assert ready.status_code == health.status_code == 200
    assert ready.json() == health.json()
    assert ready.json() == {
        "status": "ok",
        "components": {"postgres": "ok", "redis": "ok", "broker": "ok"},
    }


async def test_readyz_is_503_naming_the_component_that_is_down(settings):
    async with client_on(settings_with(settings, redis_url=DOWN["redis_url"]), ROOT) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["components"]["redis"] == "unavailable"
    assert response.json()["components"]["postgres"] == "ok"


async def test_the_probes_are_served_in_prod_at_the_root_only(container):
    async with client_on(
        settings_with(container.settings, launch_mode=LaunchMode.PROD), ROOT
    ) as http:
        live, ready = await http.get("/livez"), await http.get("/readyz")
        prefixed = await http.get("/api/v1/livez")
    assert (live.status_code, ready.status_code, prefixed.status_code) == (200, 200, 404)


async def test_successful_probes_stay_out_of_the_info_log(container, settings):
    with process_log(settings, json_lines=False, level="INFO") as log:
        async with asgi_client(container, ROOT) as http:
            for path in ("/livez", "/readyz", "/api/v1/debug/health/"):
                assert (await http.get(path)).status_code == 200
    assert "GET /livez " not in log.text and "GET /readyz " not in log.text
    assert "GET /api/v1/debug/health/ 200 " in log.text


async def test_a_failing_readiness_probe_is_logged(settings):
    with process_log(settings, json_lines=False, level="INFO") as log:
        async with client_on(settings_with(settings, redis_url=DOWN["redis_url"]), ROOT) as http:
            assert (await http.get("/readyz")).status_code == 503
    assert "GET /readyz 503 " in log.text
