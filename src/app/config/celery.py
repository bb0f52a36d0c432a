"""Celery's configuration, derived from Settings: no lost tasks, JSON only, stable names."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.config.settings import Settings

DEFAULT_QUEUE = "default_queue"

# Task names are part of the contract between producers, beat and workers of different
# releases: they never follow a module's path.
PING = "app.debug.ping"
READ_PROFILE = "app.users.read_profile"
SEND_WELCOME = "app.notifications.send_welcome"
SEND_PASSWORD_RESET = "app.users.send_password_reset"
RELAY_OUTBOX = "app.outbox.relay"
PURGE_HANDLED_MESSAGES = "app.outbox.purge"

PURGE_EVERY = timedelta(hours=1)
RESULT_EXPIRES_SECONDS = 24 * 3600


def celery_config(settings: Settings) -> dict[str, Any]:
    """Everything `celery_app` needs; workers, beat and producers read the same values."""
    return {
        "broker_url": settings.celery_broker_url,
        "result_backend": settings.celery_result_backend,
        "broker_transport_options": _broker_options(settings),
        "result_backend_transport_options": {"global_keyprefix": settings.redis_key_prefix},
        "broker_connection_retry_on_startup": True,
        "task_default_queue": DEFAULT_QUEUE,
        # A task is acknowledged after it ran, and a worker that dies mid-task leaves it to be
        # redelivered: at-least-once, so task bodies must be safe to repeat.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "task_soft_time_limit": settings.celery_task_soft_time_limit,
        "task_time_limit": settings.celery_task_time_limit,
        "task_annotations": {"*": _retry_policy(settings)},
        "task_publish_retry_policy": {"max_retries": 3, "interval_start": 0.2},
        "result_expires": RESULT_EXPIRES_SECONDS,
        "result_extended": True,  # name, queue and retries next to the result
        "worker_hijack_root_logger": False,
        "enable_utc": True,
        "timezone": "UTC",
        "beat_schedule": beat_schedule(settings),
    }


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    interval = settings.outbox_relay_interval_seconds
    return {
        "relay-outbox": {
            "task": RELAY_OUTBOX,
            "schedule": timedelta(seconds=interval),
            # A round nobody ran in time is superseded by the next one: no backlog builds up
            # while the workers are down.
            "options": {"expires": max(interval, 1.0)},
        },
        "purge-handled-messages": {"task": PURGE_HANDLED_MESSAGES, "schedule": PURGE_EVERY},
    }


def _retry_policy(settings: Settings) -> dict[str, Any]:
    """How the tasks retry a dependency that is down (tasks.py says which errors mean that)."""
    # The consumer acked the event once its task was queued: a task that gave up would lose
    # it. So a task retries until the outage ends; only the delay between retries is capped.
    # A retry waits in the worker unacknowledged; past the visibility timeout Redis would hand
    # the same task to another worker as well, hence at most half of it.
    backoff_max = min(
        settings.celery_retry_backoff_max_seconds, settings.celery_visibility_timeout / 2
    )
    return {
        "max_retries": None,
        "retry_backoff": True,
        "retry_backoff_max": max(1, int(backoff_max)),
        "retry_jitter": True,
    }


def _broker_options(settings: Settings) -> dict[str, Any]:
    visibility = settings.celery_visibility_timeout
    return {
        "global_keyprefix": settings.redis_key_prefix,
        "visibility_timeout": visibility,
        # Look for tasks of dead workers often enough that redelivery follows the timeout
        # closely (kombu's default sweep is every 100 s).
        "unacked_restore_interval": max(1.0, min(30.0, visibility / 10)),
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": 5,
        "socket_timeout": 30,
    }
