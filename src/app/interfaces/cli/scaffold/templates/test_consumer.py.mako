<%
    E, e, N = c.Entity, c.entity, c.name
%>\
"""`${N}.created.v1` over a real broker: a new ${c.entity_words}'s event reaches its handler once."""

from uuid import uuid4

from sqlalchemy import select

from app.application.auth import Principal
from app.application.${N} import Create${E}
from app.domain.auth.permissions import Role
from app.infrastructure.db.tables import InboxRow, NotificationRow, OutboxRow
from tests.domain.test_${N} import VALUES
from tests.messaging.conftest import eventually, running_consumer


async def test_a_new_${e}_is_handled_by_the_consumer(broker_container):
% if c.owner:
    author = Principal(uuid4(), "session")
% else:
    author = Principal(uuid4(), "session", frozenset({Role.USER, Role.ADMIN}))
% endif
    async with running_consumer(broker_container):
        view = await broker_container.${N}.create(author, Create${E}(VALUES))

        async def handled() -> list[object]:
            async with broker_container.sessions() as session:
% if c.owner:
                query = select(NotificationRow.payload).where(
                    NotificationRow.user_uuid == author.user_id
                )
% else:
                sent = select(OutboxRow.message_id).where(OutboxRow.ordering_key == str(view.uuid))
                query = select(InboxRow.message_id).where(InboxRow.message_id.in_(sent))
% endif
                return list(await session.scalars(query))

% if c.owner:
        assert await eventually(handled) == [{"${e}_uuid": str(view.uuid)}]
% else:
        assert len(await eventually(handled)) == 1
% endif
