"""The Redis session store against the real Redis: owners, the per-user index, deadlines."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from app.domain.auth.permissions import Role
from app.domain.auth.session import RefreshOutcome, SessionInfo, SessionLifetime
from app.infrastructure.redis import RedisSessionStore

LIFETIME = SessionLifetime(idle_seconds=600, max_seconds=3600)


@pytest.fixture
def prefix(settings) -> str:
    return f"{settings.redis_key_prefix}sessions-{uuid.uuid4().hex[:8]}:"


@pytest.fixture
def redis(container):
    return container.redis


@pytest.fixture
def store(redis, prefix) -> RedisSessionStore:
    return RedisSessionStore(redis, prefix)


async def index_of(redis, prefix: str, user: uuid.UUID) -> set[str]:
    return set(await redis.smembers(f"{prefix}user-sessions:{user}"))


async def test_a_session_belongs_to_its_user_and_to_no_other(store):
    user = uuid.uuid4()
    await store.create("s1", user, "jti", LIFETIME)
    assert await store.roles_of("s1", user) == {Role.USER}
    assert await store.roles_of("s1", uuid.uuid4()) is None
    assert await store.roles_of("no-such-session", user) is None


async def test_rotating_another_users_session_is_missing_and_leaves_it_as_it_was(
    store, redis, prefix
):
    owner = uuid.uuid4()
    await store.create("s1", owner, "live-jti", LIFETIME)
    outcome = await store.rotate("s1", uuid.uuid4(), "live-jti", "new", LIFETIME)
    assert outcome is RefreshOutcome.MISSING
    assert await redis.hget(f"{prefix}session:s1", "jti") == "live-jti"
    assert await store.rotate("s1", owner, "live-jti", "new", LIFETIME) is RefreshOutcome.ROTATED


async def test_revoke_all_ends_every_session_of_the_user_and_no_other(store, redis, prefix):
    user, other = uuid.uuid4(), uuid.uuid4()
    for session_id in ("a", "b", "c"):
        await store.create(session_id, user, "jti", LIFETIME)
    await store.create("theirs", other, "jti", LIFETIME)
    await store.revoke_all(user)
    assert [await store.roles_of(s, user) for s in ("a", "b", "c")] == [None] * 3
    assert await index_of(redis, prefix, user) == set()
    assert await store.roles_of("theirs", other) is not None


async def test_revoke_all_can_keep_the_callers_own_session(store, redis, prefix):
    user, other = uuid.uuid4(), uuid.uuid4()
    for session_id in ("a", "b"):
        await store.create(session_id, user, "jti", LIFETIME)
    await store.create("theirs", other, "jti", LIFETIME)
    await store.revoke_all(user, keep="b")
    assert await store.roles_of("a", user) is None
    assert await store.roles_of("b", user) == {Role.USER}
    assert await index_of(redis, prefix, user) == {"b"}
    await store.revoke_all(other, keep="b")  # another user's id to keep keeps nothing of theirs
    assert await store.roles_of("theirs", other) is None
    assert await store.roles_of("b", user) == {Role.USER}


async def test_the_user_index_expires_no_earlier_than_its_sessions(store, redis, prefix):
    user = uuid.uuid4()
    await store.create("a", user, "jti", SessionLifetime(idle_seconds=60, max_seconds=100))
    index_ttl = await redis.ttl(f"{prefix}user-sessions:{user}")
    assert 100 - 2 <= index_ttl <= 100
    assert await redis.ttl(f"{prefix}session:a") <= index_ttl


async def test_sign_out_and_reuse_take_the_session_out_of_the_index(store, redis, prefix):
    user = uuid.uuid4()
    await store.create("signed-out", user, "jti", LIFETIME)
    await store.create("stolen", user, "jti", LIFETIME)
    await store.create("kept", user, "jti", LIFETIME)
    await store.delete("signed-out", user)
    assert await store.rotate("stolen", user, "spent-jti", "new", LIFETIME) is (
        RefreshOutcome.REUSED
    )
    assert await index_of(redis, prefix, user) == {"kept"}


async def test_a_session_that_expired_on_its_own_leaves_the_index_at_the_next_sign_in(
    store, redis, prefix
):
    user = uuid.uuid4()
    await store.create("old", user, "jti", LIFETIME)
    await redis.delete(f"{prefix}session:old")  # what its TTL does
    await store.create("new", user, "jti", LIFETIME)
    assert await index_of(redis, prefix, user) == {"new"}


async def test_the_ttl_never_reaches_past_the_absolute_deadline(store, redis, prefix):
    user, short = uuid.uuid4(), SessionLifetime(idle_seconds=600, max_seconds=5)
    await store.create("s", user, "j1", short)
    assert 0 < await redis.ttl(f"{prefix}session:s") <= 5
    assert await store.rotate("s", user, "j1", "j2", short) is RefreshOutcome.ROTATED
    assert 0 < await redis.ttl(f"{prefix}session:s") <= 5


async def test_a_session_past_its_deadline_is_not_rotated_and_is_deleted(store, redis, prefix):
    user = uuid.uuid4()
    await store.create("s", user, "j1", LIFETIME)
    await redis.hset(f"{prefix}session:s", "deadline", 1)  # as if its deadline had passed
    assert await store.rotate("s", user, "j1", "j2", LIFETIME) is RefreshOutcome.EXPIRED
    assert not await redis.exists(f"{prefix}session:s")
    assert await index_of(redis, prefix, user) == set()


async def test_a_session_ends_at_its_deadline_however_often_it_is_refreshed(store):
    user, lifetime = uuid.uuid4(), SessionLifetime(idle_seconds=600, max_seconds=2)
    await store.create("s", user, "j0", lifetime)
    outcomes = []
    for step in range(1, 6):
        await asyncio.sleep(0.5)
        outcomes.append(await store.rotate("s", user, f"j{step - 1}", f"j{step}", lifetime))
    assert outcomes[0] is RefreshOutcome.ROTATED
    assert outcomes[-1] is not RefreshOutcome.ROTATED
    assert await store.roles_of("s", user) is None


async def test_a_session_opened_before_deadlines_gets_one_and_joins_the_index(store, redis, prefix):
    user = uuid.uuid4()
    key = f"{prefix}session:legacy"
    await redis.hset(key, mapping={"sub": str(user), "jti": "j1"})
    await redis.expire(key, 86400)
    assert await store.rotate("legacy", user, "j1", "j2", LIFETIME) is RefreshOutcome.ROTATED
    assert await redis.hget(key, "deadline")
    assert 0 < await redis.ttl(key) <= LIFETIME.idle_seconds
    assert await index_of(redis, prefix, user) == {"legacy"}


async def test_a_session_carries_the_roles_it_was_opened_with(store):
    user = uuid.uuid4()
    await store.create("s", user, "jti", LIFETIME, roles=frozenset({Role.USER, Role.ADMIN}))
    assert await store.roles_of("s", user) == {Role.USER, Role.ADMIN}


async def test_roles_are_read_with_the_owner_in_one_command(store, redis, prefix):
    user = uuid.uuid4()
    await store.create("s", user, "jti", LIFETIME, roles=frozenset({Role.ADMIN}))
    commands = []
    execute = redis.execute_command

    async def counted(*args, **options):
        commands.append(args[0])
        return await execute(*args, **options)

    redis.execute_command = counted
    try:
        await store.roles_of("s", user)
    finally:
        del redis.execute_command
    assert commands == ["HMGET"]


async def test_a_session_without_roles_grants_the_base_role_only(store, redis, prefix):
    user = uuid.uuid4()
    key = f"{prefix}session:older"
    await redis.hset(key, mapping={"sub": str(user), "jti": "j1"})
    await redis.expire(key, 60)
    assert await store.roles_of("older", user) == {Role.USER}
    await redis.hset(key, "roles", "admin,retired-role")
    assert await store.roles_of("older", user) == {Role.USER, Role.ADMIN}


async def test_sessions_of_lists_the_users_live_sessions_oldest_first(store, redis, prefix):
    user, other = uuid.uuid4(), uuid.uuid4()
    await store.create("b", user, "jti", LIFETIME, client_address="203.0.113.7", user_agent="ua")
    await store.create("a", user, "jti", LIFETIME)
    await store.create("gone", user, "jti", LIFETIME)
    await store.create("theirs", other, "jti", LIFETIME)
    await redis.hset(f"{prefix}session:b", "created", 1)  # as if opened long ago
    await redis.delete(f"{prefix}session:gone")  # what its TTL does
    listed = await store.sessions_of(user)
    assert [s.session_id for s in listed] == ["b", "a"]
    assert (listed[0].client_address, listed[0].user_agent) == ("203.0.113.7", "ua")
    assert listed[0].created_at == datetime.fromtimestamp(1, UTC)
    assert listed[1].created_at == listed[1].last_used_at
    assert abs((listed[1].created_at - datetime.now(UTC)).total_seconds()) < 5
    assert await index_of(redis, prefix, user) == {"a", "b"}


async def test_a_refresh_is_the_sessions_last_use(store, redis, prefix):
    user = uuid.uuid4()
    await store.create("s", user, "j1", LIFETIME)
    await redis.hset(f"{prefix}session:s", mapping={"created": 1, "used": 1})
    assert await store.rotate("s", user, "j1", "j2", LIFETIME) is RefreshOutcome.ROTATED
    [info] = await store.sessions_of(user)
    assert info.created_at == datetime.fromtimestamp(1, UTC)
    assert abs((info.last_used_at - datetime.now(UTC)).total_seconds()) < 5


async def test_a_session_from_before_the_listing_fields_is_listed_without_them(
    store, redis, prefix
):
    user = uuid.uuid4()
    key = f"{prefix}session:older"
    await redis.hset(key, mapping={"sub": str(user), "jti": "j1"})
    await redis.expire(key, 60)
    await redis.sadd(f"{prefix}user-sessions:{user}", "older")
    [info] = await store.sessions_of(user)
    assert info == SessionInfo("older", None, None, "", "")


async def test_delete_ends_only_a_session_of_the_named_user(store):
    owner, other = uuid.uuid4(), uuid.uuid4()
    await store.create("s", owner, "jti", LIFETIME)
    assert not await store.delete("s", other)
    assert await store.roles_of("s", owner) is not None
    assert await store.delete("s", owner)
    assert await store.roles_of("s", owner) is None
    assert not await store.delete("s", owner)
