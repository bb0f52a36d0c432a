"""REST metrics: requests by route template, method and status class; latency; in flight."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from app.interfaces.api.app import create_app
from tests.conftest import asgi_client
from tests.metrics.helpers import total, value

ME = "/api/v1/users/me/"


async def test_requests_are_counted_by_route_template_method_and_status_class(container):
    labels = {"route": ME, "method": "GET"}
    before = value("app_http_requests_total", **labels, status="4xx")
    timed = value("app_http_request_duration_seconds_count", **labels)
    async with asgi_client(container, "http://test") as http:
        assert (await http.get(ME)).status_code == 401
        assert (await http.get(ME)).status_code == 401
    assert value("app_http_requests_total", **labels, status="4xx") == before + 2
    assert value("app_http_request_duration_seconds_count", **labels) == timed + 2


async def test_a_path_no_route_takes_counts_as_unmatched_never_as_itself(container):
    probe = f"/api/v1/{uuid.uuid4().hex}/"
    labels = {"route": "unmatched", "method": "GET", "status": "4xx"}
    before = value("app_http_requests_total", **labels)
    async with asgi_client(container, "http://test") as http:
        assert (await http.get(probe)).status_code == 404
        exposition = (await http.get("/metrics")).text
    assert value("app_http_requests_total", **labels) == before + 1
    assert probe not in exposition


async def test_a_method_outside_http_s_own_counts_as_other(container):
    labels = {"route": "unmatched", "method": "other", "status": "4xx"}
    before = value("app_http_requests_total", **labels)
    async with asgi_client(container, "http://test") as http:
        await http.request("BREW", f"/{uuid.uuid4().hex}")
    assert value("app_http_requests_total", **labels) == before + 1


async def test_an_unhandled_exception_counts_as_a_5xx_of_its_route(container):
    app = create_app(container)

    async def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom/{item}", boom)
    labels = {"route": "/boom/{item}", "method": "GET", "status": "5xx"}
    before = value("app_http_requests_total", **labels)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get("/boom/1")).status_code == 500
        assert (await http.get("/boom/2")).status_code == 500
    assert value("app_http_requests_total", **labels) == before + 2


async def test_requests_in_flight_counts_the_requests_being_answered(container):
    app = create_app(container)
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow() -> dict[str, str]:
        entered.set()
        await release.wait()
        return {}

    app.add_api_route("/slow", slow)
    idle = value("app_http_requests_in_flight")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        request = asyncio.create_task(http.get("/slow"))
        await entered.wait()
        assert value("app_http_requests_in_flight") == idle + 1
        release.set()
        assert (await request).status_code == 200
    assert value("app_http_requests_in_flight") == idle


async def test_metrics_is_served_at_the_root_outside_the_api_and_its_schema(container):
    async with asgi_client(container, "http://test") as http:
        await http.get(ME)
        scrape = await http.get("/metrics")
        schema = (await http.get("/openapi.json")).json()
        prefixed = await http.get("/api/v1/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    assert total(scrape.text, "app_http_requests_total", route=ME) >= 1
    assert "/metrics" not in schema["paths"]
    assert prefixed.status_code == 404


async def test_metrics_speaks_openmetrics_to_a_scraper_that_asks(container):
    accept = "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"
    async with asgi_client(container, "http://test") as http:
        scrape = await http.get("/metrics", headers={"accept": accept})
    assert scrape.headers["content-type"].startswith("application/openmetrics-text")
    assert scrape.text.rstrip().endswith("# EOF")


async def test_scrapes_are_logged_at_debug_only_like_the_probes(container, log_lines):
    async with asgi_client(container, "http://test") as http:
        await http.get("/metrics")
    lines = [line for line in log_lines.getvalue().splitlines() if "GET /metrics 200" in line]
    assert lines
    assert all(line.startswith("DEBUG") for line in lines)
