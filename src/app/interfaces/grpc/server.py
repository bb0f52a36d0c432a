"""The gRPC server: app.v1 services, health, reflection and interceptors over one container."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import grpc
from google.protobuf import descriptor, descriptor_pb2, descriptor_pool, message_factory
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from loguru import logger

from app.application.health import HealthService
from app.config.settings import Settings
from app.container import Container, build_container
from app.infrastructure.telemetry import grpc_interceptors
from app.interfaces.cli.process_metrics import process_metrics
from app.interfaces.grpc.interceptors import (
    AuthInterceptor,
    ErrorInterceptor,
    RequestContextInterceptor,
)
from app.interfaces.grpc.metrics import MetricsInterceptor
from app.interfaces.grpc.pb import (
    auth_pb2,
    auth_pb2_grpc,
    debug_pb2,
    users_pb2,
    users_pb2_grpc,
)
from app.interfaces.grpc.servicers import AuthServicer, DebugServicer, UsersServicer

APP_SERVICES = tuple(
    module.DESCRIPTOR.services_by_name[name].full_name
    for module, name in (
        (auth_pb2, "AuthService"),
        (users_pb2, "UsersService"),
        (debug_pb2, "DebugService"),
    )
)
PUBLIC_METHODS = frozenset(
    {
        "/app.v1.AuthService/SignUp",
        "/app.v1.AuthService/IssueTokens",
        "/app.v1.AuthService/RefreshTokens",
        "/app.v1.DebugService/HealthCheck",
    }
)
_DEBUG = debug_pb2.DESCRIPTOR.services_by_name["DebugService"]
# Publishing arbitrary events is a development tool, like the REST twin absent in PROD: there
# the method has no handler (gRPC answers UNIMPLEMENTED) and reflection does not describe it.
DEVELOPMENT_ONLY_METHODS = frozenset({f"/{_DEBUG.full_name}/SendMessage"})
_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def _keepalive(seconds: float) -> tuple[tuple[str, int], ...]:
    """Pings keep idle connections through proxies and notice dead peers."""
    interval_ms = int(seconds * 1000)
    return (
        ("grpc.keepalive_time_ms", interval_ms),
        ("grpc.keepalive_timeout_ms", 20_000),
        ("grpc.http2.min_ping_interval_without_data_ms", interval_ms // 2),
        ("grpc.keepalive_permit_without_calls", 1),
    )


class HealthReporter:
    """Keeps grpc.health.v1 statuses in step with the health service REST reports."""

    def __init__(self, health_service: HealthService, services: Sequence[str], interval: float):
        self.servicer = health.aio.HealthServicer()
        self._health, self._names, self._interval = health_service, ("", *services), interval
        self._last: int | None = None

    async def refresh(self) -> None:
        report = await self._health.check()
        status = _SERVING if report.healthy else _NOT_SERVING
        if status != self._last:
            logger.info("grpc health: {} {}", report.status, report.components)
            self._last = status
        for name in self._names:
            await self.servicer.set(name, status)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.refresh()


@dataclass(slots=True)
class GrpcServer:
    server: grpc.aio.Server
    port: int
    reporter: HealthReporter
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    async def start(self) -> None:
        await self.reporter.refresh()
        self._task = asyncio.create_task(self.reporter.run())
        await self.server.start()

    async def stop(self, grace: float | None) -> None:
        """Report NOT_SERVING, then let calls in flight finish within `grace` seconds."""
        await self.reporter.servicer.enter_graceful_shutdown()
        await self.server.stop(grace)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def create_server(
    container: Container, *, port: int | None = None, health_interval: float = 5.0
) -> GrpcServer:
    """A server bound to GRPC_HOST and `port` (default GRPC_PORT; 0 picks a free one)."""
    settings = container.settings
    server = grpc.aio.server(
        interceptors=[
            *grpc_interceptors(settings),  # first: the other interceptors run inside the span
            MetricsInterceptor(),
            RequestContextInterceptor(container.proxies),
            ErrorInterceptor(),
            AuthInterceptor(container.auth, PUBLIC_METHODS),
        ],
        options=[
            ("grpc.max_receive_message_length", settings.grpc_max_message_bytes),
            ("grpc.max_send_message_length", settings.grpc_max_message_bytes),
            # A second server on a taken port must fail, not silently share its traffic.
            ("grpc.so_reuseport", 0),
            *_keepalive(settings.grpc_keepalive_seconds),
        ],
    )
    hidden = DEVELOPMENT_ONLY_METHODS if settings.is_prod else frozenset()
    _add_app_services(server, container, hidden)
    reporter = HealthReporter(container.health, APP_SERVICES, health_interval)
    health_pb2_grpc.add_HealthServicer_to_server(reporter.servicer, server)
    served = (*APP_SERVICES, health.SERVICE_NAME, reflection.SERVICE_NAME)
    reflection.enable_server_reflection(served, server, pool=_reflection_pool(served, hidden))
    address = f"{settings.grpc_host}:{settings.grpc_port if port is None else port}"
    bound = server.add_insecure_port(address)
    return GrpcServer(server, bound, reporter)


def _add_app_services(
    server: grpc.aio.Server, container: Container, hidden: Collection[str]
) -> None:
    # The generated registration functions carry no annotations.
    add_auth = auth_pb2_grpc.add_AuthServiceServicer_to_server
    add_users = users_pb2_grpc.add_UsersServiceServicer_to_server
    add_auth(AuthServicer(container.users, container.auth), server)  # type: ignore[no-untyped-call]
    users = UsersServicer(container.users, container.admin, container.directory)
    add_users(users, server)  # type: ignore[no-untyped-call]
    _add_served(server, _DEBUG, DebugServicer(container.health, container.messages), hidden)


def _add_served(
    server: grpc.aio.Server,
    service: descriptor.ServiceDescriptor,
    servicer: object,
    hidden: Collection[str],
) -> None:
    """Register a servicer's unary methods but the `hidden` ones, which answer UNIMPLEMENTED."""
    handlers = {
        method.name: grpc.unary_unary_rpc_method_handler(
            getattr(servicer, method.name),
            request_deserializer=message_factory.GetMessageClass(method.input_type).FromString,
            response_serializer=message_factory.GetMessageClass(
                method.output_type
            ).SerializeToString,
        )
        for method in service.methods
        if f"/{service.full_name}/{method.name}" not in hidden
    }
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(service.full_name, handlers),)
    )
    server.add_registered_method_handlers(service.full_name, handlers)


def _reflection_pool(
    services: Sequence[str], hidden: Collection[str]
) -> descriptor_pool.DescriptorPool:
    """The proto files of `services` as reflection describes them: `hidden` methods left out."""
    pool, added = descriptor_pool.DescriptorPool(), set[str]()

    def add(file: descriptor.FileDescriptor) -> None:
        if file.name in added:
            return
        for dependency in file.dependencies:
            add(dependency)
        proto = descriptor_pb2.FileDescriptorProto()
        file.CopyToProto(proto)
        for service in proto.service:
            kept = [
                m
                for m in service.method
                if f"/{proto.package}.{service.name}/{m.name}" not in hidden
            ]
            del service.method[:]
            service.method.extend(kept)
        pool.Add(proto)
        added.add(file.name)

    for name in services:
        add(descriptor_pool.Default().FindFileContainingSymbol(name))
    return pool


async def serve(settings: Settings, port: int | None = None) -> None:
    """Run until SIGTERM or SIGINT, then shut down within GRPC_GRACE_SECONDS."""
    container = build_container(settings)
    try:
        grpc_server = create_server(container, port=port)
        gc.collect()
        gc.freeze()  # start-up objects live as long as the process: keep them out of GC scans
        async with process_metrics(container):
            await grpc_server.start()
            logger.info("grpc serving on {}:{}", settings.grpc_host, grpc_server.port)
            await _signalled()
            logger.info("grpc stopping (grace {}s)", settings.grpc_grace_seconds)
            await grpc_server.stop(settings.grpc_grace_seconds)
    finally:
        await container.aclose()


async def _signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
