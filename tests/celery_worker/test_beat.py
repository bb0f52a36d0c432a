"""Beat schedules the outbox relay (so events leave with no consumer running) and the purge."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from sqlalchemy import func, select, update

from app.application.messages import SendMessage
from app.config.celery import PURGE_HANDLED_MESSAGES
from app.infrastructure.db.tables import InboxRow, OutboxRow
from tests.celery_helpers import embedded_worker_beside_loop
from tests.celery_worker.conftest import (
    eventually,
    queued_messages,
    result_of,
)
from tests.conftest import process_env


async def _published(container, message_id) -> bool:
    query = select(OutboxRow.published_at).where(OutboxRow.message_id == message_id)
    async with container.sessions() as session:
        return (await session.scalar(query)) is not None


async def test_beat_relays_outbox_rows_to_the_broker_with_no_consumer_running(
    container, rabbit_settings, tmp_path
):
    message_id = await container.messages.send(SendMessage(event="test.beat.v1", data={"n": 1}))
    beat = subprocess.Popen(
        [sys.executable, "-m", "app.interfaces.cli", "beat", "-s", str(tmp_path / "schedule")],
        env=process_env(rabbit_settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with embedded_worker_beside_loop(rabbit_settings):
            await eventually(lambda: _published(container, message_id))
    finally:
        beat.terminate()
        assert beat.wait(timeout=10) == 0

    assert await queued_messages(rabbit_settings) == 1


async def test_the_purge_removes_old_published_events_and_inbox_ids_only(
    container, celery_settings
):
    keep = await container.messages.send(SendMessage(event="test.pending.v1", data={}))
    old = await container.messages.send(SendMessage(event="test.old.v1", data={}))
    long_ago = func.now() - timedelta(days=celery_settings.outbox_retention_days + 1)
    async with container.sessions() as session, session.begin():
        await session.execute(
            update(OutboxRow).where(OutboxRow.message_id == old).values(published_at=long_ago)
        )
        session.add(InboxRow(message_id=old, handled_at=long_ago))
        session.add(InboxRow(message_id=keep))

    async with embedded_worker_beside_loop(celery_settings) as worker:
        removed = await result_of(worker.send_task(PURGE_HANDLED_MESSAGES))

    assert removed == 2
    async with container.sessions() as session:
        assert list(await session.scalars(select(OutboxRow.message_id))) == [keep]
        assert list(await session.scalars(select(InboxRow.message_id))) == [keep]
