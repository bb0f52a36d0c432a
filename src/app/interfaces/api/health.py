"""Routes of /debug: health."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.interfaces.api.deps import Health
from app.interfaces.api.schemas import HealthResponse

router = APIRouter(prefix="/debug", tags=["debug"])


@router.get(
    "/health/",
    response_model=HealthResponse,
    responses={503: {"model": HealthResponse, "description": "A component is down (named)"}},
)
async def health(service: Health) -> JSONResponse:
    """Probe PostgreSQL, Redis and the broker; 503 names the failing component."""
    report = await service.check()
    body = {"status": report.status, "components": report.components}
    return JSONResponse(body, status_code=200 if report.healthy else 503)
