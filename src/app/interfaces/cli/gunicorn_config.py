"""Gunicorn settings for the REST API, read from the same environment as every other process.

    gunicorn -c src/app/interfaces/cli/gunicorn_config.py app.interfaces.cli.main:app

Gunicorn supervises the workers (restarts a dead one, rolls them on SIGHUP, drains on SIGTERM);
each worker runs uvicorn's event loop and builds its own container in the app's lifespan.
Gunicorn's own variables still apply: `WEB_CONCURRENCY` (workers), `GUNICORN_CMD_ARGS`.
"""

from __future__ import annotations

import os

from app.config.settings import SettingsError, load_settings

# Parsing here, in the master, makes a bad variable stop the start with its name instead of
# every worker failing to boot in a loop.
try:
    _settings = load_settings()
except SettingsError as exc:
    raise SystemExit(f"configuration error: {exc}") from None

wsgi_app = "app.interfaces.cli.main:app"
bind = [f"{_settings.api_host}:{_settings.api_port}"]
# uvicorn's own `uvicorn.workers` module is deprecated in favour of the uvicorn-worker package.
worker_class = "uvicorn_worker.UvicornWorker"
workers = int(os.environ.get("WEB_CONCURRENCY", str(os.cpu_count() or 1)))
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
