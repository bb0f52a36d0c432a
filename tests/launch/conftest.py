"""Fixtures of the launch kit's tests: the tutorial's `orders` package and its own database."""

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from alembic import command
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from app.config.settings import Settings
from app.interfaces.api.app import API_PREFIX, create_app
from app.interfaces.cli.migrate import alembic_config
from tests.conftest import settings_with

# The tutorial's code is a package of the docs, imported as `orders` exactly as the pages show it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docs" / "tutorial"))

from orders import api, migration
from orders.wiring import ContainerWithOrders, build_container_with_orders


async def _admin(settings: Settings, sql: str) -> None:
    conn = await asyncpg.connect(
        host=settings.db_host, port=settings.db_port, user=settings.db_user, database="postgres"
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run_tutorial_migration(settings: Settings, step: str) -> None:
    """Run the tutorial migration's upgrade or downgrade outside the app's revision chain."""

    def apply(sync_conn: object) -> None:
        with Operations.context(MigrationContext.configure(sync_conn)):
            getattr(migration, step)()

    engine = create_async_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(apply)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def orders_settings(settings: Settings) -> Iterator[Settings]:
    """A database of its own: the app's migrations plus the tutorial's `orders` table."""
    tutorial = settings_with(settings, db_name=f"orders_{uuid.uuid4().hex[:12]}")
    # Alembic's env runs its own event loop, so this fixture stays synchronous.
    asyncio.run(_admin(settings, f'CREATE DATABASE "{tutorial.db_name}"'))
    try:
        command.upgrade(alembic_config(tutorial.database_url), "head")
        asyncio.run(run_tutorial_migration(tutorial, "upgrade"))
        yield tutorial
    finally:
        asyncio.run(_admin(settings, f'DROP DATABASE IF EXISTS "{tutorial.db_name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
async def orders_container(orders_settings: Settings) -> AsyncIterator[ContainerWithOrders]:
    container = build_container_with_orders(orders_settings)
    yield container
    await container.aclose()


@pytest.fixture
async def orders_client(
    orders_container: ContainerWithOrders,
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(orders_container)
    app.include_router(api.router, prefix=API_PREFIX)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
        yield http
