"""The API with its HTTP metrics middleware taken out, served like `app api --workers 1`.

For the metrics-cost benchmark of `scripts/bench_api.sh --telemetry` only: the service itself
always counts its requests. Everything else (settings, routes, the other middleware, uvicorn's
arguments) is what `app api` runs, so the two servers differ by the middleware alone.
Usage: python scripts/bench_without_metrics.py PORT
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI

from app.interfaces.api.app import create_app
from app.interfaces.api.metrics import HttpMetrics
from app.interfaces.cli.main import UVICORN_OPTIONS


def without_metrics() -> FastAPI:
    app = create_app()
    # Starlette builds the middleware stack on the first request, so a list edit here holds.
    app.user_middleware = [m for m in app.user_middleware if m.cls is not HttpMetrics]
    return app


if __name__ == "__main__":
    uvicorn.run(
        without_metrics(),
        host="127.0.0.1",
        port=int(sys.argv[1]),
        **UVICORN_OPTIONS,
    )
