"""The consumer process's life: start (retrying while the broker is down), consume, drain, stop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress

from loguru import logger

from app.container import Container
from app.domain.shared import DependencyUnavailable
from app.infrastructure.messaging.delivery import backoff
from app.infrastructure.messaging.kafka import KafkaPublisher
from app.infrastructure.messaging.kafka_consumer import KafkaConsumer
from app.infrastructure.messaging.rabbitmq import RabbitPublisher
from app.infrastructure.messaging.rabbitmq_consumer import RabbitConsumer
from app.interfaces.consumer.dispatch import Dispatcher, TaskSender
from app.interfaces.consumer.handlers import HANDLERS_MAP, CeleryRoute, Handler

START_RETRY_BASE = 0.5
START_RETRY_CAP = 10.0
_BROKER_DOWN = (DependencyUnavailable, OSError, TimeoutError, RuntimeError)


async def consume(
    container: Container,
    stop: asyncio.Event,
    *,
    handlers: Mapping[str, Handler | CeleryRoute] = HANDLERS_MAP,
    task_sender: TaskSender | None = None,
    with_relay: bool = True,
) -> None:
    """Consume until `stop` is set, then finish in-flight messages (CONSUMER_SHUTDOWN_TIMEOUT).

    Raises ConfigurationError at once when HANDLERS_MAP cannot be served.
    """
    settings = container.settings
    dispatcher = Dispatcher(
        container,
        handlers,
        max_retries=settings.consumer_max_retries,
        base_delay=settings.consumer_retry_base_delay_ms / 1000,
        task_sender=task_sender,
    )
    relay = None
    if with_relay:
        interval = settings.outbox_relay_interval_seconds
        relay = asyncio.create_task(container.relay.run_forever(interval, stop))
    try:
        publisher = container.publisher
        if isinstance(publisher, KafkaPublisher):
            await _consume_kafka(container, publisher, dispatcher, stop)
        else:
            assert isinstance(publisher, RabbitPublisher)
            await _consume_rabbitmq(container, publisher, dispatcher, stop)
    finally:
        if relay is not None:
            stop.set()
            await relay


async def _consume_rabbitmq(
    container: Container, publisher: RabbitPublisher, dispatcher: Dispatcher, stop: asyncio.Event
) -> None:
    consumer = RabbitConsumer(publisher, dispatcher, container.settings.consumer_prefetch)
    if not await _until_started(consumer.start, stop):
        return
    logger.info("consuming queue {}", publisher.names.queue)
    await stop.wait()
    left = await consumer.stop(container.settings.consumer_shutdown_timeout)
    logger.info("consumer stopped; {} unfinished messages returned to the queue", left)


async def _consume_kafka(
    container: Container, publisher: KafkaPublisher, dispatcher: Dispatcher, stop: asyncio.Event
) -> None:
    settings = container.settings
    consumer = KafkaConsumer(
        publisher,
        dispatcher,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group=settings.consumer_group,
        prefetch=settings.consumer_prefetch,
        session_timeout_ms=settings.kafka_session_timeout_ms,
    )
    attempt = 0
    while not stop.is_set():
        started = time.monotonic()
        task = asyncio.create_task(consumer.run(stop))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait([task, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not task.done():
            logger.info("consuming topic {}: finishing in-flight records", publisher.topic)
            await _finish(task, settings.consumer_shutdown_timeout)
            return
        failure = "cancelled" if task.cancelled() else task.exception()
        if failure is None:
            return
        # A consumer that ran a while before failing starts over with the shortest delay.
        attempt = 1 if time.monotonic() - started > START_RETRY_CAP else attempt + 1
        logger.warning("Kafka consumer failed, restarting: {}", failure)
        await _sleep_unless_stopped(backoff(START_RETRY_BASE, attempt, START_RETRY_CAP), stop)


async def _until_started(start: Callable[[], Awaitable[None]], stop: asyncio.Event) -> bool:
    attempt = 0
    while not stop.is_set():
        try:
            await start()
            return True
        except _BROKER_DOWN as exc:
            attempt += 1
            logger.warning("broker unavailable, retrying: {}", exc)
            await _sleep_unless_stopped(backoff(START_RETRY_BASE, attempt, START_RETRY_CAP), stop)
    return False


async def _finish(task: asyncio.Task[None], timeout: float) -> None:
    # Records not committed by then are delivered again to the next consumer of the group.
    done, _ = await asyncio.wait([task], timeout=timeout)
    if not done:
        task.cancel()
    with suppress(asyncio.CancelledError, Exception):
        await task


async def _sleep_unless_stopped(seconds: float, stop: asyncio.Event) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
