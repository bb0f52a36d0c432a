"""The composition root: the only module that names concrete adapters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.application.auth import AuthService, TokenLifetimes
from app.application.echo import EchoService
from app.application.health import HealthService
from app.application.messages import MessageService
from app.application.notifications import NotificationService
from app.application.ports import EventPublisher, UnitOfWork
from app.application.users import UserService
from app.config.settings import Settings
from app.infrastructure.clock import SystemClock
from app.infrastructure.db.engine import PostgresProbe, create_engine, create_session_factory
from app.infrastructure.db.retention import MessageRetention
from app.infrastructure.db.uow import SqlUnitOfWork
from app.infrastructure.db.users import SqlProfileReader
from app.infrastructure.messaging import build_publisher
from app.infrastructure.messaging.echo_counter import RedisEchoCounter
from app.infrastructure.messaging.outbox_relay import OutboxRelay
from app.infrastructure.redis import RedisAttemptLimiter, RedisProbe, RedisSessionStore
from app.infrastructure.security import BcryptHasher, JoseTokenCodec


@dataclass(frozen=True, slots=True, kw_only=True)
class Container:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    hasher: BcryptHasher
    users: UserService
    auth: AuthService
    health: HealthService
    messages: MessageService
    uow: Callable[[], UnitOfWork]
    publisher: EventPublisher
    relay: OutboxRelay
    notifications: NotificationService
    echo: EchoService
    retention: MessageRetention

    async def aclose(self) -> None:
        """Release what build_container opened: pools, connections, threads."""
        await self.publisher.aclose()
        await self.redis.aclose()
        await self.engine.dispose()
        self.hasher.close()


def build_container(settings: Settings) -> Container:
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    redis = Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=30,
    )
    clock = SystemClock()
    hasher = BcryptHasher(settings.password_hash_rounds)
    publisher = build_publisher(settings)  # connects on first use: building stays synchronous

    uow = partial(SqlUnitOfWork, sessions)
    lifetimes = TokenLifetimes(
        access_seconds=settings.access_token_expires_minutes * 60,
        refresh_seconds=settings.refresh_token_expires_days * 86400,
    )
    return Container(
        settings=settings,
        engine=engine,
        sessions=sessions,
        redis=redis,
        hasher=hasher,
        users=UserService(uow, hasher, clock, SqlProfileReader(engine)),
        auth=AuthService(
            uow,
            hasher,
            JoseTokenCodec(settings.secret_key, settings.project_name, settings.jwt_algorithms),
            RedisSessionStore(redis, settings.redis_key_prefix),
            RedisAttemptLimiter(
                redis, settings.redis_key_prefix, settings.sign_in_attempts_per_minute
            ),
            lifetimes,
        ),
        health=HealthService([PostgresProbe(engine), RedisProbe(redis), publisher]),
        messages=MessageService(uow, clock),
        uow=uow,
        publisher=publisher,
        relay=OutboxRelay(
            sessions, publisher, clock, base_delay=settings.outbox_relay_interval_seconds
        ),
        notifications=NotificationService(uow),
        echo=EchoService(RedisEchoCounter(redis, settings.redis_key_prefix)),
        retention=MessageRetention(sessions, clock, settings.outbox_retention_days),
    )
