"""`local_run.sh` and `local_prepare.sh` for real: every process serves, `--stop` ends them.

Each run is isolated from a developer's: LAUNCH_MODE=TEST (no .env), a database of its own
(created by local_prepare.sh, dropped here), free ports, its own Redis key prefix (which holds
Celery's queues too), exchange and queue, and RUN_DIR in a temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TypeVar

import aio_pika
import grpc
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from grpc_health.v1 import health_pb2, health_pb2_grpc

from app.config.celery import PING
from app.config.settings import MessageBroker, Settings
from app.interfaces.cli.celery_app import ServiceCelery
from tests.conftest import (
    _admin,
    delete_rabbit_entities,
    delete_redis_keys,
    free_port,
    require_service,
    settings_with,
)

ROOT = Path(__file__).resolve().parents[2]
# Four processes importing the app at once need ~25 s on 2 CPUs: this ceiling is for failures.
READY_TIMEOUT = 60.0
PROCESSES = ("api", "grpc", "consume", "worker")
T = TypeVar("T")


def alive(pid: int) -> bool:
    """Running, and not a zombie nobody reaped yet (the scripts' children are orphans)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(pid: int) -> list[int]:
    listed = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    )
    return [int(line) for line in listed.stdout.split()]


@dataclass
class Launch:
    """The scripts run with one isolated environment; their background processes in run_dir."""

    settings: Settings
    run_dir: Path

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for field in fields(self.settings):
            value = getattr(self.settings, field.name)
            env[field.name.upper()] = ",".join(value) if isinstance(value, tuple) else str(value)
        return env | {"RUN_DIR": str(self.run_dir)}

    def run(
        self, script: str, *args: str, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(ROOT / script), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def pids(self) -> dict[str, int]:
        return {path.stem: int(path.read_text()) for path in self.run_dir.glob("*.pid")}

    def log(self, name: str) -> str:
        return (self.run_dir / f"{name}.log").read_text(errors="replace")

    def eventually(self, check: Callable[[], T], what: str) -> T:
        """Poll `check` until it returns something truthy; fail with the processes' logs."""
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if value := check():
                    return value
            except (OSError, httpx.TransportError, grpc.RpcError):  # not listening yet
                pass
            time.sleep(0.2)
        logs = "\n".join(f"--- {p}.log\n{self.log(p)[-3000:]}" for p in self.pids())
        raise AssertionError(f"{what}: not within {READY_TIMEOUT}s\n{logs}")


def _isolated(base: Settings, tag: str, **changes: object) -> Settings:
    return settings_with(
        base,
        db_name=f"launch_{tag}",
        redis_key_prefix=f"{base.redis_key_prefix}launch-{tag}:",
        log_level="INFO",
        **changes,
    )


@pytest.fixture
def launch(base_settings: Settings, tmp_path: Path) -> Iterator[Launch]:
    """RabbitMQ as the broker, free API and gRPC ports; everything removed afterwards."""
    require_service("RabbitMQ", "127.0.0.1", 5672)
    tag = uuid.uuid4().hex[:10]
    settings = _isolated(
        base_settings,
        tag,
        api_port=free_port(),
        grpc_port=free_port(),
        message_broker=MessageBroker.RABBITMQ,
        default_exchanger=f"test.launch-{tag}.exchange",
        default_queue=f"test.launch-{tag}.queue",
    )
    launched = Launch(settings, tmp_path / "run")
    try:
        yield launched
    finally:
        try:
            launched.run("local_run.sh", "--stop")
        finally:
            asyncio.run(
                _admin(settings, f'DROP DATABASE IF EXISTS "{settings.db_name}" WITH (FORCE)')
            )
            delete_redis_keys(settings)
            asyncio.run(delete_rabbit_entities(settings))


def api_health(launch: Launch) -> int:
    url = f"http://127.0.0.1:{launch.settings.api_port}/api/v1/debug/health/"
    return httpx.get(url, timeout=2).status_code


def grpc_health(launch: Launch) -> int:
    with grpc.insecure_channel(f"127.0.0.1:{launch.settings.grpc_port}") as channel:
        request = health_pb2.HealthCheckRequest(service="")
        return int(health_pb2_grpc.HealthStub(channel).Check(request, timeout=2).status)


async def queue_consumers(settings: Settings) -> int:
    connection = await aio_pika.connect(settings.message_broker_url, timeout=5)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(settings.default_queue, passive=True)
        return int(queue.declaration_result.consumer_count or 0)


def celery_ping(settings: Settings) -> str:
    producer = ServiceCelery(lambda: settings)
    try:
        return str(producer.send_task(PING).get(timeout=READY_TIMEOUT))
    finally:
        producer.close()


@pytest.mark.slow
def test_local_run_starts_every_process_serving_and_stop_ends_them_all(launch: Launch):
    env_file = ROOT / ".env"
    had_env_file = env_file.exists()
    try:
        started = launch.run(
            "local_run.sh", "--run_api", "--run_grpc", "--run_consume", "--run_celery"
        )
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"created database {launch.settings.db_name}" in started.stdout
        pids = launch.pids()
        assert sorted(pids) == sorted(PROCESSES)

        assert launch.eventually(lambda: api_health(launch) == 200, "API health 200")
        serving = health_pb2.HealthCheckResponse.SERVING
        assert launch.eventually(lambda: grpc_health(launch) == serving, "gRPC SERVING")
        queue = launch.settings.default_queue
        launch.eventually(lambda: f"consuming queue {queue}" in launch.log("consume"), "consumer")
        assert asyncio.run(queue_consumers(launch.settings)) >= 1
        assert celery_ping(launch.settings) == "pong"
        pool = children(pids["worker"])
        assert pool, launch.log("worker")

        stopped = launch.run("local_run.sh", "--stop")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        for name, pid in pids.items():
            assert f"stopped {name} ({pid})" in stopped.stdout
        assert [pid for pid in [*pids.values(), *pool] if alive(pid)] == []
        assert launch.pids() == {}
        assert env_file.exists() == had_env_file, "a TEST run must not create .env"
    finally:
        if not had_env_file:
            env_file.unlink(missing_ok=True)


async def _created_topics(bootstrap: str, topic: str) -> set[str]:
    """Create a topic and list the broker's topics: the Kafka protocol, not just a socket."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        return set(await admin.list_topics())
    finally:
        await admin.close()


def test_local_prepare_starts_tansu_for_kafka_and_stop_ends_it(
    base_settings: Settings, tmp_path: Path
):
    bootstrap = f"127.0.0.1:{free_port()}"
    settings = _isolated(
        base_settings,
        uuid.uuid4().hex[:10],
        message_broker=MessageBroker.KAFKA,
        kafka_bootstrap_servers=bootstrap,
    )
    launch = Launch(settings, tmp_path / "run")
    try:
        prepared = launch.run("local_prepare.sh")
        assert prepared.returncode == 0, prepared.stdout + prepared.stderr
        assert f"ok: Kafka (Tansu) on {bootstrap}" in prepared.stdout
        tansu = launch.pids()["tansu"]
        assert "launch.check" in asyncio.run(_created_topics(bootstrap, "launch.check"))

        stopped = launch.run("local_run.sh", "--stop")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert f"stopped tansu ({tansu})" in stopped.stdout
        assert not alive(tansu)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", int(bootstrap.rsplit(":", 1)[1])), 1).close()
    finally:
        launch.run("local_run.sh", "--stop")
        asyncio.run(_admin(settings, f'DROP DATABASE IF EXISTS "{settings.db_name}" WITH (FORCE)'))
