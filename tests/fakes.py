"""Hand-written fakes of the application ports, for application-layer tests."""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from app.application.audit import audit_message
from app.application.ports import Mail, OutgoingMessage
from app.application.users import UserView
from app.domain.audit.entry import AuditEntry
from app.domain.auth.permissions import BASE_ROLE, Role
from app.domain.auth.session import (
    RefreshOutcome,
    SessionInfo,
    SessionLifetime,
    TokenClaims,
    TokenType,
)
from app.domain.shared import AuthenticationError
from app.domain.users.errors import EmailAlreadyTaken
from app.domain.users.user import User
from app.domain.users.values import Email, UserId


class FixedClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class FakeHasher:
    dummy_hash = "fake$dummy"

    def __init__(self) -> None:
        self.verified: list[str] = []

    async def hash(self, password: str) -> str:
        return f"fake${password}"

    async def verify(self, password: str, password_hash: str) -> bool:
        self.verified.append(password_hash)
        return password_hash == f"fake${password}"


class FakeTokens:
    """Tokens are readable strings `typ|user|sid|jti`."""

    def encode(self, claims: TokenClaims, lifetime_seconds: int) -> str:
        return f"{claims.token_type.value}|{claims.user_id}|{claims.session_id}|{claims.jti}"

    def decode(self, token: str, expected: TokenType) -> TokenClaims:
        typ, user, sid, jti = token.split("|")
        if typ != expected.value:
            raise AuthenticationError("wrong token type")
        return TokenClaims(UUID(user), sid, expected, jti)


@dataclass
class FakeSession:
    user_id: UUID
    jti: str
    deadline: datetime
    expires_at: datetime
    roles: frozenset[Role]
    created_at: datetime
    last_used_at: datetime
    client_address: str
    user_agent: str

    def touch(self, now: datetime, lifetime: SessionLifetime) -> None:
        """Live `idle_seconds` more, never past the deadline (the key's TTL in Redis)."""
        self.expires_at = min(now + timedelta(seconds=lifetime.idle_seconds), self.deadline)


class FakeSessions:
    """Sessions in a dict, with the rules of the Redis store; time is the clock's."""

    def __init__(self, clock: FixedClock | None = None) -> None:
        self.clock = clock or FixedClock()
        self.live: dict[str, FakeSession] = {}

    async def create(
        self,
        session_id: str,
        user_id: UUID,
        refresh_jti: str,
        lifetime: SessionLifetime,
        *,
        roles: frozenset[Role] = frozenset({BASE_ROLE}),
        client_address: str = "",
        user_agent: str = "",
    ) -> None:
        now = self.clock.now()
        deadline = now + timedelta(seconds=lifetime.max_seconds)
        self.live[session_id] = session = FakeSession(
            user_id, refresh_jti, deadline, deadline, roles, now, now, client_address, user_agent
        )
        session.touch(now, lifetime)

    async def roles_of(self, session_id: str, user_id: UUID) -> frozenset[Role] | None:
        session = self._live(session_id)
        return session.roles if session is not None and session.user_id == user_id else None

    async def rotate(
        self,
        session_id: str,
        user_id: UUID,
        presented_jti: str,
        new_jti: str,
        lifetime: SessionLifetime,
    ) -> RefreshOutcome:
        session = self._live(session_id)
        if session is None or session.user_id != user_id:
            return RefreshOutcome.MISSING
        if session.jti != presented_jti:
            del self.live[session_id]
            return RefreshOutcome.REUSED
        session.jti = new_jti
        session.last_used_at = self.clock.now()
        session.touch(self.clock.now(), lifetime)
        return RefreshOutcome.ROTATED

    async def sessions_of(self, user_id: UUID) -> list[SessionInfo]:
        # Redis keeps seconds: so does the fake.
        mine = [
            (sid, s) for sid in list(self.live) if (s := self._live(sid)) and s.user_id == user_id
        ]
        return sorted(
            (
                SessionInfo(
                    sid,
                    s.created_at.replace(microsecond=0),
                    s.last_used_at.replace(microsecond=0),
                    s.client_address,
                    s.user_agent,
                )
                for sid, s in mine
            ),
            key=lambda info: (info.created_at, info.session_id),
        )

    async def delete(self, session_id: str, user_id: UUID) -> bool:
        session = self._live(session_id)
        if session is None or session.user_id != user_id:
            return False
        del self.live[session_id]
        return True

    async def revoke_all(self, user_id: UUID, *, keep: str | None = None) -> None:
        self.live = {sid: s for sid, s in self.live.items() if s.user_id != user_id or sid == keep}

    def _live(self, session_id: str) -> FakeSession | None:
        """The session unless it expired (its Redis key would be gone)."""
        session = self.live.get(session_id)
        if session is not None and self.clock.now() >= session.expires_at:
            del self.live[session_id]
            return None
        return session


class FakeLimiter:
    def __init__(self, limit: int = 10) -> None:
        self.limit, self.counts = limit, dict[str, int]()

    async def hit(self, keys: Sequence[str]) -> int | None:
        for key in keys:
            self.counts[key] = self.counts.get(key, 0) + 1
        return 60 if any(self.counts[k] > self.limit for k in keys) else None


class FakeUserRepository:
    """Hands out copies of the stored users, as the SQL repository hands out fresh aggregates."""

    def __init__(self, store: dict[UserId, User]) -> None:
        self.store = store
        self.seen: dict[UserId, User] = {}

    async def get(self, user_id: UserId) -> User | None:
        return self._track(self.store.get(user_id))

    async def get_by_email(self, email: Email) -> User | None:
        return self._track(next((u for u in self.store.values() if u.email == email), None))

    def add(self, user: User) -> None:
        self.seen[user.id] = user

    async def lock_holders(self, role: Role) -> frozenset[UserId]:
        # The holders only: the fake runs one use case at a time, so it needs no lock (the
        # lock's effect is tested on PostgreSQL, tests/infrastructure/test_admin_lock.py).
        return frozenset(u.id for u in self.store.values() if u.holds(role))

    def _track(self, stored: User | None) -> User | None:
        if stored is None:
            return None
        return self.seen.setdefault(stored.id, deepcopy(stored))


class FakeOutbox:
    def __init__(self) -> None:
        self.pending: list[OutgoingMessage] = []

    def add(self, message: OutgoingMessage) -> None:
        self.pending.append(message)


class FakeInbox:
    def __init__(self, handled: set[UUID]) -> None:
        self.handled = handled

    async def claim(self, message_id: UUID) -> bool:
        if message_id in self.handled:
            return False
        self.handled.add(message_id)
        return True


class FakeNotifications:
    def __init__(self) -> None:
        self.pending: list[tuple[UUID, str, dict[str, Any]]] = []

    def add(self, user_id: UUID, kind: str, payload: dict[str, Any]) -> None:
        self.pending.append((user_id, kind, payload))


class FakeAuditTrail:
    """Entries and their outbox messages, like the SQL trail: committed or dropped together."""

    def __init__(self, outbox: FakeOutbox) -> None:
        self.pending: list[AuditEntry] = []
        self._outbox = outbox

    def record(self, entry: AuditEntry) -> None:
        self.pending.append(entry)
        self._outbox.add(audit_message(entry))


@dataclass
class FakeReset:
    user_id: UUID
    digest: str
    expires_at: datetime
    used_at: datetime | None = None


class FakePasswordResets:
    """Reset requests by id, on a copy the unit of work writes back at commit."""

    def __init__(self, stored: dict[UUID, FakeReset]) -> None:
        self.rows = deepcopy(stored)

    async def issue(
        self, request_id: UUID, user_id: UUID, digest: str, expires_at: datetime
    ) -> bool:
        row = self.rows.get(request_id)
        if row is not None and row.used_at is not None:
            return False
        self.rows[request_id] = FakeReset(user_id, digest, expires_at)
        return True

    async def redeem(self, digest: str, now: datetime) -> UUID | None:
        live = [
            r
            for r in self.rows.values()
            if r.digest == digest and not r.used_at and r.expires_at > now
        ]
        if not live:
            return None
        for row in self.rows.values():
            if row.user_id == live[0].user_id and row.used_at is None:
                row.used_at = now
        return live[0].user_id


class FakeUnitOfWork:
    """In-memory store shared by every unit of work made from one `FakeDatabase`."""

    def __init__(self, db: FakeDatabase) -> None:
        self._db = db
        self.users = FakeUserRepository(db.users)
        self.outbox = FakeOutbox()
        self.inbox = FakeInbox(set(db.inbox))
        self.notifications = FakeNotifications()
        self.audit = FakeAuditTrail(self.outbox)
        self.password_resets = FakePasswordResets(db.resets)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        """Check uniqueness first, then write copies: a failed commit applies nothing."""
        for user in self.users.seen.values():
            other = next((u for u in self._db.users.values() if u.email == user.email), None)
            if other is not None and other.id != user.id:
                raise EmailAlreadyTaken()
        for user in self.users.seen.values():
            self._db.events += user.collect_events()
            self._db.users[user.id] = deepcopy(user)
        self._db.messages += self.outbox.pending
        self.outbox.pending = []
        self._db.inbox |= self.inbox.handled
        self._db.notifications += self.notifications.pending
        self.notifications.pending = []
        self._db.audit += self.audit.pending
        self.audit.pending = []
        self._db.resets = deepcopy(self.password_resets.rows)
        self._db.commits += 1


class FakeDatabase:
    def __init__(self) -> None:
        self.users: dict[UserId, User] = {}
        self.events: list[object] = []
        self.messages: list[OutgoingMessage] = []
        self.inbox: set[UUID] = set()
        self.notifications: list[tuple[UUID, str, dict[str, Any]]] = []
        self.audit: list[AuditEntry] = []
        self.resets: dict[UUID, FakeReset] = {}
        self.commits = 0

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class FakeProfiles:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    async def get_profile(self, user_id: UUID) -> dict[str, Any] | None:
        user = self._db.users.get(UserId(user_id))
        return None if user is None else asdict(UserView.of(user))


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[Mail] = []

    async def send(self, mail: Mail) -> None:
        self.sent.append(mail)
