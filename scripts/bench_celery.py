"""Tasks per second through one Celery worker process (prefork, concurrency 2), same run:

- `app`: the service's `celery_app` (one container and one event loop per worker process);
- `plain`: a plain Celery app with the same configuration but no bridge, its database task
  doing what one does without it: `asyncio.run` and a new connection per task.

Each app runs a no-op task and a task reading one user profile. It needs PostgreSQL and Redis
on their local ports; it makes (and drops) its own database and Redis key prefix.

    .venv/bin/python scripts/bench_celery.py [--tasks 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import asyncpg
import redis
from alembic import command
from celery import Celery

from app.config.celery import PING, READ_PROFILE, celery_config
from app.config.settings import Settings, load_settings

HERE = Path(__file__).resolve().parent
PROFILE_SQL = "SELECT uuid, email, first_name, last_name, is_active FROM users WHERE uuid = $1"
PLAIN_NOOP = "bench.plain.noop"
PLAIN_READ = "bench.plain.read_profile"


def _settings() -> Settings:
    run = secrets.token_hex(4)
    os.environ.update(
        LAUNCH_MODE="TEST",
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_hex(32),
        DB_NAME=f"bench_celery_{run}",
        REDIS_KEY_PREFIX=f"bench:{run}:",
        LOG_LEVEL="WARNING",
        CONNECTIONS_POOL_MIN_SIZE="2",
    )
    return load_settings()


plain_app = Celery("plain")


@plain_app.on_configure.connect
def _configure(sender: Celery, **_: Any) -> None:
    # The same broker, serializer and acknowledgement settings as the service: only the bridge
    # differs.
    sender.config_from_object(celery_config(load_settings()))


@plain_app.task(name=PLAIN_NOOP, shared=False)
def noop() -> str:
    return "pong"


@plain_app.task(name=PLAIN_READ, shared=False)
def read_profile(user_uuid: str) -> dict[str, Any]:
    return asyncio.run(_read_once(load_settings(), user_uuid))


async def _read_once(settings: Settings, user_uuid: str) -> dict[str, Any]:
    conn = await _connect(settings, settings.db_name)
    try:
        return dict(await conn.fetchrow(PROFILE_SQL, user_uuid))
    finally:
        await conn.close()


async def _connect(settings: Settings, database: str) -> asyncpg.Connection:
    password = settings.db_password or None
    return await asyncpg.connect(
        host=settings.db_host,
        port=settings.db_port,
        user=settings.db_user,
        password=password,
        database=database,
    )


async def _admin(settings: Settings, sql: str) -> None:
    conn = await _connect(settings, "postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _insert_user(settings: Settings) -> str:
    conn = await _connect(settings, settings.db_name)
    try:
        row = await conn.fetchrow(
            "INSERT INTO users (uuid, email, password_hashed) VALUES (gen_random_uuid(), $1, 'x')"
            " RETURNING uuid",
            "bench@example.com",
        )
        return str(row["uuid"])
    finally:
        await conn.close()


def _env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    for field in fields(settings):
        value = getattr(settings, field.name)
        env[field.name.upper()] = ",".join(value) if isinstance(value, tuple) else str(value)
    return env


def _start_worker(settings: Settings, target: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "celery", "-A", target, "worker", "-c", "2", "-l", "WARNING"]
    return subprocess.Popen(
        cmd, cwd=HERE, env=_env(settings), stdout=subprocess.DEVNULL, start_new_session=True
    )


def _measure(producer: Celery, name: str, args: list[str], count: int) -> float:
    started = time.perf_counter()
    sent = [producer.send_task(name, args=args) for _ in range(count)]
    for result in sent:
        result.get(timeout=120)
    return count / (time.perf_counter() - started)


def _bench(
    settings: Settings, target: str, tasks: dict[str, tuple[str, list[str]]], n: int, rounds: int
) -> dict[str, float]:
    producer = Celery("producer")
    producer.config_from_object(celery_config(settings))
    worker = _start_worker(settings, target)
    try:
        for name, args in tasks.values():  # warm-up: the worker is up, children are forked
            _measure(producer, name, args, 50)
        return {
            label: statistics.median(_measure(producer, name, args, n) for _ in range(rounds))
            for label, (name, args) in tasks.items()
        }
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2000, help="tasks per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements (median reported)")
    args = parser.parse_args()
    settings = _settings()
    asyncio.run(_admin(settings, f'CREATE DATABASE "{settings.db_name}"'))
    try:
        from app.interfaces.cli.migrate import alembic_config

        command.upgrade(alembic_config(settings.database_url), "head")
        user = asyncio.run(_insert_user(settings))
        ours = _bench(
            settings,
            "app.interfaces.cli.celery_app",
            {"no-op": (PING, []), "one DB read": (READ_PROFILE, [user])},
            args.tasks,
            args.rounds,
        )
        plain = _bench(
            settings,
            "bench_celery:plain_app",
            {"no-op": (PLAIN_NOOP, []), "one DB read": (PLAIN_READ, [user])},
            args.tasks,
            args.rounds,
        )
    finally:
        asyncio.run(_admin(settings, f'DROP DATABASE IF EXISTS "{settings.db_name}" WITH (FORCE)'))
        _delete_redis_keys(settings)
    print(f"\n{args.tasks} tasks per measurement, median of {args.rounds}; one worker, -c 2\n")
    print("| task | app (bridge) tasks/s | plain Celery tasks/s | app / plain |")
    print("| --- | ---: | ---: | ---: |")
    for label, rate in ours.items():
        print(f"| {label} | {rate:.0f} | {plain[label]:.0f} | {rate / plain[label]:.2f} |")
    return 0


def _delete_redis_keys(settings: Settings) -> None:
    """The run's queues, bindings and results (thousands of them) go with the run."""
    for url in {settings.celery_broker_url, settings.celery_result_backend}:
        with redis.Redis.from_url(url) as client:
            keys = list(client.scan_iter(match=f"{settings.redis_key_prefix}*", count=1000))
            for start in range(0, len(keys), 1000):
                client.delete(*keys[start : start + 1000])


if __name__ == "__main__":
    sys.exit(main())
