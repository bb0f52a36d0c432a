"""Use cases of administration: other accounts' profiles, roles, activation and sessions.

Each use case an admin calls over REST or gRPC checks the caller's permission first, so both
interfaces enforce the one table of domain/auth/permissions.py. The operator's use cases
(`grant`, `revoke`) take no caller: `app users` runs on a host that holds the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from app.application.audit import entry
from app.application.auth import Principal
from app.application.ports import Clock, ProfileReader, SessionStore, UnitOfWork
from app.application.users import UserView
from app.domain.audit.entry import ActorKind, AuditAction, Detail
from app.domain.auth.permissions import Permission, Role, parse_role, parse_roles
from app.domain.auth.session import SessionInfo, SessionNotFound
from app.domain.users.errors import UserNotFound
from app.domain.users.user import User, ensure_an_admin_remains
from app.domain.users.values import Email, UserId

Change = Callable[[User, datetime], None]


@dataclass(frozen=True, slots=True)
class UpdateUser:
    """Profile fields to change and, unless None, every role the account should hold."""

    user_id: UUID
    changes: dict[str, Any] = field(default_factory=dict)
    roles: Sequence[str] | None = None


class AdminService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        sessions: SessionStore,
        clock: Clock,
        profiles: ProfileReader,
    ) -> None:
        self._uow, self._sessions, self._clock, self._profiles = uow, sessions, clock, profiles

    async def get(self, actor: Principal, user_id: UUID) -> UserView:
        """Any account, active or not. Raises PermissionDenied, UserNotFound."""
        actor.require(Permission.USERS_READ)
        row = await self._profiles.get_profile(user_id)
        if row is None:
            raise UserNotFound()
        return UserView.from_row(row)

    async def update(self, actor: Principal, cmd: UpdateUser) -> UserView:
        """Change an account's profile and roles; a change of roles ends its sessions.
        Raises PermissionDenied, UserNotFound, InvalidField, UnknownRole, LastAdmin."""
        actor.require(Permission.USERS_WRITE)
        roles = None if cmd.roles is None else parse_roles(cmd.roles)

        def change(user: User, now: datetime) -> None:
            user.update_profile(cmd.changes, now)
            if roles is not None:
                user.set_roles(roles, now)

        return await self._change(UserId(cmd.user_id), change, actor)

    async def deactivate(self, actor: Principal, user_id: UUID) -> UserView:
        """Block sign-in and end every session of the account at once (again when repeated).
        Raises PermissionDenied, UserNotFound, LastAdmin."""
        actor.require(Permission.USERS_DEACTIVATE)
        return await self._change(UserId(user_id), User.deactivate, actor)

    async def reactivate(self, actor: Principal, user_id: UUID) -> UserView:
        """Allow sign-in again. Raises PermissionDenied, UserNotFound."""
        actor.require(Permission.USERS_DEACTIVATE)
        return await self._change(UserId(user_id), User.reactivate, actor)

    async def sessions(self, actor: Principal, user_id: UUID) -> list[SessionInfo]:
        """The account's live sessions, oldest first. Raises PermissionDenied, UserNotFound."""
        actor.require(Permission.SESSIONS_REVOKE)
        if await self._profiles.get_profile(user_id) is None:
            raise UserNotFound()
        return await self._sessions.sessions_of(user_id)

    async def revoke_session(self, actor: Principal, user_id: UUID, session_id: str) -> None:
        """End one session of the account: its tokens stop working at once.
        Raises PermissionDenied, SessionNotFound (also for another account's session)."""
        actor.require(Permission.SESSIONS_REVOKE)
        if not await self._sessions.delete(session_id, user_id):
            raise SessionNotFound()
        revoked = entry(
            AuditAction.SESSION_REVOKED,
            self._clock.now(),
            actor_id=actor.user_id,
            target_id=user_id,
            detail={"session_id": session_id},
        )
        async with self._uow() as uow:
            uow.audit.record(revoked)
            await uow.commit()

    async def grant(self, email: str, role: str) -> UserView:
        """Operator: give the account `role`; its sessions end. Raises InvalidField,
        UnknownRole, UserNotFound."""
        granted = parse_role(role)
        return await self._change(
            Email.parse(email), lambda u, now: u.set_roles(u.roles | {granted}, now), None
        )

    async def revoke(self, email: str, role: str) -> UserView:
        """Operator: take `role` from the account (the base role stays); its sessions end.
        Raises InvalidField, UnknownRole, UserNotFound, LastAdmin."""
        taken = parse_role(role)
        return await self._change(
            Email.parse(email), lambda u, now: u.set_roles(u.roles - {taken}, now), None
        )

    async def _change(
        self, key: UserId | Email, change: Change, actor: Principal | None
    ) -> UserView:
        """Apply `change` in one transaction that keeps an active admin and audits what it
        changed (by the actor, or the operator when there is none), then end the account's
        sessions when it is inactive or its roles changed."""
        async with self._uow() as uow:
            # Locked before the account is read, so two changes that could each remove one of
            # the last two admins run one after the other and the second sees the first.
            admins = await uow.users.lock_holders(Role.ADMIN)
            user = await (
                uow.users.get_by_email(key) if isinstance(key, Email) else uow.users.get(key)
            )
            if user is None:
                raise UserNotFound()
            before = _audited(user)
            now = self._clock.now()
            change(user, now)
            ensure_an_admin_remains(admins, user)
            for action, detail in _changes(before, _audited(user)):
                uow.audit.record(
                    entry(
                        action,
                        now,
                        actor_id=actor.user_id if actor else None,
                        target_id=user.id,
                        detail=detail,
                        actor_kind=None if actor else ActorKind.OPERATOR,
                    )
                )
            await uow.commit()
        # After the commit, so a sign-in racing this one either reads the new state or has its
        # session indexed already (it reads the account again after indexing); a retry ends
        # them again when Redis failed here.
        if not user.is_active or user.roles != before.roles:
            await self._sessions.revoke_all(user.id)
        return UserView.of(user)


@dataclass(frozen=True, slots=True)
class _Audited:
    """What the audit trail follows of an account."""

    roles: frozenset[Role]
    is_active: bool
    profile: dict[str, Any]


def _audited(user: User) -> _Audited:
    return _Audited(user.roles, user.is_active, user.profile())


def _changes(before: _Audited, after: _Audited) -> Iterator[tuple[AuditAction, Detail]]:
    """An entry per kind of change: the profile's changed fields (never their values), the
    roles now held, the activation."""
    changed = sorted(k for k, v in after.profile.items() if before.profile[k] != v)
    if changed:
        yield AuditAction.PROFILE_CHANGED, {"fields": changed}
    if after.roles != before.roles:
        yield AuditAction.ROLES_CHANGED, {"roles": sorted(after.roles)}
    if after.is_active != before.is_active:
        yield (AuditAction.REACTIVATED if after.is_active else AuditAction.DEACTIVATED), {}
