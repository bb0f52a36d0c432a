"""One sign-up, one trace: the API, the relay, the consumer and the Celery worker, each a real
process exporting to a receiver in the test, joined by the context the outbox row kept."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack

import httpx
import pytest

from app.config.celery import SEND_WELCOME
from app.config.settings import Settings
from tests.celery_helpers import own_redis_prefix
from tests.conftest import app_process, free_port, settings_with
from tests.tracing.conftest import traced_env, wait_until_serving
from tests.tracing.receiver import Span, http_receiver

SIGN_UP = "POST /api/v1/auth/sign-up/"
PROCESSES = {"app-api", "app-relay", "app-consumer", "app-worker"}


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
                process = await fleet.enter_async_context(app_process(fleet_settings, *args, **env))
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
    [request] = [s for s in spans if s.name == SIGN_UP]
    trace = {s.span_id: s for s in spans if s.trace_id == request.trace_id}
    assert {s.service for s in trace.values()} >= PROCESSES
    assert request.parent_id == "" and request.service == "app-api"
    [handler] = [s for s in trace.values() if s.name == "users.registered.v1 process"]
    [task] = [s for s in trace.values() if s.name == f"run/{SEND_WELCOME}"]
    assert (handler.service, task.service) == ("app-consumer", "app-worker")
    assert trace[handler.parent_id].service == "app-relay"  # the relay's publish
    assert _ancestors(task, trace)[-1] is request
    for span in trace.values():  # every span of the trace hangs from the request's
        assert _ancestors(span, trace)[-1] is request, span
    for secret in (email, password):
        assert secret not in received.text


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)


def _task_ran(spans: list[Span]) -> bool:
    return any(s.service == "app-worker" and s.name == f"run/{SEND_WELCOME}" for s in spans)


def _ancestors(span: Span, trace: dict[str, Span]) -> list[Span]:
    """The span and its parents up to the first whose parent is not in `trace`."""
    chain = [span]
    while chain[-1].parent_id in trace:
        chain.append(trace[chain[-1].parent_id])
    return chain
