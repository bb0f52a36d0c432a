"""Routes of /audit: the audit trail over the filter DSL (permission `audit:read`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.application.ports import Page
from app.domain.audit.entry import AuditAction, AuditEntry
from app.domain.auth.permissions import PermissionDenied
from app.domain.shared import AuthenticationError, DependencyUnavailable, ValidationError
from app.infrastructure.db.audit_log import AUDIT_DEFAULT_ORDER, AUDIT_KINDS, AUDIT_ORDER_FIELDS
from app.interfaces.api.deps import Audit, CurrentPrincipal
from app.interfaces.api.errors import problems
from app.interfaces.api.listing import (
    After,
    Limit,
    Offset,
    fields_table,
    list_query,
    order_description,
)
from app.interfaces.api.schemas import AuditPageResponse

router = APIRouter(prefix="/audit", tags=["audit"])
OrderBy = Annotated[
    list[str] | None,
    Query(description=order_description(AUDIT_ORDER_FIELDS, AUDIT_DEFAULT_ORDER)),
]

LIST_AUDIT = f"""Audit entries matching the filters, newest first (permission `audit:read`).

Filters, order and pages work as on `GET /api/v1/users/`: `field__lookup=value`, all must
match; an unknown key, lookup or value is a 422 naming it; `after` takes the `next` cursor.

{fields_table(AUDIT_KINDS)}

Actions: {", ".join(f"`{action}`" for action in AuditAction)}. `detail` holds short facts
(a reason, the changed fields' names, the roles, a session id), never a password or a token.
"""


@router.get(
    "/",
    response_model=AuditPageResponse,
    description=LIST_AUDIT,
    responses=problems(
        AuthenticationError, PermissionDenied, ValidationError, DependencyUnavailable
    ),
)
async def list_audit_entries(
    request: Request,
    audit: Audit,
    principal: CurrentPrincipal,
    order_by: OrderBy = None,
    limit: Limit = None,
    offset: Offset = 0,
    after: After = None,
) -> Page[AuditEntry]:
    """The audit trail, a page at a time (permission `audit:read`)."""
    return await audit.list_entries(principal, list_query(request, order_by, limit, offset, after))
