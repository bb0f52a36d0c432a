"""HTTP metrics (a pure ASGI middleware) and the `/metrics` route that Prometheus scrapes."""

from __future__ import annotations

import time
from collections.abc import Sequence

from fastapi import APIRouter, Request, Response
from fastapi.routing import iter_route_contexts
from prometheus_client.metrics import Counter, Histogram
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.infrastructure.metrics import HTTP_DURATION, HTTP_IN_FLIGHT, HTTP_REQUESTS, exposition

METRICS_PATH = "/metrics"
UNMATCHED = "unmatched"  # the route of a request no route took (404s, slash redirects)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")

router = APIRouter(include_in_schema=False)


@router.get(METRICS_PATH)
def metrics(request: Request) -> Response:
    """Every metric of this process, or of every worker of the server in multiprocess mode."""
    # A plain `def`: reading the workers' files is blocking, so it runs in the thread pool.
    body, content_type = exposition(request.headers.get("accept"))
    return Response(body, media_type=content_type)


class HttpMetrics:
    """Counts each request by route template, method and status class, and times it.

    The route is the template of the route the router matched (`/api/v1/users/me/`), found
    once the app has answered; a request no route took counts as `unmatched`, so a client
    probing random paths adds no series. FastAPI keeps an included router's routes without
    its prefix, so the full templates come from the app's `routes`. Templates and labelled
    children are looked up once and kept: this runs on every request.
    """

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app, self._routes = app, routes
        self._templates: dict[int, str] = {}  # id of a matched route -> its full template
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        status = 500  # what the client gets when nothing was sent (the server's own answer)

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        HTTP_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_status)
        finally:
            HTTP_IN_FLIGHT.dec()
            requests, duration = self._child(scope, status)
            requests.inc()
            duration.observe(time.perf_counter() - started)

    def _child(self, scope: Scope, status: int) -> tuple[Counter, Histogram]:
        method = scope["method"]
        key = (
            self._template(scope.get("route")),
            method if method in _METHODS else "other",
            status // 100,
        )
        child = self._children.get(key)
        if child is None:
            path, method, klass = key
            status_class = _STATUS_CLASSES[klass - 1] if 1 <= klass <= 5 else "5xx"
            child = (
                HTTP_REQUESTS.labels(path, method, status_class),
                HTTP_DURATION.labels(path, method),
            )
            self._children[key] = child
        return child

    def _template(self, route: BaseRoute | None) -> str:
        if route is None:
            return UNMATCHED
        template = self._templates.get(id(route))
        if template is None:  # a route not seen yet (added after the first request): look again
            contexts = iter_route_contexts(self._routes)
            templates = {id(c.original_route): c.path for c in contexts if c.path}
            template = templates.get(id(route)) or str(getattr(route, "path", UNMATCHED))
            self._templates = templates | {id(route): template}
        return template
