"""Gunicorn settings for the REST API, read from the same environment as every other process.

    gunicorn -c src/app/interfaces/cli/gunicorn_config.py app.interfaces.cli.main:app

Gunicorn supervises the workers (restarts a dead one, rolls them on SIGHUP, drains on SIGTERM);
each worker runs uvicorn's event loop and builds its own container in the app's lifespan.
Gunicorn's own variables still apply: `WEB_CONCURRENCY` (workers, by default the CPUs the
container may use), `GUNICORN_CMD_ARGS`.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

from app.config.settings import SettingsError, load_settings
from app.infrastructure import multiprocess
from app.infrastructure.capacity import available_cpus, connection_budget


def _refuse(error: SettingsError) -> NoReturn:
    # The `app` command's way: the message names the variable, and the exit status is 2.
    print(f"configuration error: {error}", file=sys.stderr)
    raise SystemExit(2)


def _web_concurrency() -> int | None:
    value = os.environ.get("WEB_CONCURRENCY", "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(f"WEB_CONCURRENCY: {value!r} is not a positive number of workers")
    return int(value)


# Parsing here, in the master, makes a bad variable stop the start with its name instead of
# every worker failing to boot in a loop.
try:
    _settings = load_settings()
    _workers = _web_concurrency() or available_cpus()
except SettingsError as exc:
    _refuse(exc)

wsgi_app = "app.interfaces.cli.main:app"
bind = [f"{_settings.api_host}:{_settings.api_port}"]
# uvicorn's own `uvicorn.workers` module is deprecated in favour of the uvicorn-worker package.
worker_class = "uvicorn_worker.UvicornWorker"
workers = _workers
# Workers build the container after the fork: engines and Redis pools must not be shared.
preload_app = False
timeout = 60
graceful_timeout = 30
keepalive = 5
# Uvicorn's workers trust nobody's X-Forwarded-For (not even FORWARDED_ALLOW_IPS): the app
# judges it alone, against TRUSTED_PROXIES, the same way for REST and gRPC.
forwarded_allow_ips = ""
# The request-context middleware already logs each request with its id.
accesslog = None
errorlog = "-"
loglevel = "debug" if _settings.log_level in ("TRACE", "DEBUG") else "info"
proc_name = _settings.project_name


# Each worker keeps its metrics in files of one directory, which /metrics of any worker adds up
# (prometheus-client's multiprocess mode): made before the first worker, removed by the master.
def on_starting(server: Any) -> None:
    _check_connection_budget(server)
    multiprocess.prepare()


def _check_connection_budget(server: Any) -> None:
    # Here, not above: `-w` on the command line or in GUNICORN_CMD_ARGS overrides `workers`,
    # and this runs in the master before the first fork.
    try:
        budget = connection_budget(_settings, server.cfg.workers, "WEB_CONCURRENCY")
    except SettingsError as exc:
        _refuse(exc)
    server.log.info("connection budget of this pod: %s", budget)


def child_exit(server: Any, worker: Any) -> None:
    multiprocess.forget(worker.pid)  # its requests in flight and pool leave the sums


def on_exit(server: Any) -> None:
    multiprocess.cleanup()
