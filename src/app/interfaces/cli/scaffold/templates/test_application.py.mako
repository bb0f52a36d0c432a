<%
    E, e, N = c.Entity, c.entity, c.name
    events = [f"{N}.{name}.v1" for name in c.events]
%>\
"""The ${c.words} use cases over the hand-written fakes: outcomes, commits, events, permissions."""

from uuid import uuid4

import pytest

from app.application.auth import Principal
from app.application.${N} import Create${E}, ${E}Service, ${"Note" + E + "Created, " if c.consumer else ""}Update${E}
from app.application.ports import ListQuery
from app.domain.${N}.errors import ${E}NotFound
from app.domain.auth.permissions import PermissionDenied, Role
from app.domain.shared import ValidationError
from tests.domain.test_${N} import BAD, CHANGED, VALUES
from tests.fakes import FakeDatabase, Fake${c.Entities}, FixedClock

USER, OTHER = Principal(uuid4(), "user-session"), Principal(uuid4(), "other-session")
ADMIN = Principal(uuid4(), "admin-session", frozenset({Role.USER, Role.ADMIN}))
% if c.owner:
# ${c.words.capitalize()} belong to their creator: no permission is needed for one's own.
ACTOR = USER
% else:
# Every use case needs a permission of ${N}: an admin holds them all.
ACTOR = ADMIN
% endif


@pytest.fixture
def store() -> Fake${c.Entities}:
    return Fake${c.Entities}(FakeDatabase())


@pytest.fixture
def ${N}(store: Fake${c.Entities}) -> ${E}Service:
    return ${E}Service(store.uow, FixedClock(), store)


async def test_create_stores_the_${e}_and_its_event_in_one_commit(store, ${N}):
    view = await ${N}.create(ACTOR, Create${E}(VALUES))
% if c.owner:
    assert view.owner_uuid == ACTOR.user_id
% endif
    assert store.db.commits == 1
% if "created" in c.events:
    assert [(m.event, m.data["${e}_uuid"]) for m in store.db.messages] == [
        ("${N}.created.v1", str(view.uuid))
    ]
% endif


async def test_a_bad_${e}_commits_nothing(store, ${N}):
    with pytest.raises(ValidationError):
        await ${N}.create(ACTOR, Create${E}(VALUES | BAD))
    assert store.db.commits == 0


async def test_${e}_is_read_changed_and_deleted(store, ${N}):
    view = await ${N}.create(ACTOR, Create${E}(VALUES))
    assert await ${N}.get(ACTOR, view.uuid) == view
    updated = await ${N}.update(ACTOR, Update${E}(view.uuid, CHANGED))
    assert {name: getattr(updated, name) for name in CHANGED} == CHANGED
    await ${N}.delete(ACTOR, view.uuid)
    with pytest.raises(${E}NotFound):
        await ${N}.get(ACTOR, view.uuid)
    assert [m.event for m in store.db.messages] == ${repr(events)}
% if c.owner:


async def test_someone_elses_${e}_is_not_found_and_an_admin_reaches_it(${N}):
    view = await ${N}.create(USER, Create${E}(VALUES))
    with pytest.raises(${E}NotFound):
        await ${N}.get(OTHER, view.uuid)
    with pytest.raises(${E}NotFound):
        await ${N}.update(OTHER, Update${E}(view.uuid, CHANGED))
    with pytest.raises(${E}NotFound):
        await ${N}.delete(OTHER, view.uuid)
    assert (await ${N}.get(ADMIN, view.uuid)).uuid == view.uuid
    assert (await ${N}.update(ADMIN, Update${E}(view.uuid, CHANGED))).owner_uuid == USER.user_id


async def test_the_list_holds_the_callers_${N}_and_an_admin_sees_everyones(${N}):
    mine = await ${N}.create(USER, Create${E}(VALUES))
    await ${N}.create(OTHER, Create${E}(VALUES))
    assert [view.uuid for view in (await ${N}.list(USER, ListQuery())).items] == [mine.uuid]
    assert (await ${N}.list(ADMIN, ListQuery())).total == 2
% else:


async def test_a_plain_user_needs_the_permissions_of_${N}(${N}):
    view = await ${N}.create(ADMIN, Create${E}(VALUES))
    calls = [
        lambda: ${N}.create(USER, Create${E}(VALUES)),
        lambda: ${N}.get(USER, view.uuid),
        lambda: ${N}.list(USER, ListQuery()),
        lambda: ${N}.update(USER, Update${E}(view.uuid, CHANGED)),
        lambda: ${N}.delete(USER, view.uuid),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            await call()
    assert (await ${N}.list(ADMIN, ListQuery())).total == 1
% endif
% if c.consumer:


async def test_note_created_is_done_once_per_message_id(store, ${N}):
    view = await ${N}.create(ACTOR, Create${E}(VALUES))
    message_id = uuid4()
%   if c.owner:
    cmd = Note${E}Created(${e}_id=view.uuid, owner_id=USER.user_id, message_id=message_id)
%   else:
    cmd = Note${E}Created(${e}_id=view.uuid, message_id=message_id)
%   endif
    assert await ${N}.note_created(cmd) is True
    assert await ${N}.note_created(cmd) is False
    assert store.db.inbox == {message_id}
%   if c.owner:
    assert store.db.notifications == [(USER.user_id, "${N}.created", {"${e}_uuid": str(view.uuid)})]
%   endif
% endif
