"""The service's Prometheus metrics, declared once, and what a scrape of this process reports.

Names follow Prometheus' conventions (a unit suffix, `_total` on counters) and every label has a
bounded set of values (route templates, HANDLERS_MAP events, task names, status classes): no
client can create series. Processes that fork workers (gunicorn, `app api --workers N`, the
Celery prefork pool) keep their values in files (prometheus-client's multiprocess mode, set up
by infrastructure/multiprocess.py before this module is imported), so a scrape of any worker
reports the sum over all of them.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from app.application.ports import PasswordHasher
from app.infrastructure import multiprocess
from app.infrastructure.security import BcryptHasher

# prometheus-client made its choice when imported just above: this module follows it.
_SHARED_DIR = os.environ.get(multiprocess.VARIABLE) or None
SAMPLE_SECONDS = 5.0
_TASK_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

HTTP_REQUESTS = Counter(
    "app_http_requests_total",
    "HTTP requests answered, by route template, method and status class (2xx..5xx).",
    ("route", "method", "status"),
)
HTTP_DURATION = Histogram(
    "app_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template and method.",
    ("route", "method"),
)
HTTP_IN_FLIGHT = Gauge(
    "app_http_requests_in_flight", "HTTP requests being answered.", multiprocess_mode="livesum"
)
GRPC_CALLS = Counter(
    "app_grpc_calls_total",
    "gRPC calls of app.v1 methods, by method and status code.",
    ("method", "code"),
)
GRPC_DURATION = Histogram(
    "app_grpc_call_duration_seconds", "Time to answer a gRPC call, by method.", ("method",)
)
CONSUMER_HANDLED = Counter(
    "app_consumer_messages_handled_total",
    "Deliveries acknowledged: handled now or before, by event.",
    ("event",),
)
CONSUMER_RETRIED = Counter(
    "app_consumer_messages_retried_total",
    "Deliveries that failed this attempt and will come again, by event.",
    ("event",),
)
CONSUMER_DEAD_LETTERED = Counter(
    "app_consumer_messages_dead_lettered_total",
    "Deliveries parked in the dead-letter queue or topic, by event and reason.",
    ("event", "reason"),
)
CONSUMER_DURATION = Histogram(
    "app_consumer_handler_duration_seconds",
    "Time to decide a delivery (parse, handle, outcome), by event.",
    ("event",),
)
INBOX_DUPLICATES = Counter(
    "app_inbox_duplicates_total",
    "Deliveries skipped because their message id was handled before, by handler "
    "(a HANDLERS_MAP event in the consumer, a task name in a Celery worker).",
    ("handler",),
)
OUTBOX_PUBLISHED = Counter("app_outbox_published_total", "Outbox rows the broker confirmed.")
OUTBOX_FAILURES = Counter(
    "app_outbox_publish_failures_total",
    "Outbox publications that failed: broker-unavailable (the round stops) or refused (the row"
    " waits for its backoff).",
    ("reason",),
)
OUTBOX_PARKED = Counter(
    "app_outbox_parked_total", "Outbox rows parked after OUTBOX_MAX_ATTEMPTS refusals."
)
CELERY_TASKS = Counter(
    "app_celery_tasks_total",
    "Celery tasks by name and state: sent (by a producer); succeeded, failed, retried (by a"
    " worker).",
    ("task", "state"),
)
CELERY_DURATION = Histogram(
    "app_celery_task_duration_seconds",
    "Time a worker ran a task, by name.",
    ("task",),
    buckets=_TASK_BUCKETS,
)
DB_POOL_CHECKED_OUT = Gauge(
    "app_db_pool_checked_out_connections",
    "Database connections in use (overflow included), sampled every 5 s.",
    multiprocess_mode="livesum",
)
DB_POOL_SIZE = Gauge(
    "app_db_pool_size_connections",
    "Connections the pool keeps (CONNECTIONS_POOL_MIN_SIZE); overflow comes on top.",
    multiprocess_mode="livesum",
)
PASSWORD_HASH_QUEUE = Gauge(
    "app_password_hash_queue_length",
    "Password hashes waiting for a hashing thread (at most PASSWORD_HASH_QUEUE_LIMIT), sampled"
    " every 5 s.",
    multiprocess_mode="livesum",
)


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    """What the relay holder saw of the outbox: pending rows, the oldest one's time, parked rows."""

    pending: int
    oldest_pending_at: float | None  # seconds since the epoch
    parked: int


class _OutboxGauges(Collector):
    """The last backlog a relay holder of this process (or pod) reported, while it is fresh.

    Only the process holding the relay queries the outbox; a process that stopped holding it
    stops reporting once its figures expire, so stale numbers never sit beside the holder's.
    The age of the oldest row is computed at scrape time, so it keeps growing between rounds.
    """

    def __init__(self) -> None:
        self._last: tuple[OutboxBacklog, float] | None = None

    def report(self, backlog: OutboxBacklog, valid_for: float) -> None:
        expires = time.time() + valid_for
        if _SHARED_DIR is None:
            self._last = (backlog, expires)
            return
        # Another process of the pod serves the scrape: the figures go through a file.
        path = Path(_SHARED_DIR, "outbox_backlog.json")
        partial = path.with_suffix(f".{os.getpid()}")
        partial.write_text(json.dumps({"backlog": asdict(backlog), "expires": expires}))
        partial.replace(path)

    def describe(self) -> list[GaugeMetricFamily]:
        return _outbox_families(OutboxBacklog(pending=0, oldest_pending_at=None, parked=0))

    def collect(self) -> list[GaugeMetricFamily]:
        last = self._read()
        if last is None or last[1] < time.time():
            return []
        return _outbox_families(last[0])

    def _read(self) -> tuple[OutboxBacklog, float] | None:
        if _SHARED_DIR is None:
            return self._last
        with suppress(FileNotFoundError, ValueError, KeyError, TypeError):
            stored = json.loads(Path(_SHARED_DIR, "outbox_backlog.json").read_text())
            return OutboxBacklog(**stored["backlog"]), float(stored["expires"])
        return None


def _outbox_families(backlog: OutboxBacklog) -> list[GaugeMetricFamily]:
    oldest = backlog.oldest_pending_at
    age = 0.0 if oldest is None else max(0.0, time.time() - oldest)
    return [
        GaugeMetricFamily(
            "app_outbox_pending_rows", "Outbox rows waiting to be published.", backlog.pending
        ),
        GaugeMetricFamily(
            "app_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending outbox row (0 when none).",
            age,
        ),
        GaugeMetricFamily(
            "app_outbox_parked_rows",
            "Outbox rows parked for an operator (app outbox).",
            backlog.parked,
        ),
    ]


OUTBOX_GAUGES = _OutboxGauges()
REGISTRY.register(OUTBOX_GAUGES)


def report_outbox_backlog(backlog: OutboxBacklog, valid_for: float) -> None:
    """Publish the relay holder's view of the outbox for the next `valid_for` seconds."""
    OUTBOX_GAUGES.report(backlog, valid_for)


def scrape_registry() -> CollectorRegistry:
    """What a scrape reports: this process's metrics, or every worker's in multiprocess mode."""
    if _SHARED_DIR is None:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, _SHARED_DIR)  # type: ignore[no-untyped-call]
    registry.register(OUTBOX_GAUGES)
    return registry


def exposition(accept: str | None) -> tuple[bytes, str]:
    """The scrape's body and content type (OpenMetrics when the scraper asks for it)."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(scrape_registry()), content_type


@asynccontextmanager
async def sampling(engine: AsyncEngine, hasher: PasswordHasher) -> AsyncIterator[None]:
    """Sample this process's pools into their gauges every SAMPLE_SECONDS while the block runs.

    Sampled, not read at scrape time: in multiprocess mode the worker answering a scrape cannot
    see the pools of the others, and a read per request would cost the hot path.
    """
    multiprocess.forget_dead_workers()  # a killed predecessor's gauges would stay in the sums
    task = asyncio.create_task(_sample_forever(engine, hasher))
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def _sample_forever(engine: AsyncEngine, hasher: PasswordHasher) -> None:
    while True:
        sample_pools(engine, hasher)
        await asyncio.sleep(SAMPLE_SECONDS)


def sample_pools(engine: AsyncEngine, hasher: PasswordHasher) -> None:
    pool = engine.pool
    if isinstance(pool, QueuePool):  # the engine's pool; others keep no counts
        DB_POOL_CHECKED_OUT.set(pool.checkedout())
        DB_POOL_SIZE.set(pool.size())
    if isinstance(hasher, BcryptHasher):
        PASSWORD_HASH_QUEUE.set(hasher.waiting)
