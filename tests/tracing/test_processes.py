"""One sign-up, one trace: the API, the relay, the consumer and the Celery worker, each a real
process exporting to a receiver in the test, joined by the context the outbox row kept."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.config.celery import SEND_WELCOME
from app.config.settings import Settings
from app.container import Container
from app.infrastructure.db.tables import OutboxRow
from tests.celery_helpers import own_redis_prefix
from tests.conftest import app_process, free_port, settings_with
from tests.tracing.conftest import traced_env, wait_until_serving
from tests.tracing.receiver import Span, http_receiver

SIGN_UP = "POST /api/v1/auth/sign-up/"
PROCESSES = {"app-api", "app-relay", "app-consumer", "app-worker"}
API_LOG = {"LOG_LEVEL": "INFO", "LOG_JSON": "true"}


@pytest.fixture
def fleet_settings(broker_settings: Settings) -> Iterator[Settings]:
    """The broker's settings with Celery's queues of this test only (under its Redis prefix)."""
    with own_redis_prefix(broker_settings, f"trace-{uuid.uuid4().hex[:8]}") as named:
        yield settings_with(named, outbox_relay_interval_seconds=0.2)


@pytest.mark.slow
async def test_one_sign_up_is_one_trace_from_the_api_to_the_celery_task(fleet_settings, container):
    email, password = f"trace-{uuid.uuid4().hex[:12]}@example.com", "long-password-1"
    port = free_port()
    with http_receiver() as (endpoint, received):
        env = traced_env(endpoint) | {"LOG_LEVEL": "WARNING"}
        async with AsyncExitStack() as fleet:
            processes = []
            for args in (
                ("api", "--port", str(port), "--workers", "1"),
                ("relay",),
                ("consume", "--no-relay"),
                ("worker", "--concurrency", "1"),  # prefork: the task runs in a forked child
            ):
                api = args[0] == "api"  # its log is read back: the sign-up's access line
                process = await fleet.enter_async_context(
                    app_process(
                        fleet_settings, *args, capture=api, **env | (API_LOG if api else {})
                    )
                )
                # Stopped, not killed: the worker's pool child must not outlive the test.
                fleet.push_async_callback(_stop, process)
                processes.append(process)
            await wait_until_serving(f"http://127.0.0.1:{port}", processes[0])
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/api/v1") as http:
                answer = await http.post(
                    "/auth/sign-up/", json={"email": email, "password": password}
                )
            assert answer.status_code == 201, answer.text
            spans = await asyncio.to_thread(received.wait_for, _task_ran, 60)
        recorded = await _outbox_parent(container)
    [request] = [s for s in spans if s.name == SIGN_UP]
    trace = {s.span_id: s for s in spans if s.trace_id == request.trace_id}
    assert {s.service for s in trace.values()} >= PROCESSES
    assert request.parent_id == "" and request.service == "app-api"
    # The relay publishes as a child of the API span the outbox row kept.
    [publish] = [s for s in trace.values() if s.service == "app-relay" and s.kind == "producer"]
    assert publish.parent_id == recorded and trace[recorded].service == "app-api"
    [handler] = [s for s in trace.values() if s.name == "users.registered.v1 process"]
    assert (handler.service, handler.kind) == ("app-consumer", "consumer")
    assert handler.parent_id == publish.span_id
    # The worker runs the task as a child of the send the consumer made while handling.
    [task] = [s for s in trace.values() if s.name == f"run/{SEND_WELCOME}"]
    sent = trace[task.parent_id]
    assert task.service == "app-worker"
    assert (sent.service, sent.name, sent.kind) == (
        "app-consumer",
        f"apply_async/{SEND_WELCOME}",
        "producer",
    )
    assert handler in _ancestors(sent, trace)
    for span in trace.values():  # every span of the trace hangs from the request's
        assert _ancestors(span, trace)[-1] is request, span
    for secret in (email, password):
        assert secret not in received.text
    # The API's access line of the sign-up names the request's trace and span.
    records = await _records(processes[0])
    [line] = [r for r in records if r["message"].startswith(f"{SIGN_UP} 201 ")]
    assert line["extra"]["request_id"] == answer.headers["X-Request-ID"]
    assert (line["extra"]["trace_id"], line["extra"]["span_id"]) == (
        request.trace_id,
        request.span_id,
    )


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)


async def _outbox_parent(container: Container) -> str:
    """The span id in the traceparent the sign-up's outbox row recorded."""
    async with container.sessions() as session:
        query = select(OutboxRow.traceparent).where(OutboxRow.event == "users.registered.v1")
        traceparent = (await session.scalars(query)).one()
    assert traceparent is not None
    return traceparent.split("-")[2]


async def _records(process: asyncio.subprocess.Process) -> list[dict[str, Any]]:
    """The JSON log records a stopped process wrote to standard error."""
    assert process.stderr is not None
    lines = (await process.stderr.read()).decode().splitlines()
    return [json.loads(line)["record"] for line in lines if line.startswith("{")]


def _task_ran(spans: list[Span]) -> bool:
    return any(s.service == "app-worker" and s.name == f"run/{SEND_WELCOME}" for s in spans)


def _ancestors(span: Span, trace: dict[str, Span]) -> list[Span]:
    """The span and its parents up to the first whose parent is not in `trace`."""
    chain = [span]
    while chain[-1].parent_id in trace:
        chain.append(trace[chain[-1].parent_id])
    return chain
