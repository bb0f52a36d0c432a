"""The container's CPUs from cgroup v2's cpu.max, and the connection budget of a pod.

This machine runs cgroup v1 (it has no /sys/fs/cgroup/cpu.max), so the files below hold what
the kernel writes there; the fallback is the CPUs the process may be scheduled on.
"""

from __future__ import annotations

import os

import pytest

from app.config.settings import SettingsError
from app.infrastructure.capacity import available_cpus, connection_budget
from app.infrastructure.db.engine import create_engine
from tests.conftest import settings_with
from tests.logs import process_log

SCHEDULABLE = len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("cpu_max", "cpus"),
    [
        ("50000 100000\n", 1),  # half a CPU: one worker, never none
        ("1000 100000\n", 1),
        ("100000 100000\n", 1),
        ("150000 100000\n", min(2, SCHEDULABLE)),  # 1.5 CPUs rounded up
        ("200000 100000\n", min(2, SCHEDULABLE)),
        ("6400000 100000\n", SCHEDULABLE),  # 64 CPUs of quota: only the schedulable ones count
        ("max 100000\n", SCHEDULABLE),  # no limit
    ],
)
def test_the_cpus_follow_the_cgroup_quota_rounded_up(tmp_path, cpu_max, cpus):
    path = tmp_path / "cpu.max"
    path.write_text(cpu_max)
    assert available_cpus(path) == cpus


@pytest.mark.parametrize("content", [None, "", "garbage\n", "max\n", "100000 0\n"])
def test_without_a_readable_quota_the_cpus_are_those_the_process_may_run_on(tmp_path, content):
    path = tmp_path / "cpu.max"
    if content is not None:
        path.write_text(content)
    assert available_cpus(path) == SCHEDULABLE


def test_the_budget_is_processes_times_pool_and_overflow(settings):
    sized = settings_with(
        settings,
        connections_pool_min_size=5,
        connections_pool_max_overflow=3,
        db_max_connections_per_pod=16,
    )
    budget = connection_budget(sized, 2, "WEB_CONCURRENCY")
    assert budget.total == 16
    assert str(budget) == (
        "2 processes x (CONNECTIONS_POOL_MIN_SIZE 5 + CONNECTIONS_POOL_MAX_OVERFLOW 3) = 16 "
        "connections (DB_MAX_CONNECTIONS_PER_POD 16)"
    )


def test_a_budget_over_the_limit_is_refused_naming_every_variable_that_lowers_it(settings):
    sized = settings_with(
        settings,
        connections_pool_min_size=5,
        connections_pool_max_overflow=3,
        db_max_connections_per_pod=15,
    )
    with pytest.raises(SettingsError) as refused:
        connection_budget(sized, 2, "WEB_CONCURRENCY")
    message = str(refused.value)
    assert message.startswith("DB_MAX_CONNECTIONS_PER_POD: ")
    for name in (
        "WEB_CONCURRENCY 2",
        "CONNECTIONS_POOL_MIN_SIZE 5",
        "CONNECTIONS_POOL_MAX_OVERFLOW 3",
    ):
        assert name in message
    assert "= 16 connections exceeds it (15)" in message
    assert (
        "lower WEB_CONCURRENCY, CONNECTIONS_POOL_MIN_SIZE or CONNECTIONS_POOL_MAX_OVERFLOW"
        in message
    )


def test_no_limit_by_default(settings):
    assert settings.db_max_connections_per_pod == 0
    assert connection_budget(settings, 1000, "--workers").total == 1000 * (
        settings.connections_pool_min_size + settings.connections_pool_max_overflow
    )


async def test_a_single_process_logs_its_budget_when_it_creates_its_pool(settings):
    sized = settings_with(settings, connections_pool_min_size=4, connections_pool_max_overflow=2)
    with process_log(sized, json_lines=False) as log:
        engine = create_engine(sized)
    await engine.dispose()
    assert (
        "connection budget of this process: 1 process x (CONNECTIONS_POOL_MIN_SIZE 4 + "
        "CONNECTIONS_POOL_MAX_OVERFLOW 2) = 6 connections (no limit)"
    ) in log.text


def test_a_single_process_whose_pool_exceeds_the_limit_refuses_to_create_it(settings):
    sized = settings_with(
        settings,
        connections_pool_min_size=4,
        connections_pool_max_overflow=2,
        db_max_connections_per_pod=5,
    )
    with pytest.raises(SettingsError, match="DB_MAX_CONNECTIONS_PER_POD: 1 process x "):
        create_engine(sized)
