"""The process's one engine and its session factory (created by the container, never at import)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from loguru import logger
from sqlalchemy import event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolProxiedConnection

from app.config.settings import Settings
from app.domain.shared import DependencyUnavailable
from app.infrastructure.capacity import connection_budget

# PostgreSQL refusing connections (full, starting up, gone) is an outage, not a bug: the
# driver's own errors for it are raised as DependencyUnavailable (503 / UNAVAILABLE / retry).
_OUTAGES = (
    asyncpg.TooManyConnectionsError,
    asyncpg.CannotConnectNowError,
    asyncpg.PostgresConnectionError,
    OSError,
)


def create_engine(settings: Settings) -> AsyncEngine:
    """The process's pool. Raises SettingsError when the pool alone exceeds the pod's limit."""
    budget = connection_budget(settings)
    pgbouncer = " through PgBouncer" if settings.db_pgbouncer else ""
    logger.info("connection budget of this process{}: {}", pgbouncer, budget)
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.connections_pool_min_size,
        max_overflow=settings.connections_pool_max_overflow,
        # No pre-ping: with asyncpg it costs BEGIN, a query and ROLLBACK on every checkout. A
        # connection found dead raises (503) and SQLAlchemy then invalidates the whole pool.
        pool_pre_ping=False,
        pool_recycle=1800,
        pool_timeout=10,
        # An error's message would otherwise carry the statement's values (emails, hashes) into
        # the logs.
        hide_parameters=True,
        connect_args=driver_arguments(settings),
    )
    event.listen(engine.sync_engine, "handle_error", _outage_as_unavailable)
    return engine


def driver_arguments(settings: Settings) -> dict[str, Any]:
    """asyncpg's connect arguments, and the SQLAlchemy dialect's statement options."""
    # application_name is a startup parameter PgBouncer passes on (it tracks it per client).
    arguments: dict[str, Any] = {
        "timeout": 5,
        "server_settings": {"application_name": settings.project_name},
    }
    if settings.db_pgbouncer:
        arguments |= _TRANSACTION_POOLING
    return arguments


def _unnamed() -> str:
    return ""


# PgBouncer in transaction pooling mode gives each transaction (each statement outside one) to
# any of its server connections, and 1.18 (Debian 12's) does not track prepared statements. A
# statement named on one server connection is then missing on the next ("prepared statement
# __asyncpg_stmt_9__ does not exist") or its name is taken there by another client ("already
# exists"). So nothing is named or cached past the statement: asyncpg and SQLAlchemy's dialect
# keep no statement cache, and the dialect's prepare uses the unnamed statement, which asyncpg
# parses again in the same message sequence as its execution. The cost is a second Parse of
# each statement on the server.
_TRANSACTION_POOLING: dict[str, Any] = {
    "statement_cache_size": 0,
    "prepared_statement_cache_size": 0,
    "prepared_statement_name_func": _unnamed,
}


def _is_outage(error: BaseException) -> bool:
    # SQLAlchemy's asyncpg adapter raises its own DBAPI error, caused by the driver's.
    return isinstance(getattr(error, "__cause__", None) or error, _OUTAGES)


def _outage_as_unavailable(context: ExceptionContext) -> None:
    original = context.original_exception
    if isinstance(original, asyncio.CancelledError):
        return  # a cancelled query (shutdown, a deadline) must stay a cancellation
    if context.is_disconnect or _is_outage(original):
        raise DependencyUnavailable("PostgreSQL is unavailable") from original


async def checkout(engine: AsyncEngine) -> PoolProxiedConnection:
    """A pooled connection with no Core Connection around it (the hot read's, db/users.py).

    The engine's handle_error hook sees only what runs through a Connection, so a server that
    refuses the connection (full, starting, gone) is mapped to DependencyUnavailable here."""
    try:
        return await engine.raw_connection()
    except Exception as error:
        if _is_outage(error):
            raise DependencyUnavailable("PostgreSQL is unavailable") from error
        raise


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class PostgresProbe:
    name = "postgres"

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def check(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
