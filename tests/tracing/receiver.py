"""An OTLP trace receiver for tests: spans exported by real processes, over HTTP or gRPC.

`python -m tests.tracing.receiver PORT` runs the HTTP one alone, accepting and dropping every
export: the tracing-on benchmark (docs/observability.md) exports to it.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

SPAN_KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


@dataclass(frozen=True)
class Span:
    service: str
    trace_id: str
    span_id: str
    parent_id: str  # "" for a root span
    name: str
    kind: str
    attributes: dict[str, Any]


class Received:
    """Every export request received, raw (for scanning) and as spans."""

    def __init__(self, keep: bool = True) -> None:
        self._lock, self._keep = threading.Lock(), keep
        self.requests: list[trace_service_pb2.ExportTraceServiceRequest] = []

    def add(self, request: trace_service_pb2.ExportTraceServiceRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def add_encoded(self, body: bytes) -> None:
        if self._keep:  # a dropping receiver does not even decode
            self.add(trace_service_pb2.ExportTraceServiceRequest.FromString(body))

    @property
    def text(self) -> str:
        """Everything exported, as protobuf text: names, attributes, events, resources."""
        with self._lock:
            return "\n".join(str(request) for request in self.requests)

    @property
    def spans(self) -> list[Span]:
        with self._lock:
            requests = list(self.requests)
        return [span for request in requests for span in _spans(request)]

    def wait_for(self, check: Callable[[list[Span]], bool], timeout: float = 30.0) -> list[Span]:
        deadline = time.monotonic() + timeout
        while not check(spans := self.spans):
            if time.monotonic() > deadline:
                names = sorted({f"{s.service}: {s.name}" for s in spans})
                raise AssertionError(f"spans not received within {timeout}s; got {names}")
            time.sleep(0.1)
        return spans


def _spans(request: trace_service_pb2.ExportTraceServiceRequest) -> Iterator[Span]:
    for resource_spans in request.resource_spans:
        resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield Span(
                    service=str(resource.get("service.name", "")),
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_id=span.parent_span_id.hex(),
                    name=span.name,
                    kind=SPAN_KINDS.get(span.kind, "unspecified"),
                    attributes={a.key: _value(a.value) for a in span.attributes},
                )


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def _http_handler(received: Received) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path != "/v1/traces":
                self.send_error(404)
                return
            received.add_encoded(body)
            answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def http_receiver(port: int = 0, keep: bool = True) -> Iterator[tuple[str, Received]]:
    """An OTLP/HTTP receiver on loopback (a free port by default): (endpoint, what it got)."""
    received = Received(keep)
    server = ThreadingHTTPServer(("127.0.0.1", port), _http_handler(received))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, received: Received) -> None:
        self._received = received

    def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: grpc.ServicerContext
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        self._received.add(request)
        return trace_service_pb2.ExportTraceServiceResponse()


@contextmanager
def grpc_receiver() -> Iterator[tuple[str, Received]]:
    """An OTLP/gRPC receiver on a free loopback port: (endpoint, what it received)."""
    received = Received()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_TraceService(received), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"http://127.0.0.1:{port}", received
    finally:
        server.stop(grace=None)


if __name__ == "__main__":
    with http_receiver(int(sys.argv[1]), keep=False) as (endpoint, _):
        print(endpoint, flush=True)
        threading.Event().wait()  # until killed
