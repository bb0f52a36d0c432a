"""Celery's metrics: tasks by name and state, their duration; METRICS_PORT in worker and beat.

A producer (the consumer, beat) counts the tasks it sends; a worker counts what became of each
task it ran and how long it took. The worker's main process serves METRICS_PORT; with the
prefork pool the tasks run in its children, so `app worker` sets up the multiprocess directory
before Celery starts (worker.py) and a scrape adds up every child's files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from celery import Celery, signals, states

from app.config.settings import Settings
from app.infrastructure.metrics import CELERY_DURATION, CELERY_TASKS
from app.interfaces.cli.process_metrics import serve_metrics

_STATES = {states.SUCCESS: "succeeded", states.FAILURE: "failed", states.RETRY: "retried"}
_started: dict[str, float] = {}  # task id -> when this process began running it


def connect_metrics(app: Celery, settings: Callable[[], Settings]) -> None:
    """Count the tasks of this process; serve METRICS_PORT from `app`'s worker and its beat."""
    # Connected once per process (the uid), however many apps it builds: each task counts once.
    for signal, receiver in (
        (signals.after_task_publish, _sent),
        (signals.task_prerun, _began),
        (signals.task_postrun, _ended),
    ):
        signal.connect(receiver, weak=False, dispatch_uid=f"app-metrics-{receiver.__name__}")

    def serve(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is app:
            serve_metrics(settings())  # a daemon thread: it ends with the process

    for signal in (signals.worker_init, signals.beat_init):
        signal.connect(serve, weak=False, dispatch_uid=f"app-metrics-serve-{id(app)}")


def _sent(sender: str | None = None, **_: Any) -> None:
    if sender:  # the task's name; only this service's code sends tasks
        CELERY_TASKS.labels(sender, "sent").inc()


def _began(task_id: str, **_: Any) -> None:
    _started[task_id] = time.perf_counter()


def _ended(task_id: str, task: Any, state: str | None = None, **_: Any) -> None:
    name = task.name  # a task this worker registered: the set is the service's tasks
    CELERY_TASKS.labels(name, _STATES.get(state or "", str(state).lower())).inc()
    began = _started.pop(task_id, None)
    if began is not None:
        CELERY_DURATION.labels(name).observe(time.perf_counter() - began)
