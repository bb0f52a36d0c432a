"""The Job migrates and the pods wait for it: the manifests' own commands on a real database."""

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from app.config.settings import Settings
from tests.conftest import _admin, process_env, settings_with
from tests.deploy.conftest import ROOT, main_container, of_kind, pod_spec, rendered


async def _has_schema(settings: Settings) -> bool:
    conn = await asyncpg.connect(
        host=settings.db_host,
        port=settings.db_port,
        user=settings.db_user,
        database=settings.db_name,
    )
    try:
        return bool(await conn.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL"))
    finally:
        await conn.close()


@pytest.mark.slow
def test_pods_wait_in_init_until_the_migration_job_has_run_and_never_migrate(base_settings):
    objects = rendered("prod")
    (wait,) = pod_spec(of_kind(objects, "Deployment")["app-api"])["initContainers"]
    job = main_container(of_kind(objects, "Job")["app-migrate"])["command"]
    fresh = settings_with(base_settings, db_name=f"deploy_{uuid.uuid4().hex[:12]}")
    # The image's working directory holds alembic.ini, as the repository root does here.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = process_env(fresh, PATH=path)
    asyncio.run(_admin(fresh, f'CREATE DATABASE "{fresh.db_name}"'))
    try:
        waiting = subprocess.Popen(
            wait["command"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            with pytest.raises(subprocess.TimeoutExpired):
                waiting.wait(timeout=8)
            assert not asyncio.run(_has_schema(fresh))
            assert subprocess.run(job, cwd=ROOT, env=env, timeout=120).returncode == 0
            assert waiting.wait(timeout=30) == 0
        finally:
            if waiting.poll() is None:
                waiting.kill()
                waiting.wait()
        assert waiting.stdout is not None
        output = waiting.stdout.read().decode()
        assert "Target database is not up to date" in output
        assert "waiting for the migration Job" in output
    finally:
        asyncio.run(_admin(fresh, f'DROP DATABASE IF EXISTS "{fresh.db_name}" WITH (FORCE)'))
