"""The Celery settings: limits that contradict each other stop the process, named."""

from __future__ import annotations

import pytest

from app.config.celery import RELAY_OUTBOX, beat_schedule, celery_config
from app.config.settings import SettingsError, load_settings
from tests.conftest import settings_with


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("LAUNCH_MODE", "TEST")
    monkeypatch.setenv("SECRET_KEY", "x")
    return monkeypatch


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"CELERY_TASK_SOFT_TIME_LIMIT": "300"}, "CELERY_TASK_SOFT_TIME_LIMIT"),
        ({"CELERY_VISIBILITY_TIMEOUT": "300"}, "CELERY_VISIBILITY_TIMEOUT"),
        ({"CELERY_TASK_TIME_LIMIT": "0"}, "CELERY_TASK_TIME_LIMIT"),
        ({"CELERY_RETRY_BACKOFF_MAX_SECONDS": "0"}, "CELERY_RETRY_BACKOFF_MAX_SECONDS"),
    ],
)
def test_contradicting_or_invalid_celery_limits_stop_the_process_naming_the_variable(
    env, changes, named
):
    for name, value in changes.items():
        env.setenv(name, value)

    with pytest.raises(SettingsError, match=named):
        load_settings()


def test_beat_runs_the_relay_every_outbox_relay_interval(settings):
    schedule = beat_schedule(settings_with(settings, outbox_relay_interval_seconds=0.5))

    relay = next(entry for entry in schedule.values() if entry["task"] == RELAY_OUTBOX)
    assert relay["schedule"].total_seconds() == 0.5


def test_retries_never_wait_past_the_visibility_timeout(settings):
    short = settings_with(settings, celery_visibility_timeout=20.0)

    policy = celery_config(short)["task_annotations"]["*"]

    assert policy["retry_backoff_max"] <= 10


def test_a_dependency_outage_is_retried_without_a_count_limit_and_a_capped_delay(settings):
    capped = settings_with(settings, celery_retry_backoff_max_seconds=7)

    policy = celery_config(capped)["task_annotations"]["*"]

    assert policy["max_retries"] is None
    assert (policy["retry_backoff"], policy["retry_backoff_max"]) == (True, 7)
