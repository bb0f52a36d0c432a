"""Exceptions of the adapters' libraries that mean "a dependency is down", for the error tables."""

from __future__ import annotations

import asyncpg
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.domain.shared import DependencyUnavailable

UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    DependencyUnavailable,
    OSError,  # refused or reset connections, including asyncio's TimeoutError
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # the server shuts down or kills the session
    asyncpg.exceptions.InternalClientError,  # e.g. a kill notice read mid-query: a broken link
    asyncpg.InterfaceError,
    OperationalError,
    InterfaceError,
    PoolTimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
)
