"""Swagger UI and ReDoc in headless Chromium: they render from the service's own assets, no CDN."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, Route, async_playwright, expect

from app.interfaces.api.app import create_app
from tests.api.helpers import PASSWORD, unique_email
from tests.conftest import app_process, free_port, settings_with

CHROMIUM = Path("/usr/bin/chromium")  # Debian's: Playwright never downloads a browser here
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 10_000
LOCAL_HOST = "127.0.0.1"
DOC_PREFIXES = ("/docs", "/redoc")


async def _wait_until_serving(url: str) -> None:
    deadline = time.monotonic() + 60  # a loaded CI machine starts it slowly
    async with httpx.AsyncClient(base_url=url, timeout=1) as http:
        while True:
            try:
                await http.get("/openapi.json")
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)  # polling the port while the process starts


@pytest.fixture
async def api_url(settings) -> AsyncIterator[str]:
    """The real `app api` process (docs on, as outside PROD) on a free port."""
    port = free_port()
    async with app_process(settings, "api", "--port", str(port), LOG_LEVEL="WARNING"):
        url = f"http://{LOCAL_HOST}:{port}"
        await _wait_until_serving(url)
        yield url


@pytest.fixture
async def browser(tmp_path) -> AsyncIterator[tuple[BrowserContext, list[str]]]:
    """Chromium with a fresh profile, and every URL it asks for; other hosts are cut off."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash local_prepare.sh` as root")
    requested: list[str] = []

    async def firewall(route: Route) -> None:  # as behind a firewall: only the service answers
        requested.append(route.request.url)
        if urlsplit(route.request.url).hostname == LOCAL_HOST:
            await route.continue_()
        else:
            await route.abort()

    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / "profile",
            executable_path=CHROMIUM,
            args=CHROMIUM_FLAGS,
            headless=True,
        )
        context.set_default_timeout(WAIT_MS)
        expect.set_options(timeout=WAIT_MS)
        await context.route("**/*", firewall)
        try:
            yield context, requested
        finally:
            await context.close()


async def _schema(api_url: str) -> dict:
    async with httpx.AsyncClient(base_url=api_url) as http:
        return (await http.get("/openapi.json")).json()


def _other_hosts(urls: list[str]) -> list[str]:
    return [url for url in urls if urlsplit(url).hostname != LOCAL_HOST]


def _operations(schema: dict) -> list[tuple[str, str, str]]:
    """(METHOD, path, operationId) of every operation the document declares."""
    return sorted(
        (method.upper(), path, operation["operationId"])
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    )


async def _open(page: Page, url: str) -> None:
    response = await page.goto(url, wait_until="load")
    assert response is not None and response.status == 200


def _operation_block(page: Page, method: str, path: str):
    path_cell = page.locator(f'.opblock-summary-path[data-path="{path}"]')
    return page.locator(f".opblock-{method.lower()}", has=path_cell)


async def _signed_in(api_url: str) -> tuple[str, str]:
    email = unique_email("swagger")
    async with httpx.AsyncClient(base_url=f"{api_url}/api/v1") as http:
        credentials = {"email": email, "password": PASSWORD}
        assert (await http.post("/auth/sign-up/", json=credentials)).status_code == 201
        tokens = await http.post("/auth/tokens/", json=credentials)
    assert tokens.status_code == 200, tokens.text
    return email, tokens.json()["access"]


async def _authorize(page: Page, token: str) -> None:
    await page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".modal-ux")
    await dialog.locator('input[aria-label="auth-bearer-value"]').fill(token)
    await dialog.locator('button.authorize[type="submit"]').click()
    await expect(dialog.get_by_role("heading", name="Authorized")).to_be_visible()
    await dialog.get_by_role("button", name="Close").click()
    await expect(page.locator(".auth-wrapper button.authorize.locked")).to_be_visible()


@pytest.mark.slow
async def test_swagger_ui_renders_every_operation_offline_and_authorize_works(api_url, browser):
    context, requested = browser
    schema = await _schema(api_url)
    page = await context.new_page()
    await _open(page, f"{api_url}/docs")
    assert _other_hosts(requested) == []

    await expect(page.locator(".opblock").first).to_be_visible()
    rendered = await page.locator(".opblock").evaluate_all(
        """blocks => blocks.map(block => [
            block.querySelector('.opblock-summary-method').textContent,
            block.querySelector('.opblock-summary-path').dataset.path])"""
    )
    assert sorted(map(tuple, rendered)) == [(m, p) for m, p, _ in _operations(schema)]

    email, token = await _signed_in(api_url)
    await _authorize(page, token)
    me = _operation_block(page, "GET", "/api/v1/users/me/")
    await me.locator(".opblock-summary").click()
    await me.locator("button.try-out__btn").click()
    await me.locator("button.execute").click()
    live = me.locator(".live-responses-table")
    await expect(live.locator(".response .response-col_status")).to_have_text("200")
    await expect(live.locator(".response .response-col_description")).to_contain_text(email)
    assert _other_hosts(requested) == []


@pytest.mark.slow
async def test_redoc_renders_every_operation_offline(api_url, browser):
    context, requested = browser
    schema = await _schema(api_url)
    page = await context.new_page()
    await _open(page, f"{api_url}/redoc")
    assert _other_hosts(requested) == []

    sections = page.locator('[data-section-id^="operation/"]')
    await expect(sections.first).to_be_attached()
    ids = await sections.evaluate_all("nodes => nodes.map(node => node.dataset.sectionId)")
    assert sorted(ids) == sorted(f"operation/{op_id}" for _, _, op_id in _operations(schema))
    await expect(page.get_by_text("/api/v1/users/me/").first).to_be_attached()


async def test_oauth2_redirect_page_and_assets_are_served_and_no_doc_route_is_in_the_schema(
    settings,
):
    transport = httpx.ASGITransport(app=create_app(settings=settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        redirect = await http.get("/docs/oauth2-redirect")
        script = await http.get("/docs/assets/swagger-ui-bundle.js")
        schema = (await http.get("/openapi.json")).json()
    assert redirect.status_code == 200, redirect.text
    assert redirect.headers["content-type"].startswith("text/html")
    assert "oauth2" in redirect.text
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert not [path for path in schema["paths"] if path.startswith(DOC_PREFIXES)]


async def test_no_docs_page_or_asset_is_served_when_show_api_docs_is_off(settings):
    app = create_app(settings=settings_with(settings, show_api_docs=False))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        for path in (
            "/docs",
            "/redoc",
            "/docs/oauth2-redirect",
            "/docs/assets/swagger-ui.css",
            "/openapi.json",
        ):
            assert (await http.get(path)).status_code == 404, path
    served = [getattr(route, "path", "") for route in app.routes]  # mounts included
    assert not [path for path in served if path.startswith(DOC_PREFIXES)], served
