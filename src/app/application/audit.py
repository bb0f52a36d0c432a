"""The audit trail's use cases: an entry with the request's context, and reading the trail."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from app.application.context import client_address, correlation_id
from app.application.ports import ListQuery, OutgoingMessage, Page, Search
from app.domain.audit.entry import (
    AUDIT_RECORDED,
    ActorKind,
    AuditAction,
    AuditEntry,
    Detail,
    actor_kind_of,
)
from app.domain.auth.permissions import Permission

if TYPE_CHECKING:  # the auth use cases record entries: importing them here would be a cycle
    from app.application.auth import Principal


def entry(
    action: AuditAction,
    now: datetime,
    *,
    actor_id: UUID | None = None,
    target_id: UUID | None = None,
    detail: Detail | None = None,
    actor_kind: ActorKind | None = None,
) -> AuditEntry:
    """An entry of the current request: its id and client address come from the context the
    edge set. The actor is the caller's account (or one proven otherwise, by a reset token);
    one acting on another account acts as an admin, and nobody is anonymous."""
    if actor_kind is None:
        actor_kind = ActorKind.ANONYMOUS if actor_id is None else actor_kind_of(actor_id, target_id)
    return AuditEntry(
        action=action,
        actor_kind=actor_kind,
        occurred_at=now,
        actor_id=actor_id,
        target_id=target_id,
        request_id=correlation_id.get(),
        client_address=client_address.get(),
        detail=detail or {},
    )


def audit_message(entry: AuditEntry) -> OutgoingMessage:
    """The entry's `audit.recorded.v1` message, which every audit trail writes beside it."""
    return OutgoingMessage(
        id=entry.id,
        event=AUDIT_RECORDED,
        data=dict(entry.payload()),
        occurred_at=entry.occurred_at,
        key=entry.subject,
    )


class AuditService:
    def __init__(self, search: Search) -> None:
        self._search = search

    async def list_entries(self, actor: Principal, query: ListQuery) -> Page[AuditEntry]:
        """A page of entries matching the query, newest first by default.
        Raises PermissionDenied, ValidationError (naming each bad key, the page or the cursor)."""
        actor.require(Permission.AUDIT_READ)
        page = await self._search.page(query)
        items = [_entry(row) for row in page.items]
        return Page(
            items=items, total=page.total, limit=page.limit, offset=page.offset, next=page.next
        )


def _entry(row: Mapping[str, Any]) -> AuditEntry:
    # Read back as stored: an action or kind this code no longer names still lists.
    return AuditEntry(
        id=row["uuid"],
        action=row["action"],
        actor_kind=row["actor_kind"],
        occurred_at=row["occurred_at"],
        actor_id=row["actor_uuid"],
        target_id=row["target_uuid"],
        request_id=row["request_id"],
        client_address=row["client_address"],
        detail=row["detail"],
    )
