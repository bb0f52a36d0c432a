"""Health of the service: every dependency probed concurrently, each with a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from app.application.ports import HealthProbe

OK, FAILING = "ok", "unavailable"


@dataclass(frozen=True, slots=True)
class HealthReport:
    status: str
    components: dict[str, str]

    @property
    def healthy(self) -> bool:
        return self.status == OK


class HealthService:
    def __init__(self, probes: Sequence[HealthProbe], timeout_seconds: float = 2.0) -> None:
        self._probes, self._timeout = probes, timeout_seconds

    async def check(self) -> HealthReport:
        """Probe every dependency; the report names each failing one."""
        results = await asyncio.gather(*(self._probe(p) for p in self._probes))
        components = {p.name: result for p, result in zip(self._probes, results, strict=True)}
        status = OK if all(r == OK for r in results) else FAILING
        return HealthReport(status, components)

    async def _probe(self, probe: HealthProbe) -> str:
        try:
            await asyncio.wait_for(probe.check(), self._timeout)
        except Exception:  # any failure, including a timeout, means the dependency is down
            return FAILING
        return OK
