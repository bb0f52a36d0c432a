"""Hand-written fakes of the application ports, for application-layer tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from app.application.ports import OutgoingMessage
from app.application.users import UserView
from app.domain.auth.session import RefreshOutcome, TokenClaims, TokenType
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


class FakeSessions:
    def __init__(self) -> None:
        self.live: dict[str, str] = {}

    async def create(self, session_id: str, user_id: UUID, refresh_jti: str, ttl: int) -> None:
        self.live[session_id] = refresh_jti

    async def exists(self, session_id: str) -> bool:
        return session_id in self.live

    async def rotate(
        self, session_id: str, presented_jti: str, new_jti: str, ttl: int
    ) -> RefreshOutcome:
        if session_id not in self.live:
            return RefreshOutcome.MISSING
        if self.live[session_id] != presented_jti:
            del self.live[session_id]
            return RefreshOutcome.REUSED
        self.live[session_id] = new_jti
        return RefreshOutcome.ROTATED

    async def delete(self, session_id: str) -> None:
        self.live.pop(session_id, None)


class FakeLimiter:
    def __init__(self, limit: int = 10) -> None:
        self.limit, self.counts = limit, dict[str, int]()

    async def hit(self, keys: Sequence[str]) -> int | None:
        for key in keys:
            self.counts[key] = self.counts.get(key, 0) + 1
        return 60 if any(self.counts[k] > self.limit for k in keys) else None


class FakeUserRepository:
    def __init__(self, store: dict[UserId, User]) -> None:
        self.store = store
        self.seen: dict[UserId, User] = {}

    async def get(self, user_id: UserId) -> User | None:
        user = self.store.get(user_id)
        if user:
            self.seen[user.id] = user
        return user

    async def get_by_email(self, email: Email) -> User | None:
        return next((u for u in self.store.values() if u.email == email), None)

    def add(self, user: User) -> None:
        self.seen[user.id] = user


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


class FakeUnitOfWork:
    """In-memory store shared by every unit of work made from one `FakeDatabase`."""

    def __init__(self, db: FakeDatabase) -> None:
        self._db = db
        self.users = FakeUserRepository(db.users)
        self.outbox = FakeOutbox()
        self.inbox = FakeInbox(set(db.inbox))
        self.notifications = FakeNotifications()

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
        for user in self.users.seen.values():
            other = next((u for u in self._db.users.values() if u.email == user.email), None)
            if other is not None and other.id != user.id:
                raise EmailAlreadyTaken()
        for user in self.users.seen.values():
            self._db.users[user.id] = user
            self._db.events += user.collect_events()
        self._db.messages += self.outbox.pending
        self._db.inbox |= self.inbox.handled
        self._db.notifications += self.notifications.pending
        self._db.commits += 1


class FakeDatabase:
    def __init__(self) -> None:
        self.users: dict[UserId, User] = {}
        self.events: list[object] = []
        self.messages: list[OutgoingMessage] = []
        self.inbox: set[UUID] = set()
        self.notifications: list[tuple[UUID, str, dict[str, Any]]] = []
        self.commits = 0

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class FakeProfiles:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    async def get_profile(self, user_id: UUID) -> dict[str, Any] | None:
        user = self._db.users.get(UserId(user_id))
        return None if user is None else asdict(UserView.of(user))
