<%
    E, e, N = c.Entity, c.entity, c.name
    pb = N + "_pb2"
%>\
"""${c.Entities}Service: the same commands and use cases as REST /${N}, and their messages."""

from __future__ import annotations

from datetime import UTC
from typing import Any
from uuid import UUID

import grpc
from google.protobuf.message import Message
from google.protobuf.struct_pb2 import Struct
from google.protobuf.timestamp_pb2 import Timestamp

from app.application.${N} import Create${E}, ${E}Service, ${E}View, Update${E}
from app.application.ports import ListQuery, Page
from app.domain.${N}.errors import Invalid${E}
from app.domain.${N}.values import ${c.ENTITY}_FIELDS, OPTIONAL_FIELDS
from app.domain.shared import check_all
from app.interfaces.grpc import convert
from app.interfaces.grpc.interceptors import current_principal
from app.interfaces.grpc.pb import ${pb}, ${pb}_grpc


class ${c.Entities}Servicer(${pb}_grpc.${c.Entities}ServiceServicer):
    def __init__(self, ${N}: ${E}Service) -> None:
        self._${N} = ${N}

    async def Create${E}(
        self, request: ${pb}.Create${E}Request, context: grpc.aio.ServicerContext
    ) -> ${pb}.Create${E}Response:
        view = await self._${N}.create(current_principal(), Create${E}(_values(request)))
        return ${pb}.Create${E}Response(${e}=_${e}(view))

    async def Get${E}(
        self, request: ${pb}.Get${E}Request, context: grpc.aio.ServicerContext
    ) -> ${pb}.Get${E}Response:
        view = await self._${N}.get(current_principal(), _uuid(request.uuid))
        return ${pb}.Get${E}Response(${e}=_${e}(view))

    async def List${c.Entities}(
        self, request: ${pb}.List${c.Entities}Request, context: grpc.aio.ServicerContext
    ) -> ${pb}.List${c.Entities}Response:
        page = await self._${N}.list(current_principal(), _list_query(request))
        return _page(page)

    async def Update${E}(
        self, request: ${pb}.Update${E}Request, context: grpc.aio.ServicerContext
    ) -> ${pb}.Update${E}Response:
        view = await self._${N}.update(current_principal(), _update(request))
        return ${pb}.Update${E}Response(${e}=_${e}(view))

    async def Delete${E}(
        self, request: ${pb}.Delete${E}Request, context: grpc.aio.ServicerContext
    ) -> ${pb}.Delete${E}Response:
        await self._${N}.delete(current_principal(), _uuid(request.uuid))
        return ${pb}.Delete${E}Response()


def _${e}(view: ${E}View) -> ${pb}.${E}:
    return ${pb}.${E}(
        uuid=str(view.uuid),
% if c.owner:
        owner_uuid=str(view.owner_uuid),
% endif
% for f in c.fields:
        ${f.name}=${k.to_proto(f, "view." + f.name)},
% endfor
        created_at=convert.timestamp(view.created_at),
        updated_at=convert.timestamp(view.updated_at),
    )


def _page(page: Page[${E}View]) -> ${pb}.List${c.Entities}Response:
    return ${pb}.List${c.Entities}Response(
        items=[_${e}(view) for view in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        next=page.next,
    )


def _values(message: Message) -> dict[str, Any]:
    """The fields the client set, by name, as the domain reads them: a Timestamp as an aware
    datetime, a Struct as a dict, the rest as sent (the domain parses the text of a decimal, a
    date, a uuid or a choice)."""
    return {name: _value(getattr(message, name)) for name in ${c.ENTITY}_FIELDS if message.HasField(name)}


def _value(value: Any) -> Any:
    if isinstance(value, Timestamp):
        return value.ToDatetime(tzinfo=UTC)
    return convert.data(value) if isinstance(value, Struct) else value


def _update(request: ${pb}.Update${E}Request) -> Update${E}:
    """The change REST's PATCH makes; a bad uuid and bad fields are listed together."""
    checked = check_all({"uuid": lambda: _uuid(request.uuid), "changes": lambda: _changes(request)})
    return Update${E}(checked["uuid"], checked["changes"])


def _changes(request: ${pb}.Update${E}Request) -> dict[str, Any]:
    """The fields set, plus those named in `clear` as None (REST's JSON null)."""
    changes = _values(request)
    for name in request.clear:
        if name not in OPTIONAL_FIELDS:
            raise Invalid${E}("clear", f"only these fields can be cleared: {', '.join(OPTIONAL_FIELDS)}")
        if name in changes:
            raise Invalid${E}("clear", "a field cannot be both set and cleared")
    return changes | dict.fromkeys(request.clear)


def _uuid(raw: str) -> UUID:
    """The uuid a request names; Invalid${E}("uuid") when it is not one."""
    try:
        return UUID(raw)
    except ValueError:
        raise Invalid${E}("uuid", "must be a uuid") from None


def _list_query(request: ${pb}.List${c.Entities}Request) -> ListQuery:
    """The filters as sent, in order (a key repeated is kept): the DSL reads their text."""
    return ListQuery(
        filters=[(item.key, item.value) for item in request.filters],
        order_by=list(request.order_by),
        limit=request.limit if request.HasField("limit") else None,
        offset=request.offset,
        after=request.after if request.HasField("after") else None,
    )
% if any(f.optional and f.type in ("decimal", "date", "uuid") for f in c.fields):


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
% endif
% if any(f.type == "json" and f.optional for f in c.fields):


def _struct(value: dict[str, Any] | None) -> Struct | None:
    return None if value is None else convert.struct(value)
% endif
