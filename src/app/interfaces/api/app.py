"""The FastAPI application: create_app and the lifespan that owns the container."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from app.config.settings import Settings, load_settings
from app.container import Container, build_container
from app.infrastructure.logging import configure_logging
from app.infrastructure.metrics import sampling
from app.infrastructure.proxies import TrustedProxies
from app.infrastructure.telemetry import instrument_api, start_tracing, stop_tracing
from app.interfaces.api import admin, audit, auth, debug, health, users
from app.interfaces.api.docs import serve_api_docs
from app.interfaces.api.errors import install_error_handlers
from app.interfaces.api.metrics import METRICS_PATH, HttpMetrics
from app.interfaces.api.metrics import router as metrics_router
from app.interfaces.api.middleware import REQUEST_ID_HEADER, BodyGuard, RequestContext
from app.interfaces.api.openapi import complete_openapi
from app.interfaces.asyncapi import asyncapi_document

API_PREFIX = "/api/v1"
ASYNCAPI_URL = "/asyncapi.json"
# The verbs of the gRPC API, so that an operation has one name in both (getMe, UsersService/GetMe).
_VERBS = {"read": "get"}


def create_app(container: Container | None = None, settings: Settings | None = None) -> FastAPI:
    """The API; tests pass a container, processes let the lifespan build one."""
    settings = container.settings if container else settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if container is not None:  # owned by whoever injected it
            yield
            return
        configure_logging(settings)
        start_tracing(settings, "app-api")
        app.state.container = build_container(settings)
        # Everything alive now (modules, models, the container) lives as long as the process:
        # freezing it keeps the collector from rescanning it, which otherwise costs ~20% of
        # throughput and ~100 ms latency spikes under load.
        gc.collect()
        gc.freeze()
        try:
            async with sampling(app.state.container.engine, app.state.container.hasher):
                yield
        finally:
            await app.state.container.aclose()
            stop_tracing()

    docs = settings.show_api_docs
    app = FastAPI(
        title=settings.project_name,
        version="1.0.0",
        lifespan=lifespan,
        docs_url=None,  # serve_api_docs serves the pages from local assets instead
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        generate_unique_id_function=operation_id,
        # FastAPI's own telemetry would trace every request once a tracer provider exists, with
        # the query string as sent: the instrumentation below (instrument_api) traces instead.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    serve_api_docs(app)
    if container is not None:
        app.state.container = container
    # admin after users: its /users/{uuid}/ paths must not catch /users/me/.
    for router in (auth.router, users.router, admin.router, audit.router, health.router):
        app.include_router(router, prefix=API_PREFIX)
    if not settings.is_prod:  # publishing arbitrary events is a development tool
        app.include_router(debug.router, prefix=API_PREFIX)
        _serve_asyncapi(app, settings)
    app.include_router(health.probes)
    app.include_router(metrics_router)
    install_error_handlers(app)
    complete_openapi(app)
    _add_middleware(app, settings)
    # Probes and scrapes come every few seconds and say nothing about a request's path.
    untraced = (*health.PROBE_PATHS, app.url_path_for("health"), METRICS_PATH)
    instrument_api(app, settings, untraced)
    return app


def operation_id(route: APIRoute) -> str:
    """The route function's name in camelCase (`sign_up`: `signUp`, `read_me`: `getMe`): stable
    for generated clients while the function keeps its name, and unique as the names are."""
    first, *rest = route.name.split("_")
    return _VERBS.get(first, first) + "".join(word.capitalize() for word in rest)


def _serve_asyncapi(app: FastAPI, settings: Settings) -> None:
    """The events' AsyncAPI document for these settings (docs/contracts.md)."""
    document = asyncapi_document(settings)

    async def asyncapi(_: Request) -> JSONResponse:
        return JSONResponse(document)

    app.add_route(ASYNCAPI_URL, asyncapi, include_in_schema=False)


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """Innermost first: the body guard, the request context (id, access log, 500), the metrics
    (which see the final status, a 500 included), then CORS."""
    app.add_middleware(BodyGuard)
    app.add_middleware(
        RequestContext,
        proxies=TrustedProxies.parse(settings.trusted_proxies),
        show_traceback=settings.debug and not settings.is_prod,
        quiet=(*health.PROBE_PATHS, METRICS_PATH),
    )
    app.add_middleware(HttpMetrics, routes=app.routes)
    if settings.cors_origin_whitelist:
        # Outside the request context, so even its 500 carries CORS headers a browser needs
        # to let the page read the error_id.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origin_whitelist),
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[REQUEST_ID_HEADER],
        )
