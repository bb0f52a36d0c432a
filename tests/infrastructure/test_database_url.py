"""A database password may hold any character: the engine and `app migrate` both connect.

The local PostgreSQL trusts loopback connections, so the server does not check the password
here; what the tests prove is that the URL is built and parsed back intact (a `@`, `/`, `#` or
`:` in the password once moved into the host part and the connection failed).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import make_url, text

from app.config.settings import Settings
from app.infrastructure.db.engine import create_engine
from app.interfaces.cli.main import main
from app.interfaces.cli.migrate import alembic_config
from tests.conftest import _admin, settings_with

pytestmark = pytest.mark.xdist_group("migrations")

# `%41` must stay three characters: decoded twice it would turn into `A`.
PASSWORD = "p@ss/w#rd:%41 x"


@pytest.fixture
def odd_role(settings: Settings) -> Iterator[Settings]:
    """A role of its own with PASSWORD, owning an empty database; both dropped afterwards."""
    tag = uuid.uuid4().hex[:10]
    role = settings_with(settings, db_user=f"odd_{tag}", db_password=PASSWORD, db_name=f"odd_{tag}")
    asyncio.run(_admin(settings, f"CREATE ROLE \"{role.db_user}\" LOGIN PASSWORD '{PASSWORD}'"))
    asyncio.run(_admin(settings, f'CREATE DATABASE "{role.db_name}" OWNER "{role.db_user}"'))
    try:
        yield role
    finally:
        drop = f'DROP DATABASE IF EXISTS "{role.db_name}" WITH (FORCE)'
        asyncio.run(_admin(settings, drop))
        asyncio.run(_admin(settings, f'DROP ROLE IF EXISTS "{role.db_user}"'))


def test_the_url_keeps_every_part_of_an_odd_password(odd_role):
    url = odd_role.database_url
    assert (url.username, url.password, url.host, url.port, url.database) == (
        odd_role.db_user,
        PASSWORD,
        odd_role.db_host,
        odd_role.db_port,
        odd_role.db_name,
    )
    assert PASSWORD not in str(url)  # str() and repr() hide the password


def test_alembic_reads_back_the_same_url(odd_role):
    configured = alembic_config(odd_role.database_url).get_main_option("sqlalchemy.url")
    assert make_url(configured) == odd_role.database_url


async def test_the_engine_connects_as_a_role_whose_password_has_url_characters(odd_role):
    engine = create_engine(odd_role)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT current_user, current_database()"))).one()
    finally:
        await engine.dispose()
    assert tuple(row) == (odd_role.db_user, odd_role.db_name)


def test_app_migrate_connects_as_a_role_whose_password_has_url_characters(odd_role, monkeypatch):
    for name in ("db_host", "db_port", "db_name", "db_user", "db_password", "secret_key"):
        monkeypatch.setenv(name.upper(), str(getattr(odd_role, name)))
    monkeypatch.setenv("LAUNCH_MODE", "TEST")
    assert main(["migrate"]) == 0
    owner = "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'users'"
    assert asyncio.run(_scalar(odd_role, owner)) == odd_role.db_user


async def _scalar(settings: Settings, sql: str) -> object:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql))).scalar_one()
    finally:
        await engine.dispose()
