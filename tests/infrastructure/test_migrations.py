"""Migrations run both ways and agree with the models (no autogenerate drift)."""

import asyncio

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.infrastructure.db.tables import Base
from app.interfaces.cli.main import main
from app.interfaces.cli.migrate import alembic_config
from tests.conftest import _admin, settings_with

pytestmark = pytest.mark.xdist_group("migrations")


@pytest.fixture
def scratch(settings):
    scratch = settings_with(settings, db_name=f"{settings.db_name}_mig")
    asyncio.run(_admin(scratch, f'CREATE DATABASE "{scratch.db_name}"'))
    yield scratch
    asyncio.run(_admin(scratch, f'DROP DATABASE IF EXISTS "{scratch.db_name}" WITH (FORCE)'))


def test_upgrade_downgrade_upgrade_and_no_drift(scratch):
    config = alembic_config(scratch.database_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    assert asyncio.run(_diff(scratch.database_url)) == []


async def _diff(url: str) -> list:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
            )
        )
    await engine.dispose()
    return diff


def test_app_migrate_fails_with_a_non_zero_exit_on_a_missing_database(monkeypatch, settings):
    monkeypatch.setenv("DB_NAME", f"{settings.db_name}_missing")
    monkeypatch.setenv("SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("LAUNCH_MODE", "TEST")
    assert main(["migrate"]) == 1
