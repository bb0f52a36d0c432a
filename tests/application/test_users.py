from uuid import uuid4

import pytest

from app.application.messages import MessageService, SendMessage
from app.application.users import RegisterUser, UpdateProfile, UserService
from app.domain.shared import ValidationError
from app.domain.users.errors import EmailAlreadyTaken, InvalidField, UserNotFound
from tests.fakes import FakeDatabase, FakeHasher, FakeProfiles, FixedClock


@pytest.fixture
def db():
    return FakeDatabase()


@pytest.fixture
def users(db):
    return UserService(db.uow, FakeHasher(), FixedClock(), FakeProfiles(db))


async def test_register_stores_the_user_and_its_event_in_one_commit(db, users):
    view = await users.register(RegisterUser(email=" Ada@Example.com", password="password1"))
    assert view.email == "ada@example.com"
    assert db.commits == 1
    assert [e.name for e in db.events] == ["users.registered.v1"]
    assert db.users[view.uuid].password_hash == "fake$password1"


async def test_register_refuses_a_taken_email_in_any_case(db, users):
    await users.register(RegisterUser(email="ada@example.com", password="password1"))
    with pytest.raises(EmailAlreadyTaken):
        await users.register(RegisterUser(email="ADA@example.com", password="password2"))
    assert db.commits == 1


async def test_register_checks_the_password_policy_before_hashing(db, users):
    with pytest.raises(InvalidField):
        await users.register(RegisterUser(email="ada@example.com", password="short"))
    assert db.commits == 0


async def test_get_returns_the_profile_and_hides_inactive_users(db, users):
    view = await users.register(RegisterUser(email="ada@example.com", password="password1"))
    assert (await users.get(view.uuid)).email == "ada@example.com"
    db.users[view.uuid].is_active = False
    with pytest.raises(UserNotFound):
        await users.get(view.uuid)
    with pytest.raises(UserNotFound):
        await users.get(uuid4())


async def test_update_changes_the_profile_and_records_an_event(db, users):
    view = await users.register(RegisterUser(email="ada@example.com", password="password1"))
    updated = await users.update(UpdateProfile(view.uuid, {"city": "Paris"}))
    assert updated.city == "Paris"
    assert [e.name for e in db.events] == ["users.registered.v1", "users.profile_updated.v1"]


async def test_update_of_an_unknown_user_is_not_found(users):
    with pytest.raises(UserNotFound):
        await users.update(UpdateProfile(uuid4(), {"city": "Paris"}))


async def test_send_message_goes_to_the_outbox(db):
    service = MessageService(db.uow, FixedClock())
    message_id = await service.send(SendMessage(event="debug.echo.v1", data={"key": "k"}))
    [message] = db.messages
    assert (message.id, message.event, message.data) == (message_id, "debug.echo.v1", {"key": "k"})


@pytest.mark.parametrize("event", ["", "has space", "x" * 256, "semi;colon"])
async def test_send_message_refuses_a_bad_event_name(db, event):
    with pytest.raises(ValidationError):
        await MessageService(db.uow, FixedClock()).send(SendMessage(event=event, data={}))
    assert db.messages == []
