"""The composition root: the only module that names concrete adapters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import partial

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.application.admin import AdminService
from app.application.audit import AuditService
from app.application.auth import AttemptLimits, AuthService, TokenLifetimes
from app.application.directory import DirectoryService
from app.application.echo import EchoService
from app.application.health import HealthService
from app.application.messages import MessageService
from app.application.notifications import NotificationService
from app.application.password_reset import PasswordResetService, ResetPolicy
from app.application.ports import (
    Broker,
    Clock,
    EventPublisher,
    Mailer,
    PasswordHasher,
    ProfileReader,
    SessionStore,
    UnitOfWork,
)
from app.application.users import UserService
from app.config.settings import Settings
from app.infrastructure.clock import SystemClock
from app.infrastructure.db.audit_log import AuditQueries
from app.infrastructure.db.directory import UserQueries
from app.infrastructure.db.engine import PostgresProbe, create_engine, create_session_factory
from app.infrastructure.db.keyset import Cursors
from app.infrastructure.db.retention import MessageRetention
from app.infrastructure.db.uow import SqlUnitOfWork
from app.infrastructure.db.users import SqlProfileReader
from app.infrastructure.mail import build_mailer
from app.infrastructure.messaging import build_publisher
from app.infrastructure.messaging.echo_counter import RedisEchoCounter
from app.infrastructure.messaging.outbox_relay import OutboxRelay
from app.infrastructure.proxies import TrustedProxies
from app.infrastructure.redis import RedisAttemptLimiter, RedisProbe, RedisSessionStore
from app.infrastructure.security import BcryptHasher, JoseTokenCodec


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Container:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    hasher: PasswordHasher
    users: UserService
    auth: AuthService
    admin: AdminService
    directory: DirectoryService
    health: HealthService
    messages: MessageService
    uow: Callable[[], UnitOfWork]
    publisher: EventPublisher
    relay: OutboxRelay
    notifications: NotificationService
    echo: EchoService
    retention: MessageRetention
    proxies: TrustedProxies
    password_resets: PasswordResetService
    audit: AuditService

    def __repr__(self) -> str:
        # Adapters may print their URLs and keys: only the (masked) settings are shown.
        names = ", ".join(f.name for f in fields(self) if f.name != "settings")
        return f"Container(settings={self.settings!r}, components=[{names}])"

    async def aclose(self) -> None:
        """Release what build_container opened: pools, connections, threads."""
        await self.publisher.aclose()
        await self.redis.aclose()
        await self.engine.dispose()
        if isinstance(self.hasher, BcryptHasher):
            self.hasher.close()


def build_container(
    settings: Settings,
    *,
    uow: Callable[[], UnitOfWork] | None = None,
    hasher: PasswordHasher | None = None,
    sessions: SessionStore | None = None,
    limits: AttemptLimits | None = None,
    profiles: ProfileReader | None = None,
    publisher: Broker | None = None,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
) -> Container:
    """The process's services; tests replace adapters by keyword and keep the real wiring."""
    engine = create_engine(settings)
    session_factory = create_session_factory(engine)
    redis = Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=30,
    )
    clock = clock or SystemClock()
    hasher = hasher or BcryptHasher(
        settings.password_hash_rounds, queue_limit=settings.password_hash_queue_limit
    )
    # Connects on first use: building stays synchronous.
    publisher = publisher or build_publisher(settings)
    uow = uow or partial(SqlUnitOfWork, session_factory)
    lifetimes = TokenLifetimes(
        access_seconds=settings.access_token_expires_minutes * 60,
        refresh_seconds=settings.refresh_token_expires_days * 86400,
        session_seconds=settings.session_max_lifetime_days * 86400,
    )
    prefix = settings.redis_key_prefix
    limits = limits or AttemptLimits(
        sign_in=RedisAttemptLimiter(
            redis, prefix + "sign-in:", settings.sign_in_attempts_per_minute, clock
        ),
        sign_up=RedisAttemptLimiter(
            redis, prefix + "sign-up:", settings.sign_up_attempts_per_minute, clock
        ),
        password_reset=RedisAttemptLimiter(
            redis, prefix + "password-reset:", settings.password_reset_attempts_per_minute, clock
        ),
    )
    mailer = mailer or build_mailer(settings)
    cursors = Cursors(settings.secret_key)
    page_limits = {"max_page_size": settings.max_page_size, "max_filters": settings.max_filters}
    session_store = sessions or RedisSessionStore(redis, prefix)
    profiles = profiles or SqlProfileReader(engine)
    return Container(
        settings=settings,
        engine=engine,
        sessions=session_factory,
        redis=redis,
        hasher=hasher,
        users=UserService(uow, hasher, clock, profiles),
        auth=AuthService(
            uow,
            hasher,
            JoseTokenCodec(settings.secret_key, settings.project_name, settings.jwt_algorithms),
            session_store,
            limits,
            lifetimes,
            clock,
        ),
        admin=AdminService(uow, session_store, clock, profiles),
        directory=DirectoryService(UserQueries(session_factory, cursors, **page_limits)),
        audit=AuditService(AuditQueries(session_factory, cursors, **page_limits)),
        password_resets=PasswordResetService(
            uow,
            hasher,
            session_store,
            mailer,
            limits.password_reset,
            clock,
            ResetPolicy(
                token_seconds=settings.password_reset_token_minutes * 60,
                link=settings.password_reset_url,
            ),
        ),
        health=HealthService([PostgresProbe(engine), RedisProbe(redis), publisher]),
        messages=MessageService(uow, clock),
        uow=uow,
        publisher=publisher,
        relay=OutboxRelay(
            session_factory,
            publisher,
            clock,
            base_delay=settings.outbox_relay_interval_seconds,
            max_attempts=settings.outbox_max_attempts,
        ),
        notifications=NotificationService(uow),
        echo=EchoService(RedisEchoCounter(redis, settings.redis_key_prefix)),
        retention=MessageRetention(session_factory, clock, settings.outbox_retention_days),
        proxies=TrustedProxies.parse(settings.trusted_proxies),
    )
