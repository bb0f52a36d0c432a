"""Tasks run application use cases on the worker's one loop and one engine."""

from __future__ import annotations

import uuid

import pytest

from app.config.celery import PING, READ_PROFILE, SEND_WELCOME
from app.domain.shared import NotFoundError, ValidationError
from tests.celery_worker.conftest import connections_of, register_user, result_of


async def test_a_task_reads_a_user_from_postgresql_through_the_use_case(
    container, in_process_worker
):
    user = await register_user(container)

    profile = await result_of(in_process_worker.send_task(READ_PROFILE, args=[str(user.uuid)]))

    assert profile["email"] == user.email
    assert profile["uuid"] == user.uuid


async def test_a_domain_error_fails_the_task_with_that_error_and_no_retry(
    container, in_process_worker
):
    result = in_process_worker.send_task(
        READ_PROFILE, args=["00000000-0000-0000-0000-000000000000"]
    )

    with pytest.raises(NotFoundError):
        await result_of(result)
    assert result.retries == 0


async def test_fifty_tasks_in_one_process_share_one_loop_and_one_pooled_connection(
    container, in_process_worker, celery_settings
):
    user = await register_user(container)
    sent = [in_process_worker.send_task(READ_PROFILE, args=[str(user.uuid)]) for _ in range(50)]

    profiles = [await result_of(result) for result in sent]

    assert [p["email"] for p in profiles] == [user.email] * 50
    # A loop per task would fail on the pooled connection or open a new one each time.
    assert await connections_of(container.engine, celery_settings.project_name) == 1


async def test_ping_answers_pong_through_the_bridge(in_process_worker):
    assert await result_of(in_process_worker.send_task(PING)) == "pong"


@pytest.mark.parametrize(
    "data",
    [{"user_uuid": "not-a-uuid", "email": "a@example.com"}, {"user_uuid": str(uuid.uuid4())}],
    ids=["bad-uuid", "no-email"],
)
async def test_a_welcome_with_bad_data_fails_with_a_validation_error_and_no_retry(
    container, in_process_worker, data
):
    result = in_process_worker.send_task(SEND_WELCOME, kwargs={"data": data})

    with pytest.raises(ValidationError):
        await result_of(result)
    assert result.retries == 0
