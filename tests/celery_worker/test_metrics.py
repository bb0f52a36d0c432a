"""Celery metrics: tasks by name and state and their duration; METRICS_PORT of worker and beat."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid

import httpx
import pytest

from app.config.celery import PING, READ_PROFILE, RELAY_OUTBOX, SEND_WELCOME
from app.domain.shared import NotFoundError
from tests.celery_worker.conftest import eventually, register_user, result_of
from tests.conftest import free_port, process_env, settings_with
from tests.metrics.helpers import total, value


async def test_a_worker_counts_each_task_by_state_and_times_it(in_process_worker):
    sent = value("app_celery_tasks_total", task=PING, state="sent")
    succeeded = value("app_celery_tasks_total", task=PING, state="succeeded")
    failed = value("app_celery_tasks_total", task=READ_PROFILE, state="failed")
    timed = value("app_celery_task_duration_seconds_count", task=PING)

    assert await result_of(in_process_worker.send_task(PING)) == "pong"
    missing = in_process_worker.send_task(READ_PROFILE, args=[str(uuid.uuid4())])
    with pytest.raises(NotFoundError):
        await result_of(missing)

    # The result is stored before task_postrun fires: wait for the count, not the result.
    await eventually(
        lambda: _at_least("app_celery_tasks_total", failed + 1, task=READ_PROFILE, state="failed")
    )
    assert value("app_celery_tasks_total", task=PING, state="sent") == sent + 1
    assert value("app_celery_tasks_total", task=PING, state="succeeded") == succeeded + 1
    assert value("app_celery_task_duration_seconds_count", task=PING) == timed + 1


async def test_a_welcome_whose_message_id_was_handled_counts_as_a_duplicate(
    container, in_process_worker
):
    user = await register_user(container)
    kwargs = {
        "data": {"user_uuid": str(user.uuid), "email": user.email},
        "message_id": str(uuid.uuid4()),
    }
    duplicates = value("app_inbox_duplicates_total", handler=SEND_WELCOME)

    assert await result_of(in_process_worker.send_task(SEND_WELCOME, kwargs=kwargs)) is True
    assert value("app_inbox_duplicates_total", handler=SEND_WELCOME) == duplicates
    assert await result_of(in_process_worker.send_task(SEND_WELCOME, kwargs=kwargs)) is False

    assert value("app_inbox_duplicates_total", handler=SEND_WELCOME) == duplicates + 1


async def _at_least(name: str, expected: float, **labels: str) -> bool:
    return value(name, **labels) >= expected


async def _scrape(port: int) -> str:
    async with httpx.AsyncClient() as http:
        try:
            return (await http.get(f"http://127.0.0.1:{port}/metrics", timeout=2)).text
        except httpx.TransportError:
            return ""


@pytest.mark.slow
async def test_a_prefork_worker_serves_the_sum_of_its_children_on_metrics_port(
    celery_settings, producer, worker_process
):
    port = free_port()
    worker_process(settings_with(celery_settings, metrics_port=port), "-c", "2")
    results = [producer.send_task(PING) for _ in range(6)]
    assert [await result_of(result) for result in results] == ["pong"] * 6

    async def six_succeeded() -> bool:
        scrape = await _scrape(port)
        return total(scrape, "app_celery_tasks_total", task=PING, state="succeeded") == 6

    # Tasks run in either child: only their files added up give 6.
    await eventually(six_succeeded)


@pytest.mark.slow
async def test_beat_serves_metrics_port_and_counts_the_relay_rounds_it_sends(
    celery_settings, tmp_path
):
    port = free_port()
    env = process_env(settings_with(celery_settings, metrics_port=port))
    command = [sys.executable, "-m", "app.interfaces.cli", "beat", "-s", str(tmp_path / "s")]
    beat = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:

        async def relay_sent() -> float:
            return total(
                await _scrape(port), "app_celery_tasks_total", task=RELAY_OUTBOX, state="sent"
            )

        assert await eventually(relay_sent) >= 1
    finally:
        beat.terminate()
        assert await asyncio.to_thread(beat.wait, 10) == 0
