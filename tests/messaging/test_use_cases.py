"""The messaging use cases over the hand-written fakes: welcome notes and the echo counter."""

from __future__ import annotations

import uuid

import pytest

from app.application.echo import Echo, EchoFailed, EchoService
from app.application.notifications import WELCOME, NotificationService, RecordWelcome
from tests.fakes import FakeDatabase


class MemoryCounter:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.seen: set[uuid.UUID] = set()

    async def increment_once(self, key: str, message_id: uuid.UUID | None, seq: int | None) -> bool:
        if message_id is not None and message_id in self.seen:
            return False
        if message_id is not None:
            self.seen.add(message_id)
        self.counts[key] = self.counts.get(key, 0) + 1
        return True


async def test_a_welcome_is_recorded_once_per_message_id():
    db = FakeDatabase()
    service = NotificationService(db.uow)
    user, message = uuid.uuid4(), uuid.uuid4()
    command = RecordWelcome(user_id=user, email="a@b.io", message_id=message)
    assert await service.record_welcome(command) is True
    assert await service.record_welcome(command) is False
    assert db.notifications == [(user, WELCOME, {"email": "a@b.io"})]
    assert db.inbox == {message}


async def test_a_welcome_without_message_id_cannot_be_deduplicated():
    db = FakeDatabase()
    service = NotificationService(db.uow)
    command = RecordWelcome(user_id=uuid.uuid4(), email="a@b.io")
    await service.record_welcome(command)
    await service.record_welcome(command)
    assert len(db.notifications) == 2


async def test_echo_fails_the_planned_attempts_then_counts_once():
    counter = MemoryCounter()
    service = EchoService(counter)
    message_id = uuid.uuid4()
    for attempt in (1, 2):
        with pytest.raises(EchoFailed):
            await service.echo(Echo(key="k", fail_times=2, attempt=attempt, message_id=message_id))
    assert await service.echo(Echo(key="k", fail_times=2, attempt=3, message_id=message_id))
    assert not await service.echo(Echo(key="k", fail_times=2, attempt=4, message_id=message_id))
    assert counter.counts == {"k": 1}
