"""GetMe calls per second over gRPC next to GET /api/v1/users/me/ over REST, in the same run.

    .venv/bin/python scripts/bench_grpc.py [--seconds 8] [--concurrency 32] [--rounds 3]

Starts `app grpc` and `app api --workers 1` (one process each, pinned to CPU 0 when taskset
exists, PROD settings, database app_bench), signs one user in, then alternates REST and gRPC
rounds from a concurrent asyncio client pinned to CPU 1. Both clients are thin: raw HTTP/1.1
keep-alive connections for REST, generated stubs over a few channels for gRPC. Every response
is checked; a failed call is counted as an error, never as throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import grpc
import httpx

from app.interfaces.grpc.pb import users_pb2, users_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / ".venv/bin/app")
ENV = {
    "LAUNCH_MODE": "PROD",
    "DEBUG": "false",
    "LOG_LEVEL": "WARNING",
    "LOG_JSON": "true",
    "DB_NAME": "app_bench",
    # PROD refuses every key committed in the repository, an empty database password,
    # guest:guest and a reset link that is not https. The local PostgreSQL trusts loopback
    # connections (the password is not checked) and nothing here publishes or mails.
    "SECRET_KEY": secrets.token_urlsafe(48),
    "DB_PASSWORD": "unchecked-by-trust-authentication",
    "MESSAGE_BROKER_URL": "amqp://bench:unused@127.0.0.1:5672/",
    "SIGN_IN_ATTEMPTS_PER_MINUTE": "100000",
    "PASSWORD_RESET_URL": "https://bench.invalid/reset?token={token}",
    # Two servers at once: keep both pools well inside PostgreSQL's default 100 connections.
    "CONNECTIONS_POOL_MIN_SIZE": "16",
    "CONNECTIONS_POOL_MAX_OVERFLOW": "0",
}
PASSWORD = "correct horse battery"
_LENGTH = re.compile(rb"content-length: *(\d+)", re.IGNORECASE)
Worker = Callable[[float], Awaitable[tuple[int, int]]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def prepare_database(env: dict[str, str]) -> None:
    conn = await asyncpg.connect(host="127.0.0.1", user="postgres", database="postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", ENV["DB_NAME"]):
            await conn.execute(f'CREATE DATABASE "{ENV["DB_NAME"]}"')
    finally:
        await conn.close()
    subprocess.run([APP, "migrate"], env=env, check=True, capture_output=True)


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    return subprocess.Popen([*pin, APP, *args], env=env)


async def access_token(rest: str) -> str:
    email = f"bench-{time.time_ns()}@example.com"
    body = {"email": email, "password": PASSWORD}
    async with httpx.AsyncClient(base_url=f"{rest}/api/v1", timeout=5) as http:
        for _ in range(100):
            try:
                await http.get("/debug/health/")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.2)
        (await http.post("/auth/sign-up/", json=body)).raise_for_status()
        tokens = await http.post("/auth/tokens/", json=body)
        tokens.raise_for_status()
        token: str = tokens.json()["access"]
        return token


def rest_worker(port: int, token: str) -> Worker:
    request = (
        f"GET /api/v1/users/me/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\n\r\n"
    ).encode()

    async def work(until: float) -> tuple[int, int]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        ok = failed = 0
        while time.perf_counter() < until:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            match = _LENGTH.search(head)
            body = await reader.readexactly(int(match.group(1)) if match else 0)
            if head.startswith(b"HTTP/1.1 200") and b'"email"' in body:
                ok += 1
            else:
                failed += 1
        writer.close()
        return ok, failed

    return work


def grpc_worker(stub: users_pb2_grpc.UsersServiceStub, token: str) -> Worker:
    metadata = (("authorization", f"Bearer {token}"),)
    request = users_pb2.GetMeRequest()

    async def work(until: float) -> tuple[int, int]:
        ok = failed = 0
        while time.perf_counter() < until:
            try:
                reply = await stub.GetMe(request, metadata=metadata)
                ok, failed = (ok + 1, failed) if reply.email else (ok, failed + 1)
            except grpc.aio.AioRpcError:
                failed += 1
        return ok, failed

    return work


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc (0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(workers: list[Worker], seconds: float, pid: int) -> tuple[float, int, float]:
    """Calls per second, failed calls, and the server's CPU use (1.0 = one core) meanwhile."""
    await asyncio.gather(*(w(time.perf_counter() + 1.0) for w in workers))  # warm-up
    started, cpu = time.perf_counter(), cpu_seconds(pid)
    results = await asyncio.gather(*(w(started + seconds) for w in workers))
    elapsed = time.perf_counter() - started
    busy = (cpu_seconds(pid) - cpu) / elapsed
    return sum(ok for ok, _ in results) / elapsed, sum(failed for _, failed in results), busy


async def bench(args: argparse.Namespace, rest_port: int, grpc_port: int, pids: list[int]) -> None:
    token = await access_token(f"http://127.0.0.1:{rest_port}")
    channels = [grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}") for _ in range(args.channels)]
    stubs = [users_pb2_grpc.UsersServiceStub(c) for c in channels]  # type: ignore[no-untyped-call]
    rest = [rest_worker(rest_port, token) for _ in range(args.concurrency)]
    rpc = [grpc_worker(stubs[i % len(stubs)], token) for i in range(args.concurrency)]
    figures: dict[str, list[float]] = {"rest": [], "grpc": []}
    for round_ in range(1, args.rounds + 1):
        for name, workers, pid in (("rest", rest, pids[0]), ("grpc", rpc, pids[1])):
            rate, failed, busy = await measure(workers, args.seconds, pid)
            figures[name].append(rate)
            print(
                f"round {round_} {name:4} {rate:8.0f} calls/s  server cpu {busy:4.0%}"
                f"  errors={failed}",
                flush=True,
            )
    for channel in channels:
        await channel.close()
    rest_rate, grpc_rate = statistics.median(figures["rest"]), statistics.median(figures["grpc"])
    print(f"RESULT rest_median={rest_rate:.0f}/s grpc_median={grpc_rate:.0f}/s", end=" ")
    print(f"ratio_grpc_over_rest={grpc_rate / rest_rate:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--channels", type=int, default=4, help="gRPC channels (connections)")
    args = parser.parse_args()
    env = {**os.environ, **ENV}
    asyncio.run(prepare_database(env))
    rest_port, grpc_port = free_port(), free_port()
    servers = [
        start(["api", "--port", str(rest_port), "--workers", "1"], env),
        start(["grpc", "--port", str(grpc_port)], env),
    ]
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    try:
        asyncio.run(bench(args, rest_port, grpc_port, [s.pid for s in servers]))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
