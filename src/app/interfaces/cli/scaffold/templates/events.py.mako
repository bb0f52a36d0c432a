<%
    E, e, N = c.Entity, c.entity, c.name
%>\
"""Events of the ${c.words} context, with the public names they travel under."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypedDict
from uuid import UUID

from app.domain.${N}.values import ${E}Id
from app.domain.fields import plain
from app.domain.shared import DomainEvent

# Each event's data has a TypedDict that its payload() builds (so mypy holds the two together),
# named in the event registry (infrastructure/messaging/contracts.py) for its JSON Schema.


class ${E}Data(TypedDict):
    """The ${c.entity_words} the event is about."""

    ${e}_uuid: str
% if "created" in c.events:


class ${E}CreatedData(${E}Data):
    """The new ${c.entity_words}${", its owner" if c.owner else ""} and each field as JSON carries it."""

%   if c.owner:
    owner_uuid: str
%   endif
%   for f in c.fields:
    ${f.name}: ${k.json_type(f)}
%   endfor
% endif
% if "updated" in c.events:


class ${E}UpdatedData(${E}Data):
    fields: list[str]
% endif


@dataclass(frozen=True, kw_only=True)
class ${E}Event(DomainEvent):
    ${e}_id: ${E}Id

    @property
    def aggregate_id(self) -> str:
        return str(self.${e}_id)  # Kafka keys by it: one ${c.entity_words}'s events stay in order

    def payload(self) -> dict[str, Any]:
        return dict(${E}Data(${e}_uuid=str(self.${e}_id)))
% if "created" in c.events:


@dataclass(frozen=True, kw_only=True)
class ${E}Created(${E}Event):
    name: ClassVar[str] = "${N}.created.v1"
%   if c.owner:
    owner_id: UUID
%   endif
    values: Mapping[str, Any]

    def payload(self) -> dict[str, Any]:
        values = {name: plain(value) for name, value in self.values.items()}
        return dict(
            ${E}CreatedData(
                ${e}_uuid=str(self.${e}_id),
%   if c.owner:
                owner_uuid=str(self.owner_id),
%   endif
%   for f in c.fields:
                ${f.name}=values["${f.name}"],
%   endfor
            )
        )
% endif
% if "updated" in c.events:


@dataclass(frozen=True, kw_only=True)
class ${E}Updated(${E}Event):
    name: ClassVar[str] = "${N}.updated.v1"
    fields: tuple[str, ...]

    def payload(self) -> dict[str, Any]:
        return dict(${E}UpdatedData(${e}_uuid=str(self.${e}_id), fields=list(self.fields)))
% endif
% if "deleted" in c.events:


@dataclass(frozen=True, kw_only=True)
class ${E}Deleted(${E}Event):
    name: ClassVar[str] = "${N}.deleted.v1"
% endif
