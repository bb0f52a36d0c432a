"""Traces (OpenTelemetry), switched on by TRACING_ENABLED: one setup per process, and the trace
context carried where no instrumentation carries it.

Off (the default), no OpenTelemetry module is imported, nothing is instrumented or exported,
and every helper below costs one test of a module variable. On, `start_tracing` configures the
SDK from its standard OTEL_* variables and installs the maintained instrumentations (sdk.py);
the helpers then carry the W3C context through the outbox: into the row written with an event,
from the row into the relay's publish, and from the message headers into the consumer's
handler span.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING
from uuid import UUID

from app.config.settings import Settings

if TYPE_CHECKING:
    import grpc
    from fastapi import FastAPI

    from app.infrastructure.messaging.delivery import Outcome
    from app.infrastructure.telemetry.sdk import Tracing

TRACE_HEADERS = ("traceparent", "tracestate")
# The outbox columns' sizes: a version-00 traceparent is 55 characters, and W3C asks that a
# tracestate up to 512 be passed on whole (a longer one may be dropped, and is).
TRACE_HEADER_MAX = {"traceparent": 55, "tracestate": 512}
# The process's tracing, once started; OpenTelemetry's provider is process-wide as well.
_tracing: Tracing | None = None


def start_tracing(settings: Settings, service: str) -> None:
    """Configure the SDK as process `service` (unless OTEL_SERVICE_NAME names it); once.

    Raises SettingsError for an OTLP protocol other than grpc and http/protobuf."""
    global _tracing
    if settings.tracing_enabled and _tracing is None:
        from app.infrastructure.telemetry.sdk import Tracing

        _tracing = Tracing(service)


def stop_tracing() -> None:
    """Export the spans still buffered and remove the instrumentations."""
    global _tracing
    tracing, _tracing = _tracing, None
    if tracing is not None:
        tracing.shutdown()


@contextmanager
def traced_process(settings: Settings, service: str) -> Iterator[None]:
    """The block runs traced as `service` when tracing is enabled; flushed at its end."""
    start_tracing(settings, service)
    try:
        yield
    finally:
        stop_tracing()


def instrument_api(app: FastAPI, settings: Settings, untraced: Collection[str]) -> None:
    """Trace the API's requests, except those to the `untraced` paths."""
    if settings.tracing_enabled:
        from app.infrastructure.telemetry.sdk import instrument_api as instrument

        instrument(app, untraced)


def grpc_interceptors(settings: Settings) -> list[grpc.aio.ServerInterceptor]:
    """The gRPC server's tracing interceptor (first of all), or none."""
    if not settings.tracing_enabled:
        return []
    from app.infrastructure.telemetry.sdk import grpc_interceptors as interceptors

    return interceptors()


def current_trace_context() -> dict[str, str]:
    """The W3C headers (`traceparent`, `tracestate`) of the current span; empty when untraced."""
    return _tracing.trace_context() if _tracing is not None else {}


@contextmanager
def continued(trace_context: Mapping[str, object]) -> Iterator[bool]:
    """Run the block (one publish) in the trace of `trace_context`, an outbox row's headers
    (without a `traceparent`, in the current one).

    Yields True when the broker's instrumentation writes the trace headers itself: those of
    its publish span, a child of `trace_context`. Untraced, it yields False and the caller
    sends `trace_context` as it is, so a traced consumer still continues the producer's trace.
    """
    if _tracing is None:
        yield False
        return
    with _tracing.continued(trace_context):
        yield True


@contextmanager
def handling(
    event: str, message_id: UUID | None, headers: Mapping[str, str]
) -> Iterator[Callable[[Outcome], Outcome]]:
    """The consumer's span around one handler run, a child of the context in `headers`.

    Yields `settled`, which notes the delivery's outcome on the span and returns it."""
    if _tracing is None:
        yield _as_it_is
        return
    with _tracing.handling(event, message_id, headers) as settled:
        yield settled


def _as_it_is(outcome: Outcome) -> Outcome:
    return outcome
