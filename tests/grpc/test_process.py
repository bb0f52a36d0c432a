"""`app grpc` as a process and `serve` in-process: start, answer, stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from app.interfaces.grpc import client
from app.interfaces.grpc.server import serve
from tests.conftest import free_port, process_env
from tests.grpc.conftest import PASSWORD, unique_email


async def wait_serving(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                if time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.1)


async def test_the_grpc_process_serves_the_example_client_and_stops_on_sigterm(settings):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.interfaces.cli", "grpc", "--port", str(port)],
        env=process_env(settings, LOG_LEVEL="INFO", LOG_JSON="false", GRPC_GRACE_SECONDS="2"),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        await wait_serving(port)
        email = unique_email()
        profile = await client.run(f"127.0.0.1:{port}", email, PASSWORD)
        assert profile.email == email
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.to_thread(process.communicate, timeout=15)
    assert process.returncode == 0, stderr
    assert f"grpc serving on {settings.grpc_host}:{port}" in stderr
    assert "grpc stopping" in stderr


async def test_serve_runs_until_sigterm_then_closes_the_container(settings):
    port = free_port()
    task = asyncio.create_task(serve(settings, port))
    await wait_serving(port)
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(task, 15)
    with pytest.raises(grpc.aio.AioRpcError):
        await wait_serving(port, timeout=0.5)


async def test_the_example_client_reports_a_failed_call_and_exits_non_zero(grpc_server, capsys):
    email = unique_email()
    target = f"127.0.0.1:{grpc_server.port}"
    assert await asyncio.to_thread(client.main, ["--target", target, "--email", email]) == 0
    assert await asyncio.to_thread(client.main, ["--target", target, "--email", email]) == 1
    assert "ALREADY_EXISTS" in capsys.readouterr().err


def test_the_grpc_command_fails_clearly_when_its_port_is_taken(settings):
    with socket.socket() as taken:
        taken.bind((settings.grpc_host, 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "app.interfaces.cli", "grpc", "--port", str(port)],
            env=process_env(settings, LOG_LEVEL="WARNING"),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 1
    assert "grpc server failed" in done.stderr
