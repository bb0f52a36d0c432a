"""The ${c.Entity} aggregate: a record of the ${c.words} context and the rules of its changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self
from uuid import UUID, uuid4

from app.domain.${c.name}.events import ${c.Entity}Created, ${c.Entity}Deleted, ${c.Entity}Updated
from app.domain.${c.name}.values import ${", ".join([c.ENTITY + "_FIELDS", c.Entity + "Id", *(k.enum_class(c, f) for f in c.of_type("enum")), "check_" + c.entity])}
from app.domain.shared import AggregateRoot


@dataclass(eq=False, kw_only=True)
class ${c.Entity}(AggregateRoot):
    id: ${c.Entity}Id
% if c.owner:
    owner_id: UUID
% endif
% for f in c.fields:
    ${f.name}: ${k.python(c, f)}${" = None" if f.optional else ""}
% endfor
    created_at: datetime
    updated_at: datetime

    @classmethod
% if c.owner:
    def create(cls, owner_id: UUID, values: Mapping[str, Any], now: datetime) -> Self:
        """A new ${c.entity_words} of `owner_id` from its fields by name; records ${c.Entity}Created.
% else:
    def create(cls, values: Mapping[str, Any], now: datetime) -> Self:
        """A new ${c.entity_words} from its fields by name; records ${c.Entity}Created.
% endif
        Raises Invalid${c.Entity} (a ValidationError listing every bad or missing field)."""
        ${c.entity} = cls(
            id=${c.Entity}Id(uuid4()),
% if c.owner:
            owner_id=owner_id,
% endif
            **check_${c.entity}(values, complete=True),
            created_at=now,
            updated_at=now,
        )
% if "created" in c.events:
        ${c.entity}.record(
            ${c.Entity}Created(
                ${c.entity}_id=${c.entity}.id,
%   if c.owner:
                owner_id=owner_id,
%   endif
                values=${c.entity}.values(),
                occurred_at=now,
            )
        )
% endif
        return ${c.entity}

    def update(self, changes: Mapping[str, Any], now: datetime) -> None:
        """Change fields by name, all or none (None clears an optional one)${"; records " + c.Entity + "Updated" if "updated" in c.events else ""}.
        Raises Invalid${c.Entity} (a ValidationError listing every bad or unknown field)."""
        for name, value in check_${c.entity}(changes).items():
            setattr(self, name, value)
        if changes:
            self.updated_at = now
% if "updated" in c.events:
            fields = tuple(sorted(changes))
            self.record(${c.Entity}Updated(${c.entity}_id=self.id, fields=fields, occurred_at=now))
% endif
% if "deleted" in c.events:

    def delete(self, now: datetime) -> None:
        """Record ${c.Entity}Deleted: the repository removes the ${c.entity_words} with its events."""
        self.record(${c.Entity}Deleted(${c.entity}_id=self.id, occurred_at=now))
% endif

    def values(self) -> dict[str, Any]:
        """The fields by name, as stored."""
        return {name: getattr(self, name) for name in ${c.ENTITY}_FIELDS}
