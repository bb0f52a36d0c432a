"""What one container may run: its CPUs, and the PostgreSQL connections of its processes."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from app.config.settings import Settings, SettingsError

# cgroup v2: "<quota> <period>" in microseconds, or "max <period>" without a CPU limit.
CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def available_cpus(cpu_max: Path = CPU_MAX) -> int:
    """The CPUs this process may keep busy: its cgroup's quota rounded up, else the CPUs it may use.

    `os.cpu_count()` is the host's count: a pod limited to 2 CPUs on a 64-CPU node would start 64
    workers, each with its own connection pool, and be throttled.
    """
    quota = _cgroup_quota(cpu_max)
    schedulable = _schedulable_cpus()
    # A quota above the CPUs the process may run on (its cpuset) cannot be used.
    return schedulable if quota is None else min(quota, schedulable)


def _cgroup_quota(cpu_max: Path) -> int | None:
    try:
        quota, period = cpu_max.read_text().split()
        if quota == "max":
            return None
        return max(1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError, ZeroDivisionError):
        return None  # no cgroup v2 CPU controller here (cgroup v1, macOS) or an unreadable file


def _schedulable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):  # Linux: the CPUs this process is allowed on
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class ConnectionBudget:
    """The most PostgreSQL connections a pod's processes may hold at once."""

    processes: int
    pool: int
    overflow: int
    limit: int  # DB_MAX_CONNECTIONS_PER_POD; 0 for none

    @property
    def total(self) -> int:
        return self.processes * (self.pool + self.overflow)

    def __str__(self) -> str:
        limit = f"DB_MAX_CONNECTIONS_PER_POD {self.limit}" if self.limit else "no limit"
        processes = "1 process" if self.processes == 1 else f"{self.processes} processes"
        return (
            f"{processes} x (CONNECTIONS_POOL_MIN_SIZE {self.pool} + "
            f"CONNECTIONS_POOL_MAX_OVERFLOW {self.overflow}) = {self.total} connections ({limit})"
        )


def connection_budget(
    settings: Settings, processes: int = 1, processes_from: str | None = None
) -> ConnectionBudget:
    """The budget of `processes` processes on these settings. Raises SettingsError past the limit.

    `processes_from` names what sets the process count (`WEB_CONCURRENCY`, `--workers`), so the
    refusal names every variable that can bring the budget down.
    """
    budget = ConnectionBudget(
        processes=processes,
        pool=settings.connections_pool_min_size,
        overflow=settings.connections_pool_max_overflow,
        limit=settings.db_max_connections_per_pod,
    )
    if budget.limit and budget.total > budget.limit:
        raise SettingsError(_refusal(budget, processes_from))
    return budget


def _refusal(budget: ConnectionBudget, processes_from: str | None) -> str:
    levers = [processes_from] if processes_from else []
    levers += ["CONNECTIONS_POOL_MIN_SIZE", "CONNECTIONS_POOL_MAX_OVERFLOW"]
    count = f"{processes_from} {budget.processes}" if processes_from else "1 process"
    return (
        f"DB_MAX_CONNECTIONS_PER_POD: {count} x (CONNECTIONS_POOL_MIN_SIZE {budget.pool} + "
        f"CONNECTIONS_POOL_MAX_OVERFLOW {budget.overflow}) = {budget.total} connections exceeds "
        f"it ({budget.limit}); lower {', '.join(levers[:-1])} or {levers[-1]}, or raise the limit"
    )
