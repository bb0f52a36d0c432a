"""`app worker` processes (prefork): clean shutdown, SIGKILL mid-task, time limits."""

from __future__ import annotations

import asyncio

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from app.config.celery import READ_PROFILE
from app.interfaces.cli.celery_app import ServiceCelery
from app.interfaces.cli.main import main
from tests.celery_worker.conftest import (
    connections_of,
    eventually,
    register_user,
    result_of,
    users_locked,
    wait_until_blocked,
)
from tests.conftest import settings_with


async def test_a_stopped_worker_process_closes_its_container(
    container, celery_settings, worker_process, producer
):
    user = await register_user(container)
    worker = await asyncio.to_thread(worker_process, celery_settings, "-c", "1")
    await result_of(producer.send_task(READ_PROFILE, args=[str(user.uuid)]))
    assert await connections_of(container.engine, celery_settings.project_name) == 1

    assert await asyncio.to_thread(worker.stop) == 0

    assert "closed its container" in worker.output
    # The server ends a backend a moment after its client said goodbye.
    await eventually(lambda: _none_left(container.engine, celery_settings.project_name), timeout=5)


async def _none_left(engine, application_name: str) -> bool:
    return await connections_of(engine, application_name) == 0


@pytest.mark.slow
async def test_a_task_whose_worker_is_killed_mid_task_is_completed_by_the_next_worker(
    container, celery_settings, worker_process
):
    short = settings_with(
        celery_settings,
        celery_task_soft_time_limit=3.0,
        celery_task_time_limit=4.0,
        celery_visibility_timeout=5.0,
    )
    producer = ServiceCelery(lambda: short)
    user = await register_user(container)
    first = await asyncio.to_thread(worker_process, short, "-c", "1")

    async with users_locked(container.engine):
        result = producer.send_task(READ_PROFILE, args=[str(user.uuid)])
        await wait_until_blocked(container.engine, short.project_name)
        assert await asyncio.to_thread(first.kill) == -9
    await asyncio.to_thread(worker_process, short, "-c", "1")

    profile = await result_of(result, timeout=20)
    assert profile["email"] == user.email


@pytest.mark.slow
async def test_a_task_over_its_soft_time_limit_fails_and_the_process_goes_on(
    container, celery_settings, worker_process
):
    limited = settings_with(
        celery_settings, celery_task_soft_time_limit=1.0, celery_task_time_limit=10.0
    )
    producer = ServiceCelery(lambda: limited)
    user = await register_user(container)
    await asyncio.to_thread(worker_process, limited, "-c", "1")

    async with users_locked(container.engine):
        stuck = producer.send_task(READ_PROFILE, args=[str(user.uuid)])
        with pytest.raises(SoftTimeLimitExceeded):
            await result_of(stuck)
    profile = await result_of(producer.send_task(READ_PROFILE, args=[str(user.uuid)]))

    assert profile["email"] == user.email


@pytest.mark.parametrize("command", ["worker", "beat"])
def test_app_worker_and_beat_refuse_to_start_without_a_secret_key(command, monkeypatch, capsys):
    monkeypatch.setenv("SECRET_KEY", "")

    assert main([command, "-l", "INFO"]) == 2
    assert "SECRET_KEY" in capsys.readouterr().err
