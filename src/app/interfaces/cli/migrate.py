"""`app migrate`: alembic upgrade, exiting non-zero when a migration fails."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from loguru import logger
from sqlalchemy import URL

import app
from app.config.settings import load_settings
from app.infrastructure.logging import configure_logging

_MIGRATIONS = Path(app.__file__).parent / "infrastructure" / "db" / "migrations"


def alembic_config(database_url: URL) -> Config:
    """Alembic's config for a database, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    # The rendered URL percent-encodes the password's special characters; the config is a
    # configparser, which reads `%` as interpolation, so each one is doubled.
    url = database_url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(revision: str = "head") -> int:
    settings = load_settings()
    configure_logging(settings)
    try:
        command.upgrade(alembic_config(settings.database_url), revision)
    except Exception as exc:
        logger.opt(exception=exc).error("migration to {} failed", revision)
        print(f"migration failed: {exc}", file=sys.stderr)
        return 1
    logger.info("database at {}", revision)
    return 0
