"""`celery_app`: the Celery application of workers, beat and producers.

`celery -A app.interfaces.cli.celery_app worker|beat` and `app worker|beat` start it. Importing
this module reads no settings and opens nothing: the configuration is loaded when Celery first
needs it, and a worker process builds its container the first time it runs a task.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from functools import cached_property, partial
from typing import Any, TypeVar

from celery import Celery, signals
from kombu.exceptions import OperationalError as KombuOperationalError
from loguru import logger

from app.config.celery import celery_config
from app.config.settings import Settings, load_settings
from app.container import Container, build_container
from app.domain.shared import DependencyUnavailable
from app.infrastructure.logging import configure_logging
from app.infrastructure.tasks import Services, register_tasks
from app.infrastructure.telemetry import start_tracing, stop_tracing
from app.interfaces.cli.celery_metrics import connect_metrics
from app.interfaces.consumer.handlers import CeleryRoute, Message

T = TypeVar("T")


class ProcessBridge:
    """One container and one event loop per worker process, built on first use.

    Async SQLAlchemy, asyncpg and redis.asyncio tie their connections to the loop that opened
    them: a loop per task (`asyncio.run`) breaks the pool ("attached to a different loop") or
    forces a new connection per task. So every task of a process runs on one long-lived loop,
    with the container of that process. A prefork child builds both after the fork, never
    inheriting the parent's sockets.
    """

    def __init__(self, settings: Callable[[], Settings]) -> None:
        self._settings = settings
        self._runner: asyncio.Runner | None = None
        self._container: Container | None = None
        self._current: asyncio.Task[Any] | None = None

    def __call__(self, use_case: Callable[[Services], Awaitable[T]]) -> T:
        runner, container = self._open()
        try:
            return runner.run(self._tracked(use_case(container)))
        except BaseException:
            # A soft time limit interrupts the loop, not the coroutine: end it before the next.
            self._settle(runner)
            raise

    def close(self) -> None:
        """Release the container's pools and the loop; the next task would build new ones."""
        runner, container = self._runner, self._container
        self._runner = self._container = None
        if runner is None or container is None:
            return
        try:
            runner.run(container.aclose())
        finally:
            runner.close()
        logger.info("worker process {} closed its container", os.getpid())

    def forget(self) -> None:
        """In a forked child: what the parent built belongs to the parent's process."""
        self._runner = self._container = self._current = None

    def _open(self) -> tuple[asyncio.Runner, Container]:
        if self._runner is None or self._container is None:
            self._runner = asyncio.Runner()
            # Built inside the loop: some clients bind to the running loop when created.
            self._container = self._runner.run(_build(self._settings()))
        return self._runner, self._container

    async def _tracked(self, coroutine: Awaitable[T]) -> T:
        self._current = asyncio.current_task()
        return await coroutine

    def _settle(self, runner: asyncio.Runner) -> None:
        task, self._current = self._current, None
        if task is not None and not task.done():
            task.cancel()
            runner.run(_wait_for(task))


async def _build(settings: Settings) -> Container:
    return build_container(settings)


async def _wait_for(task: asyncio.Task[Any]) -> None:
    await asyncio.wait([task])


class CeleryTaskSender:
    """The consumer's TaskSender: a routed message becomes a task, queued before the ack."""

    def __init__(self, celery: Celery) -> None:
        self._celery = celery

    async def send(self, route: CeleryRoute, data: Mapping[str, Any], message: Message) -> None:
        """Queue the task; raises DependencyUnavailable when the Celery broker refuses it."""
        kwargs = {"data": dict(data), "message_id": str(message.id) if message.id else None}
        send = partial(self._celery.send_task, route.task_name, kwargs=kwargs, queue=route.queue)
        try:
            # kombu's publish is blocking: keep it off the consumer's event loop.
            await asyncio.to_thread(send)
        except KombuOperationalError as exc:
            raise DependencyUnavailable(f"Celery broker: {exc}") from exc


class ServiceCelery(Celery):
    """The Celery app of this service: configured from Settings on first use, tasks registered."""

    def __init__(self, settings: Callable[[], Settings] = load_settings) -> None:
        super().__init__("app")
        self._load_settings = settings
        self.bridge = ProcessBridge(lambda: self.settings)
        register_tasks(self, self.bridge)
        signals.worker_process_init.connect(self._after_fork)
        signals.worker_process_shutdown.connect(self._close_bridge)
        signals.worker_shutdown.connect(self._on_worker_shutdown)
        signals.setup_logging.connect(self._setup_logging)
        signals.beat_init.connect(self._beat_started)
        connect_metrics(self, lambda: self.settings)

    @cached_property
    def settings(self) -> Settings:
        return self._load_settings()

    def on_configure(self) -> None:  # type: ignore[override]
        # Celery calls this when its configuration is first read, not at import.
        self.config_from_object(celery_config(self.settings))

    def _after_fork(self, **_: Any) -> None:
        self.bridge.forget()
        # In the process that runs the tasks (a prefork child, or the solo worker itself):
        # the exporter's thread would not survive a fork.
        start_tracing(self.settings, "app-worker")

    def _close_bridge(self, **_: Any) -> None:
        self.bridge.close()
        stop_tracing()

    def _on_worker_shutdown(self, sender: Any = None, **_: Any) -> None:
        # The solo pool runs tasks in the worker itself: no worker_process_shutdown there.
        if getattr(sender, "app", None) is self:
            self.bridge.close()
            stop_tracing()

    def _beat_started(self, **_: Any) -> None:
        start_tracing(self.settings, "app-beat")  # flushed by the SDK's own exit handler

    def _setup_logging(self, loglevel: int | str | None = None, **_: Any) -> None:
        # Replaces Celery's logging set-up: one loguru sink, at the level of `-l`.
        settings = self.settings
        if loglevel:
            level = logging.getLevelName(loglevel) if isinstance(loglevel, int) else loglevel
            settings = replace(settings, log_level=str(level).upper())
        configure_logging(settings)


celery_app = ServiceCelery()
