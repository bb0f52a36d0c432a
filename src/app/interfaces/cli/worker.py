"""`app worker` and `app beat`: Celery's own commands over `celery_app`, with our defaults."""

from __future__ import annotations

import argparse

from app.config.celery import DEFAULT_QUEUE
from app.config.settings import load_settings
from app.infrastructure import multiprocess
from app.infrastructure.capacity import available_cpus, connection_budget


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = commands.add_parser("worker", help="run Celery tasks (celery worker)")
    worker.add_argument("-Q", "--queues", default=DEFAULT_QUEUE, help="comma-separated queues")
    worker.add_argument(
        "-c", "--concurrency", type=int, help="processes (default: the CPUs the container may use)"
    )
    worker.add_argument("-l", "--loglevel", help="default: LOG_LEVEL")
    worker.add_argument("-P", "--pool", default="prefork", choices=("prefork", "solo"))
    worker.set_defaults(run=run_worker)

    beat = commands.add_parser("beat", help="send the periodic tasks (celery beat)")
    beat.add_argument("-l", "--loglevel", help="default: LOG_LEVEL")
    beat.add_argument("-s", "--schedule", help="beat's state file (celerybeat-schedule)")
    beat.set_defaults(run=run_beat)


def run_worker(args: argparse.Namespace) -> int:
    argv = ["worker", "-Q", args.queues, "-l", _level(args), "-P", args.pool]
    if args.pool == "prefork":
        # Celery's own default is the host's CPU count; each process opens its own pool.
        concurrency = args.concurrency or available_cpus()
        connection_budget(load_settings(), concurrency, "--concurrency")
        argv += ["--concurrency", str(concurrency)]
    # Prefork children run the tasks: their metrics reach the scrape through shared files.
    if args.pool == "prefork":
        multiprocess.prepare()
    try:
        return _celery(argv)
    finally:
        multiprocess.cleanup()


def run_beat(args: argparse.Namespace) -> int:
    argv = ["beat", "-l", _level(args)]
    if args.schedule:
        argv += ["-s", args.schedule]
    return _celery(argv)


def _level(args: argparse.Namespace) -> str:
    level: str = args.loglevel or load_settings().log_level
    # Celery knows the standard logging levels only; loguru's extra ones map to a neighbour.
    return {"TRACE": "DEBUG", "SUCCESS": "INFO"}.get(level.upper(), level.upper())


def _celery(argv: list[str]) -> int:
    from app.interfaces.cli.celery_app import celery_app

    load_settings()  # a configuration error stops here, named, not deep inside Celery
    code: int | None = celery_app.start(argv)
    return int(code or 0)
