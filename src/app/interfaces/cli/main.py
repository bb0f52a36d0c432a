"""The `app` command: one console script that starts any process of the service."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from app.config.settings import Settings, SettingsError, load_settings
from app.infrastructure import multiprocess
from app.infrastructure.capacity import ConnectionBudget, available_cpus, connection_budget
from app.interfaces.cli import users as users_commands
from app.interfaces.cli import worker as celery_commands
from app.interfaces.cli.scaffold import command as scaffold_commands


def __getattr__(name: str) -> Any:
    # `uvicorn app.interfaces.cli.main:app` asks for `app`: build it on demand, not at import.
    if name == "app":
        from app.interfaces.api.app import create_app

        return create_app()
    raise AttributeError(name)


def _api(args: argparse.Namespace) -> int:
    settings = load_settings()
    # uvicorn reloads in one process; otherwise the CPUs the container may use, not the host's.
    args.workers = args.workers or (1 if args.reload else available_cpus())
    _log_pod_budget(settings, connection_budget(settings, args.workers, "--workers"))
    # Several workers answer /metrics in turn: each reports the sum of all through shared files.
    if args.workers > 1:
        multiprocess.prepare()
    try:
        _serve_api(args, settings)
    finally:
        multiprocess.cleanup()
    return 0


def _log_pod_budget(settings: Settings, budget: ConnectionBudget) -> None:
    from loguru import logger

    from app.infrastructure.logging import configure_logging

    configure_logging(settings)
    logger.info("connection budget of this pod: {}", budget)


# How uvicorn serves the API, here and in the benchmark that serves it without its metrics.
UVICORN_OPTIONS: dict[str, Any] = {
    "access_log": False,  # the request-context middleware logs each request with its id
    "log_config": None,
    # X-Forwarded-For is judged by the app alone, against TRUSTED_PROXIES (deps.py).
    "proxy_headers": False,
}


def _serve_api(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    uvicorn.run(
        "app.interfaces.cli.main:app",
        host=args.host or settings.api_host,
        port=args.port or settings.api_port,
        workers=args.workers,
        reload=args.reload,
        **UVICORN_OPTIONS,
    )


def _migrate(args: argparse.Namespace) -> int:
    from app.interfaces.cli.migrate import migrate

    return migrate(args.revision)


def _grpc(args: argparse.Namespace) -> int:
    from app.interfaces.cli.grpc import run_grpc

    return run_grpc(args.port)


def _consume(args: argparse.Namespace) -> int:
    from app.interfaces.cli.consume import run_consume

    return run_consume(with_relay=not args.no_relay)


def _relay(args: argparse.Namespace) -> int:
    from app.interfaces.cli.relay import run_relay

    return run_relay()


def _outbox(args: argparse.Namespace) -> int:
    from app.interfaces.cli.outbox import run_outbox

    return run_outbox(args)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app", description="Start a process of the service.")
    commands = parser.add_subparsers(dest="command", required=True)

    api = commands.add_parser("api", help="serve the REST API with uvicorn")
    api.add_argument("--host")
    api.add_argument("--port", type=int)
    api.add_argument(
        "--workers", type=_positive, help="processes (default: the CPUs the container may use)"
    )
    api.add_argument("--reload", action="store_true")
    api.set_defaults(run=_api)

    migrate = commands.add_parser("migrate", help="apply the database migrations (alembic upgrade)")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(run=_migrate)
    celery_commands.add_commands(commands)  # worker, beat
    users_commands.add_commands(commands)  # users create-admin, grant, revoke
    scaffold_commands.add_commands(commands)  # scaffold context

    grpc = commands.add_parser("grpc", help="serve the gRPC services (grpc.aio)")
    grpc.add_argument("--port", type=int)
    grpc.set_defaults(run=_grpc)

    consume = commands.add_parser("consume", help="consume DEFAULT_QUEUE / DEFAULT_TOPIC")
    consume.add_argument("--no-relay", action="store_true", help="do not run the outbox relay")
    consume.set_defaults(run=_consume)
    relay = commands.add_parser("relay", help="publish the outbox alone (no consumer)")
    relay.set_defaults(run=_relay)
    _add_outbox(commands)
    return parser


def _add_outbox(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    outbox = commands.add_parser("outbox", help="list the parked outbox rows or queue them again")
    outbox.set_defaults(run=_outbox)
    actions = outbox.add_subparsers(dest="action")
    actions.add_parser("list", help="the parked rows (the default)")
    retry = actions.add_parser("retry", help="queue parked rows again")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", type=int, help="a row's id, as `app outbox` lists it")
    which.add_argument("--all", action="store_true", help="every parked row")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
