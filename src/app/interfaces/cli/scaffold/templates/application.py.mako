<%
    E, e, N = c.Entity, c.entity, c.name
%>\
"""Use cases of the ${c.words} context: create, read, list, change and delete ${c.words}."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self
from uuid import UUID

from app.application.auth import Principal
from app.application.ports import Clock, ${E}Search, ListQuery, Page, UnitOfWork
from app.domain.${N}.${e} import ${E}
from app.domain.${N}.errors import ${E}NotFound
from app.domain.${N}.values import ${E}Id
from app.domain.auth.permissions import Permission, permissions_of


@dataclass(frozen=True, slots=True)
class Create${E}:
    """The fields of a new ${c.entity_words} by name (${c.ENTITY}_FIELDS); optional ones may be left out."""

    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Update${E}:
    """The fields to change by name; None clears an optional one."""

    ${e}_id: UUID
    changes: dict[str, Any]
% if c.consumer:


@dataclass(frozen=True, slots=True, kw_only=True)
class Note${E}Created:
    ${e}_id: UUID
%   if c.owner:
    owner_id: UUID
%   endif
    message_id: UUID | None = None  # the event that asked for it: handled at most once
% endif


@dataclass(frozen=True, slots=True, kw_only=True)
class ${E}View:
    """${c.an_entity.capitalize()} as the interfaces show it (never the integer id): its identity, its fields
    in the order of ${c.ENTITY}_FIELDS, its times."""

    uuid: UUID
% if c.owner:
    owner_uuid: UUID
% endif
% for f in c.fields:
    ${f.name}: ${k.shown(c, f)}
% endfor
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, ${e}: ${E}) -> Self:
        return cls(
            uuid=${e}.id,
% if c.owner:
            owner_uuid=${e}.owner_id,
% endif
            **${e}.values(),
            created_at=${e}.created_at,
            updated_at=${e}.updated_at,
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        return cls(**{field.name: row[field.name] for field in fields(cls)})


class ${E}Service:
    def __init__(
        self, uow: Callable[[], UnitOfWork], clock: Clock, search: ${E}Search
    ) -> None:
        self._uow, self._clock, self._search = uow, clock, search

    async def create(self, actor: Principal, cmd: Create${E}) -> ${E}View:
% if c.owner:
        """A new ${c.entity_words} of the caller. Raises Invalid${E}."""
        ${e} = ${E}.create(actor.user_id, cmd.values, self._clock.now())
% else:
        """A new ${c.entity_words} (permission `${N}:write`). Raises PermissionDenied, Invalid${E}."""
        actor.require(Permission.${c.NAME}_WRITE)
        ${e} = ${E}.create(cmd.values, self._clock.now())
% endif
        async with self._uow() as uow:
            uow.${N}.add(${e})
            await uow.commit()  # the row and its outbox rows, one transaction
        return ${E}View.of(${e})

    async def get(self, actor: Principal, ${e}_id: UUID) -> ${E}View:
% if c.owner:
        """One of the caller's ${c.words} (anyone's with `${N}:read`). Raises ${E}NotFound."""
        row = await self._search.first({"uuid": ${e}_id})
        if row is None or not _may(actor, Permission.${c.NAME}_READ, row["owner_uuid"]):
            raise ${E}NotFound()  # someone else's is not the caller's business
% else:
        """One ${c.entity_words} (permission `${N}:read`). Raises PermissionDenied, ${E}NotFound."""
        actor.require(Permission.${c.NAME}_READ)
        row = await self._search.first({"uuid": ${e}_id})
        if row is None:
            raise ${E}NotFound()
% endif
        return ${E}View.from_row(row)

    async def list(self, actor: Principal, query: ListQuery) -> Page[${E}View]:
% if c.owner:
        """A page of the caller's ${c.words} (anyone's with `${N}:read`) matching the query.
        Raises ValidationError (naming each bad key, the page or the cursor)."""
        mine = None if _may(actor, Permission.${c.NAME}_READ) else {"owner_uuid": actor.user_id}
        page = await self._search.page(query, mine)
% else:
        """A page of the ${c.words} matching the query (permission `${N}:read`).
        Raises PermissionDenied, ValidationError (naming each bad key, the page or the cursor)."""
        actor.require(Permission.${c.NAME}_READ)
        page = await self._search.page(query)
% endif
        items = [${E}View.from_row(row) for row in page.items]
        return Page(
            items=items, total=page.total, limit=page.limit, offset=page.offset, next=page.next
        )

    async def update(self, actor: Principal, cmd: Update${E}) -> ${E}View:
        """Change the fields named in `changes`. Raises ${E}NotFound, PermissionDenied,
        Invalid${E}."""
        async with self._uow() as uow:
            ${e} = await _changeable(uow, actor, cmd.${e}_id)
            ${e}.update(cmd.changes, self._clock.now())
            await uow.commit()
        return ${E}View.of(${e})

    async def delete(self, actor: Principal, ${e}_id: UUID) -> None:
        """Delete the ${c.entity_words}. Raises ${E}NotFound, PermissionDenied."""
        async with self._uow() as uow:
            ${e} = await _changeable(uow, actor, ${e}_id)
% if "deleted" in c.events:
            ${e}.delete(self._clock.now())
% endif
            await uow.${N}.remove(${e})
            await uow.commit()
% if c.consumer:

    async def note_created(self, cmd: Note${E}Created) -> bool:
%   if c.owner:
        """Tell the owner of a new ${c.entity_words}, once per message id: a notification. False
        when that id was handled before."""
%   else:
        """Take note of a new ${c.entity_words}, once per message id (the example's effect: the
        inbox row). False when that id was handled before."""
%   endif
        async with self._uow() as uow:
            # The claim and the write commit together: a redelivery finds the id, does nothing.
            if cmd.message_id is not None and not await uow.inbox.claim(cmd.message_id):
                return False
%   if c.owner:
            payload = {"${e}_uuid": str(cmd.${e}_id)}
            uow.notifications.add(cmd.owner_id, "${N}.created", payload)
%   endif
            await uow.commit()
        return True
% endif
% if c.owner:


def _may(actor: Principal, permission: Permission, owner: UUID | None = None) -> bool:
    """The owner acts on their own ${c.words}; on anyone's, a role must grant `permission`."""
    return owner == actor.user_id or permission in permissions_of(actor.roles)
% endif


async def _changeable(uow: UnitOfWork, actor: Principal, ${e}_id: UUID) -> ${E}:
    """The ${c.entity_words} to change, locked. Raises ${E}NotFound, PermissionDenied."""
% if not c.owner:
    actor.require(Permission.${c.NAME}_WRITE)
% endif
    ${e} = await uow.${N}.get(${E}Id(${e}_id))
% if c.owner:
    if ${e} is None or not _may(actor, Permission.${c.NAME}_READ, ${e}.owner_id):
        raise ${E}NotFound()
    if ${e}.owner_id != actor.user_id:
        actor.require(Permission.${c.NAME}_WRITE)
% else:
    if ${e} is None:
        raise ${E}NotFound()
% endif
    return ${e}
