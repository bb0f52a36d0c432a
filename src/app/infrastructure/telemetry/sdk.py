"""The OpenTelemetry SDK of a traced process: provider, exporter, sampler, instrumentations.

Imported only when TRACING_ENABLED is true (the package's `start_tracing`). The SDK reads its
standard variables itself; only the service name has a default of ours (the process's name),
and the exporter is the OTLP one of the protocol the variables name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import grpc
from fastapi import FastAPI
from opentelemetry import context, propagate, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor
from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.grpc import aio_server_interceptor, filters
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.environment_variables import (
    OTEL_EXPORTER_OTLP_PROTOCOL,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
)
from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from app.config.celery import RELAY_OUTBOX
from app.config.settings import SettingsError
from app.infrastructure.messaging.delivery import DeadLetter, Outcome, Retry
from app.infrastructure.telemetry import TRACE_HEADER_MAX

# The Python SDK's own default when neither variable names a protocol.
DEFAULT_PROTOCOL = "grpc"
_W3C = TraceContextTextMapPropagator()
_TRACER = "app"
_REDACTED = "REDACTED"
# The Celery instrumentation's span names of the relay task, sent by beat and run by a worker.
_POLLING_TASK_SPANS = frozenset({f"apply_async/{RELAY_OUTBOX}", f"run/{RELAY_OUTBOX}"})


class QuietPolling(Sampler):
    """The configured sampler, except for the spans of polling: never recorded.

    Loops that poll (the outbox relay's round, the gRPC health reporter, Celery's broker
    connection, leader election) and the probes, which are not traced, would otherwise export
    each of their queries as a trace of one span: a client span without a parent is dropped.
    So is a round of the outbox relay that Celery beat sends every few seconds (its row's
    publish still joins the trace that row kept). A query made for a request, a message or a
    task has that span as its parent and is sampled as the configured sampler decides
    (OTEL_TRACES_SAMPLER, parentbased_always_on by default).
    """

    def __init__(self, configured: Sampler) -> None:
        self.configured = configured

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if not trace.get_current_span(parent_context).get_span_context().is_valid and (
            kind is SpanKind.CLIENT or name in _POLLING_TASK_SPANS
        ):
            return SamplingResult(Decision.DROP)
        return self.configured.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"QuietPolling{{{self.configured.get_description()}}}"


def span_exporter() -> SpanExporter:
    """The OTLP exporter of OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL.

    Raises SettingsError naming the variable when the protocol is neither grpc nor
    http/protobuf. The exporter reads its endpoint, headers, timeout and TLS files itself.
    """
    specific = os.getenv(OTEL_EXPORTER_OTLP_TRACES_PROTOCOL)
    name = OTEL_EXPORTER_OTLP_TRACES_PROTOCOL if specific else OTEL_EXPORTER_OTLP_PROTOCOL
    protocol = os.getenv(name, DEFAULT_PROTOCOL).strip()
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    elif protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # type: ignore[assignment]
            OTLPSpanExporter,
        )
    else:
        raise SettingsError(f"{name}: {protocol!r} is not one of grpc, http/protobuf")
    return OTLPSpanExporter()


def resource(service: str) -> Resource:
    """The SDK's resource (OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME), named `service` unless
    those variables name it."""
    named = SERVICE_NAME in OTELResourceDetector().detect().attributes
    return Resource.create({} if named else {SERVICE_NAME: service})


class Tracing:
    """The process's provider and the instrumentations it installed."""

    def __init__(self, service: str) -> None:
        self.provider = TracerProvider(resource=resource(service))
        # Replaced before the first tracer is made: tracers copy the sampler when created.
        self.provider.sampler = QuietPolling(self.provider.sampler)
        self.provider.add_span_processor(BatchSpanProcessor(span_exporter()))
        trace.set_tracer_provider(self.provider)
        self.tracer = self.provider.get_tracer(_TRACER)
        self._instrumentors: list[BaseInstrumentor] = [
            # The statement text only, with its $1 placeholders: never the parameters.
            AsyncPGInstrumentor(capture_parameters=False),  # type: ignore[no-untyped-call]
            # Commands are recorded as `NAME ? ?`: keys and values (emails in the attempt
            # limiter's keys, session ids) never leave the process.
            RedisInstrumentor(),
            AioPikaInstrumentor(),
            AIOKafkaInstrumentor(),
            CeleryInstrumentor(),  # type: ignore[no-untyped-call]
        ]
        for instrumentor in self._instrumentors:
            instrumentor.instrument(tracer_provider=self.provider)

    def shutdown(self) -> None:
        """Export what is still buffered, then stop (OTEL_BSP_EXPORT_TIMEOUT bounds the wait)."""
        for instrumentor in self._instrumentors:
            instrumentor.uninstrument()
        self.provider.shutdown()

    def trace_context(self) -> dict[str, str]:
        carrier: dict[str, str] = {}
        _W3C.inject(carrier)
        return {k: v for k, v in carrier.items() if len(v) <= TRACE_HEADER_MAX.get(k, 0)}

    @contextmanager
    def continued(self, trace_context: Mapping[str, object]) -> Iterator[None]:
        carrier = {k: v for k, v in trace_context.items() if isinstance(v, str)}
        if "traceparent" not in carrier:  # nothing to continue: the current span goes on
            yield
            return
        # Not based on the current context: the relay's own round is no parent of a row.
        token = context.attach(_W3C.extract(carrier, context=Context()))
        try:
            yield
        finally:
            context.detach(token)

    @contextmanager
    def handling(
        self, event: str, message_id: UUID | None, headers: Mapping[str, str]
    ) -> Iterator[Callable[[Outcome], Outcome]]:
        parent = propagate.extract(headers)  # the current context when the headers carry none
        attributes = {"messaging.operation.type": "process", "app.event": event}
        if message_id is not None:
            attributes["messaging.message.id"] = str(message_id)
        with self.tracer.start_as_current_span(
            f"{event} process",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes=attributes,
            # An exception's text may quote the message's data: the outcome says what happened.
            record_exception=False,
        ) as span:
            yield partial(_settled, span)


def _settled(span: trace.Span, outcome: Outcome) -> Outcome:
    if isinstance(outcome, DeadLetter):
        span.set_attribute("app.outcome", f"dead-letter: {outcome.reason.value}")
        span.set_status(Status(StatusCode.ERROR, outcome.reason.value))
    elif isinstance(outcome, Retry):
        span.set_attribute("app.outcome", "retry")
        span.set_status(Status(StatusCode.ERROR, "retry"))
    else:
        span.set_attribute("app.outcome", "ack")
    return outcome


def instrument_api(app: FastAPI, untraced: Collection[str]) -> None:
    """Trace the app's requests but those to the `untraced` paths (probes, metrics)."""
    FastAPIInstrumentor.instrument_app(
        app,
        excluded_urls=",".join(f"^[^/]*//[^/]*{re.escape(path)}$" for path in untraced),
        exclude_spans=["receive", "send"],
        server_request_hook=_without_query,
    )


def _without_query(span: trace.Span, scope: dict[str, Any]) -> None:
    # A query string is free text a client controls (`?access_token=...`): the spans say that
    # there was one, never what it held.
    if not span.is_recording() or not scope.get("query_string"):
        return
    recorded = getattr(span, "attributes", None) or {}
    if "http.url" in recorded:
        parts = urlsplit(str(recorded["http.url"]))
        span.set_attribute("http.url", urlunsplit(parts._replace(query=_REDACTED)))
    if "url.query" in recorded:  # OTEL_SEMCONV_STABILITY_OPT_IN=http
        span.set_attribute("url.query", _REDACTED)


def grpc_interceptors() -> list[grpc.aio.ServerInterceptor]:
    """The server span of each call, health checks excepted."""
    untraced = filters.negate(filters.health_check())
    return [aio_server_interceptor(filter_=untraced)]  # type: ignore[no-untyped-call]
