"""Tracing's setup: the SDK's variables decide, TRACING_ENABLED=false installs nothing at all."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpExporter,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased
from opentelemetry.trace import SpanKind
from redis.asyncio import Redis

from app.config.celery import DEFAULT_QUEUE, RELAY_OUTBOX
from app.config.settings import Settings, SettingsError
from app.infrastructure.telemetry.sdk import QuietPolling, resource, span_exporter
from tests.celery_helpers import own_redis_prefix
from tests.conftest import app_process, process_env
from tests.tracing.conftest import traced_env
from tests.tracing.receiver import grpc_receiver, http_receiver

_PROTOCOLS = ("OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")


@pytest.fixture
def otel_env(monkeypatch):
    for name in (*_PROTOCOLS, "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("variables", "exporter"),
    [
        ({}, GrpcExporter),  # the Python SDK's default
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, GrpcExporter),
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, HttpExporter),
        (
            {
                "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
            },
            HttpExporter,
        ),
    ],
)
def test_the_otlp_protocol_variables_choose_the_exporter(otel_env, variables, exporter):
    for name, value in variables.items():
        otel_env.setenv(name, value)
    chosen = span_exporter()
    try:
        assert type(chosen) is exporter
    finally:
        chosen.shutdown()


def test_an_unknown_protocol_stops_the_process_naming_the_variable(otel_env):
    otel_env.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")
    with pytest.raises(SettingsError, match="OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"):
        span_exporter()


def test_a_process_is_named_after_itself_unless_the_variables_name_it(otel_env):
    assert resource("app-relay").attributes["service.name"] == "app-relay"
    otel_env.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes,team=core")
    assert resource("app-relay").attributes["service.name"] == "from-attributes"
    otel_env.setenv("OTEL_SERVICE_NAME", "from-service-name")
    assert resource("app-relay").attributes["service.name"] == "from-service-name"


def _recorded(sampler) -> list[str]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=sampler)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("orphan query", kind=SpanKind.CLIENT):
        pass
    with (
        tracer.start_as_current_span("request", kind=SpanKind.SERVER),
        tracer.start_as_current_span("query of the request", kind=SpanKind.CLIENT),
    ):
        pass
    with tracer.start_as_current_span("publish", kind=SpanKind.PRODUCER):
        pass
    for name in (f"apply_async/{RELAY_OUTBOX}", f"run/{RELAY_OUTBOX}"):  # beat, every few seconds
        with tracer.start_as_current_span(name, kind=SpanKind.PRODUCER):
            pass
    return sorted(span.name for span in exporter.get_finished_spans())


def test_polling_spans_without_a_parent_are_dropped_and_the_rest_sampled_as_configured():
    assert _recorded(QuietPolling(ParentBased(ALWAYS_ON))) == [
        "publish",
        "query of the request",
        "request",
    ]
    assert _recorded(QuietPolling(ParentBased(ALWAYS_OFF))) == []


_PROBE = """
import sys
import asyncpg
from app.config.settings import load_settings
from app.container import build_container
from app.infrastructure.telemetry import start_tracing, stop_tracing
from app.interfaces.api.app import create_app

settings = load_settings()
create_app(build_container(settings))
start_tracing(settings, "app-probe")
# redis-py imports parts of OpenTelemetry for metrics of its own: these are tracing's.
tracing = ("opentelemetry.sdk.trace", "opentelemetry.instrumentation", "opentelemetry.exporter")
print(",".join(m for m in tracing if m in sys.modules) or "-")
print(hasattr(asyncpg.connection.Connection.execute, "__wrapped__"))
if "--span" in sys.argv:
    from opentelemetry import trace
    with trace.get_tracer("probe").start_as_current_span("probe span"):
        pass
stop_tracing()
"""


def _probe(settings, *args: str, **env: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        env=process_env(settings, LOG_LEVEL="WARNING", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_tracing_disabled_loads_no_tracing_module_and_instruments_nothing(settings):
    assert _probe(settings, TRACING_ENABLED="false") == ["-", "False"]
    loaded, instrumented = _probe(settings, **traced_env("http://127.0.0.1:9"))
    assert loaded.split(",") == [
        "opentelemetry.sdk.trace",
        "opentelemetry.instrumentation",
        "opentelemetry.exporter",
    ]
    assert instrumented == "True"


def test_spans_reach_an_otlp_grpc_receiver_when_the_protocol_is_grpc(settings):
    with grpc_receiver() as (endpoint, received):
        _probe(settings, "--span", **traced_env(endpoint, protocol="grpc"))
        [span] = received.wait_for(lambda spans: bool(spans), timeout=10)
    assert (span.service, span.name) == ("app-probe", "probe span")


async def test_beat_is_traced_but_its_relay_rounds_are_not_recorded(settings, tmp_path):
    with (
        own_redis_prefix(settings, f"beat-{uuid.uuid4().hex[:8]}") as prefixed,
        http_receiver() as (
            endpoint,
            received,
        ),
    ):
        schedule = str(tmp_path / "schedule")
        async with app_process(prefixed, "beat", "-s", schedule, **traced_env(endpoint)):
            task = await _first_task(prefixed)
            await asyncio.sleep(1)  # ten export intervals
    assert task["headers"]["task"] == RELAY_OUTBOX
    # Instrumented (the context goes with the task) but not sampled: the worker drops it too.
    flags = int(task["headers"]["traceparent"].rsplit("-", 1)[1], 16)
    assert flags & 1 == 0  # W3C's `sampled` bit
    assert received.spans == []


async def _first_task(settings: Settings) -> dict[str, Any]:
    """The first task message beat queued (Celery's Redis list of the default queue)."""
    key = f"{settings.redis_key_prefix}{DEFAULT_QUEUE}"
    client = Redis.from_url(settings.celery_broker_url)
    try:
        for _ in range(300):
            if raw := await client.lindex(key, -1):
                return dict(json.loads(raw))
            await asyncio.sleep(0.1)
    finally:
        await client.aclose()
    raise AssertionError(f"beat queued nothing in {key}")
