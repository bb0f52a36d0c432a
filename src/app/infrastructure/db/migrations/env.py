"""Alembic environment: async engine; the URL from Settings unless the caller set one."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import URL, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.config.settings import load_settings
from app.infrastructure.db.engine import driver_arguments
from app.infrastructure.db.tables import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str | URL:
    return config.get_main_option("sqlalchemy.url") or load_settings().database_url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    # The service's driver arguments, DB_PGBOUNCER's included: `app migrate` and the pods'
    # `alembic check` may reach PostgreSQL through PgBouncer like every other process.
    arguments = driver_arguments(load_settings())
    engine = create_async_engine(_url(), poolclass=pool.NullPool, connect_args=arguments)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
