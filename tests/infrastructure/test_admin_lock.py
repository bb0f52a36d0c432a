"""The last-admin rule holds under concurrency: changes of the admins run one after the other."""

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, text

from app.application.auth import Principal
from app.application.users import RegisterUser
from app.domain.auth.permissions import Role
from app.domain.users.errors import LastAdmin
from app.domain.users.values import UserId
from app.infrastructure.db.tables import UserRow

ACTOR = Principal(uuid.uuid4(), "sid", frozenset({Role.ADMIN}))


async def admins(container, count: int) -> list[uuid.UUID]:
    made = []
    for n in range(count):
        email = f"admin-{n}@example.com"
        await container.users.register(RegisterUser(email=email, password="password1"))
        made.append((await container.admin.grant(email, "admin")).uuid)
    return made


async def active_admins(container) -> int:
    async with container.sessions() as session:
        rows = await session.scalars(
            select(UserRow.uuid).where(UserRow.is_active, UserRow.roles.contains(["admin"]))
        )
        return len(rows.all())


async def warm_pool(container, connections: int) -> None:
    """Open the pool's connections first: a use case waiting for a new connection would let
    the other finish before it starts, and the race would not be run at all."""

    async def hold() -> None:
        async with container.engine.connect() as conn:
            await conn.execute(text("SELECT pg_sleep(0.05)"))

    await asyncio.gather(*(hold() for _ in range(connections)))


async def test_locking_the_admins_waits_for_the_transaction_holding_them(container):
    first, second = await admins(container, 2)
    async with container.uow() as holder:
        assert await holder.users.lock_holders(Role.ADMIN) == {first, second}
        async with container.uow() as waiter:
            waiting = asyncio.create_task(waiter.users.lock_holders(Role.ADMIN))
            await asyncio.sleep(0.3)
            assert not waiting.done()
            user = await holder.users.get(UserId(first))
            user.deactivate(datetime.now(UTC))
            await holder.commit()
            # The waiter sees the holder's change: only the second is an active admin now.
            assert await asyncio.wait_for(waiting, 5) == {second}


async def test_two_admins_deactivating_each_other_at_once_leave_one_admin(container):
    first, second = await admins(container, 2)
    await warm_pool(container, 4)
    outcomes = await asyncio.gather(
        container.admin.deactivate(ACTOR, first),
        container.admin.deactivate(ACTOR, second),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["LastAdmin", "UserView"]
    assert await active_admins(container) == 1


async def test_concurrent_demotions_of_three_admins_keep_the_last_one(container):
    await admins(container, 3)
    await warm_pool(container, 4)
    outcomes = await asyncio.gather(
        *(container.admin.revoke(f"admin-{n}@example.com", "admin") for n in range(3)),
        return_exceptions=True,
    )
    assert sum(isinstance(o, LastAdmin) for o in outcomes) == 1
    assert await active_admins(container) == 1
