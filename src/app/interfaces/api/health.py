"""Health routes: /debug/health/ (under /api/v1) and the /livez and /readyz probes (at the root)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.interfaces.api.deps import Health
from app.interfaces.api.errors import problems
from app.interfaces.api.schemas import HealthResponse, Liveness

router = APIRouter(prefix="/debug", tags=["debug"])
probes = APIRouter(tags=["probes"])
LIVENESS, READINESS = "/livez", "/readyz"
PROBE_PATHS = (LIVENESS, READINESS)
_REPORTED: dict[int | str, dict[str, Any]] = {
    503: {"model": HealthResponse, "description": "A component is down (named)"},
    **problems(),
}


@router.get("/health/", response_model=HealthResponse, responses=_REPORTED)
async def health(service: Health) -> JSONResponse:
    """Probe PostgreSQL, Redis and the broker; 503 names the failing component."""
    return await _report(service)


@probes.get(READINESS, response_model=HealthResponse, responses=_REPORTED)
async def readyz(service: Health) -> JSONResponse:
    """Readiness: the health document; 503 while a dependency is down, so traffic goes elsewhere."""
    return await _report(service)


@probes.get(LIVENESS, response_model=Liveness, responses=problems())
async def livez() -> JSONResponse:
    """Liveness: 200 while the process serves requests; no dependency is checked."""
    return JSONResponse({"status": "ok"})


async def _report(service: Health) -> JSONResponse:
    report = await service.check()
    body = {"status": report.status, "components": report.components}
    return JSONResponse(body, status_code=200 if report.healthy else 503)
