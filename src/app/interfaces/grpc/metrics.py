"""gRPC metrics: calls by method and status code, and their duration (a server interceptor)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc

from app.infrastructure.metrics import GRPC_CALLS, GRPC_DURATION
from app.interfaces.grpc.interceptors import Behavior, UnaryInterceptor


class MetricsInterceptor(UnaryInterceptor):
    """Counts and times every app.v1 unary call; outermost, so it sees the code sent.

    The method label is the full method name of a registered handler (UnaryInterceptor wraps no
    other), so the set of values is the services' methods.
    """

    async def around(
        self, behavior: Behavior, request: Any, context: grpc.aio.ServicerContext, method: str
    ) -> Any:
        started = time.perf_counter()
        code = "OK"
        try:
            return await behavior(request, context)
        except asyncio.CancelledError:  # the client went away or the deadline passed
            code = grpc.StatusCode.CANCELLED.name
            raise
        except BaseException:
            code = _code_name(context.code())
            raise
        finally:
            GRPC_CALLS.labels(method, code).inc()
            GRPC_DURATION.labels(method).observe(time.perf_counter() - started)


def _code_name(code: grpc.StatusCode | None) -> str:
    # An exception with no status set reaches the client as UNKNOWN.
    return str((code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.UNKNOWN).name)
