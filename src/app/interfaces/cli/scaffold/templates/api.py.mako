<%
    E, e, N = c.Entity, c.entity, c.name
    changing = "AuthenticationError" if c.owner else "AuthenticationError, PermissionDenied"
    limits = [name for f in c.fields for name in k.constant_names(f)]
    limits += [k.enum_class(c, f) for f in c.of_type("enum")]
%>\
"""Routes of /${N}: create, read, list, change and delete ${c.words}."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import AwareDatetime, Field
from pydantic.config import JsonDict

from app.application.${N} import Create${E}, ${E}Service, ${E}View, Update${E}
from app.application.ports import Page
from app.container import Container
from app.domain.${N}.errors import Invalid${E}, ${E}NotFound
% if limits:
from app.domain.${N}.values import ${", ".join(limits)}
% endif
from app.domain.auth.permissions import PermissionDenied
from app.domain.shared import AuthenticationError, DependencyUnavailable, ValidationError
from app.infrastructure.db.${N} import ${c.ENTITY}_DEFAULT_ORDER, ${c.ENTITY}_KINDS, ${c.ENTITY}_ORDER_FIELDS
from app.interfaces.api.deps import CurrentPrincipal
from app.interfaces.api.errors import JSON_BODY, VALIDATION, problems
from app.interfaces.api.listing import (
    After,
    Limit,
    Offset,
    fields_table,
    list_query,
    order_description,
)
from app.interfaces.api.schemas import STORABLE_JSON, example
from app.interfaces.api.schemas import Request as RequestBody
from app.interfaces.api.schemas import Response as ResponseBody

router = APIRouter(prefix="/${N}", tags=["${N}"])


async def _${N}(request: Request) -> ${E}Service:
    container: Container = request.app.state.container
    return container.${N}


${c.Entities} = Annotated[${E}Service, Depends(_${N})]
OrderBy = Annotated[
    list[str] | None,
    Query(description=order_description(${c.ENTITY}_ORDER_FIELDS, ${c.ENTITY}_DEFAULT_ORDER)),
]


# The examples of OpenAPI: the samples of the generated tests (tests/api/test_${N}.py).
_FIELDS_EXAMPLE: JsonDict = {
% for f in c.fields:
    "${f.name}": ${s.json_sample(f, 0)},
% endfor
}
_EXAMPLE: JsonDict = {
    "uuid": "0d7c6b5a-4e3f-4a2b-9c1d-0e9f8a7b6c5d",
% if c.owner:
    "owner_uuid": "5f0c1e1a-8a3b-4b8e-9f5e-2a7d4c6b9e10",
% endif
    **_FIELDS_EXAMPLE,
    "created_at": "2026-12-01T09:30:00Z",
    "updated_at": "2026-12-01T09:30:00Z",
}


class Create${E}Request(RequestBody):
    """A new ${c.entity_words}: the fields of ${c.ENTITY}_FIELDS; optional ones may be left out.
    An integer is a JSON number and a flag true or false, never their text (strict)."""

    model_config = example(_FIELDS_EXAMPLE)

% for f in c.fields:
    ${f.name}: ${k.request_type(c, f, change=False)}
% endfor


class Update${E}Request(RequestBody):
    """Only the keys sent are changed; null clears an optional field."""

    model_config = example({"${c.fields[0].name}": ${s.json_sample(c.fields[0], 1)}})

% for f in c.fields:
    ${f.name}: ${k.request_type(c, f, change=True)}
% endfor


class ${E}Response(ResponseBody):
    model_config = example(_EXAMPLE)

    uuid: UUID
% if c.owner:
    owner_uuid: UUID
% endif
% for f in c.fields:
    ${f.name}: ${k.response_type(c, f)}
% endfor
    created_at: datetime
    updated_at: datetime


class ${E}PageResponse(ResponseBody):
    """A page of ${c.words}; `total` counts every ${c.entity_words} the filters match."""

    model_config = example(
        {"items": [_EXAMPLE], "total": 1, "limit": 1, "offset": 0, "next": "eyJ2IjpbXX0.c2lnbmVk"}
    )

    items: list[${E}Response]
    total: int
    limit: int
    offset: int
    next: str | None = Field(
        description="The cursor of the page that follows, to send as `after`; null on the last"
    )


% if c.owner:
${k.wrapped(f'LIST_{c.NAME} = f"""', f"The caller's {c.words} matching the filters, a page at a time (anyone's with the permission `{N}:read`).")}
% else:
${k.wrapped(f'LIST_{c.NAME} = f"""', f"{c.words.capitalize()} matching the filters, a page at a time (permission `{N}:read`).")}
% endif

Filters, order and pages work as on `GET /api/v1/users/`: `field__lookup=value`, all must
match; an unknown key, lookup or value is a 422 naming it; `after` takes the `next` cursor.

{fields_table(${c.ENTITY}_KINDS)}
"""
# Every route: a caller without a live session (or without the permission); a path whose uuid
# is not one (422); ${c.an_entity} that does not exist or is not the caller's business (404).
_ONE = (${changing}, VALIDATION, ${E}NotFound, DependencyUnavailable)


@router.post(
    "/",
    status_code=status.HTTP_201_CREATED,
    response_model=${E}Response,
    responses=problems(*JSON_BODY, ${changing}, Invalid${E}, DependencyUnavailable),
)
async def create_${e}(
    body: Create${E}Request, ${N}: ${c.Entities}, principal: CurrentPrincipal
) -> ${E}View:
% if c.owner:
    """A new ${c.entity_words} of the signed-in user."""
% else:
    """A new ${c.entity_words} (permission `${N}:write`)."""
% endif
    return await ${N}.create(principal, Create${E}(body.model_dump(exclude_unset=True)))


@router.get(
    "/",
    response_model=${E}PageResponse,
    description=LIST_${c.NAME},
    responses=problems(${changing}, ValidationError, DependencyUnavailable),
)
async def list_${N}(
    request: Request,
    ${N}: ${c.Entities},
    principal: CurrentPrincipal,
    order_by: OrderBy = None,
    limit: Limit = None,
    offset: Offset = 0,
    after: After = None,
) -> Page[${E}View]:
    """${c.words.capitalize()} matching the filters, a page at a time."""
    return await ${N}.list(principal, list_query(request, order_by, limit, offset, after))


@router.get("/{uuid}/", response_model=${E}Response, responses=problems(*_ONE))
async def read_${e}(uuid: UUID, ${N}: ${c.Entities}, principal: CurrentPrincipal) -> ${E}View:
% if c.owner:
    """One of the signed-in user's ${c.words} (anyone's with `${N}:read`)."""
% else:
    """One ${c.entity_words} (permission `${N}:read`)."""
% endif
    return await ${N}.get(principal, uuid)


@router.patch(
    "/{uuid}/",
    response_model=${E}Response,
    responses=problems(*JSON_BODY, *_ONE, PermissionDenied, Invalid${E}),
)
async def update_${e}(
    uuid: UUID, body: Update${E}Request, ${N}: ${c.Entities}, principal: CurrentPrincipal
) -> ${E}View:
    """Change the fields sent; only the keys sent are changed (null clears an optional one)."""
    changes = body.model_dump(exclude_unset=True)
    return await ${N}.update(principal, Update${E}(uuid, changes))


@router.delete(
    "/{uuid}/",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(*_ONE, PermissionDenied),
)
async def delete_${e}(uuid: UUID, ${N}: ${c.Entities}, principal: CurrentPrincipal) -> Response:
% if c.owner:
    """Delete one of the signed-in user's ${c.words} (anyone's with `${N}:write`)."""
% else:
    """Delete ${c.an_entity} (permission `${N}:write`)."""
% endif
    await ${N}.delete(principal, uuid)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
