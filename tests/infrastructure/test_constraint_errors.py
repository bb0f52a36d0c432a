"""The unit of work maps an IntegrityError by constraint name, never by the message's words."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from app.domain.shared import AlreadyExistsError
from app.domain.users.errors import EmailAlreadyTaken
from app.domain.users.user import User
from app.domain.users.values import Email
from app.infrastructure.db.tables import NotificationRow, UserRow

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


async def _commit_user(container, user: User) -> None:
    async with container.uow() as uow:
        uow.users.add(user)
        await uow.commit()


async def test_a_duplicate_email_is_email_already_taken(container):
    await _commit_user(container, User.register(Email.parse("ada@example.com"), "hash", NOW))

    with pytest.raises(EmailAlreadyTaken):
        await _commit_user(container, User.register(Email.parse("ADA@example.com"), "hash", NOW))


async def test_a_not_null_violation_on_the_email_column_is_a_bug_not_a_conflict(container):
    # The old mapping searched the message for "email": this one names the column, and a
    # missing value would have been answered as a 409 "email already taken".
    async with container.uow() as uow:
        uow.session.add(UserRow(uuid=uuid.uuid4(), email=None, password_hashed="secret-hash"))
        with pytest.raises(IntegrityError) as raised:
            await uow.commit()
    assert not isinstance(raised.value, AlreadyExistsError)
    assert "not-null" in str(raised.value.orig)
    assert "secret-hash" not in str(raised.value)  # the 500's log line keeps values out


async def test_a_not_null_violation_elsewhere_is_not_already_exists(container):
    async with container.uow() as uow:
        uow.session.add(NotificationRow(user_uuid=uuid.uuid4(), kind=None))
        with pytest.raises(IntegrityError):
            await uow.commit()


async def test_an_unknown_unique_constraint_is_already_exists_but_not_an_email_conflict(container):
    user = User.register(Email.parse("ada@example.com"), "hash", NOW)
    await _commit_user(container, user)
    async with container.uow() as uow:
        uow.session.add(UserRow(uuid=user.id, email="other@example.com", password_hashed="h"))
        with pytest.raises(AlreadyExistsError) as raised:
            await uow.commit()
    assert not isinstance(raised.value, EmailAlreadyTaken)
