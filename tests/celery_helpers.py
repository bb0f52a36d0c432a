"""Real Celery workers for tests of any folder: Redis keys of their own, an embedded worker.

An embedded worker (Celery's test worker, solo pool) runs in a thread of the test process with
the real bridge, so it runs the real tasks on the test's database and signals reach the test.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from celery import Celery, signals
from celery.contrib.testing.worker import start_worker

from app.config.settings import Settings
from app.interfaces.cli.celery_app import ServiceCelery
from tests.conftest import delete_redis_keys, settings_with


@contextmanager
def own_redis_prefix(settings: Settings, tag: str) -> Iterator[Settings]:
    """`settings` under a Redis key prefix of their own, whose keys are deleted afterwards.

    Celery's queues and results live under the prefix, so a task one test left queued can never
    run in the next test's worker (against tables that were emptied in between).
    """
    changed = settings_with(settings, redis_key_prefix=f"{settings.redis_key_prefix}{tag}:")
    yield changed
    delete_redis_keys(changed)


@contextmanager
def embedded_worker(settings: Settings) -> Iterator[ServiceCelery]:
    app = ServiceCelery(lambda: settings)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            yield app
    finally:
        # The embedded worker stops with a "terminate" that sends no shutdown signal, and the
        # bridge must close outside the test's thread (its loop belongs to the worker thread).
        closer = threading.Thread(target=app.bridge.close)
        closer.start()
        closer.join()


@asynccontextmanager
async def embedded_worker_beside_loop(settings: Settings) -> AsyncIterator[ServiceCelery]:
    """The embedded worker, started and stopped without blocking the test's event loop."""
    worker = embedded_worker(settings)
    app = await asyncio.to_thread(worker.__enter__)
    try:
        yield app
    finally:
        await asyncio.to_thread(worker.__exit__, None, None, None)


class FinishedTasks:
    """The tasks an in-process worker of `app` finished: (name, state, return value) each."""

    def __init__(self, app: Celery) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._finished: list[tuple[str, str, Any]] = []

    def __enter__(self) -> FinishedTasks:
        # Held strongly: a weak reference to a bound method dies with the expression.
        signals.task_postrun.connect(self._record, weak=False)
        return self

    def __exit__(self, *_: object) -> None:
        signals.task_postrun.disconnect(self._record)

    def of(self, name: str) -> list[tuple[str, Any]]:
        """(state, return value) of each finished task called `name`, in the order they ended."""
        with self._lock:
            return [(state, value) for task, state, value in self._finished if task == name]

    def _record(
        self, sender: Any = None, state: str | None = None, retval: Any = None, **_: Any
    ) -> None:
        if sender is not None and sender.app is self._app:
            with self._lock:
                self._finished.append((sender.name, str(state), retval))
