"""Routes of /users/{uuid}: administration of any account, each behind its permission."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response, status

from app.application.users import UserView
from app.domain.auth.permissions import PermissionDenied
from app.domain.auth.session import SessionNotFound
from app.domain.shared import AuthenticationError, DependencyUnavailable
from app.domain.users.errors import LastAdmin, UserNotFound
from app.interfaces.api.deps import Admin, CurrentPrincipal
from app.interfaces.api.errors import GUARDED_BODY, JSON_BODY, VALIDATION, problems
from app.interfaces.api.schemas import SessionsResponse, UpdateUserRequest, UserResponse

router = APIRouter(prefix="/users", tags=["admin"])

# Every route: a caller without a live session, or without the permission; a path whose uuid
# is not one (422); an account that does not exist.
_ANY = (AuthenticationError, PermissionDenied, VALIDATION, UserNotFound, DependencyUnavailable)
SessionId = Annotated[str, Path(max_length=64, description="A session's id, as listed")]


@router.get("/{uuid}/", response_model=UserResponse, responses=problems(*_ANY))
async def read_user(uuid: UUID, admin: Admin, principal: CurrentPrincipal) -> UserView:
    """Any account, active or not, with its roles (permission `users:read`)."""
    return await admin.get(principal, uuid)


@router.patch(
    "/{uuid}/", response_model=UserResponse, responses=problems(*JSON_BODY, *_ANY, LastAdmin)
)
async def update_user(
    uuid: UUID, body: UpdateUserRequest, admin: Admin, principal: CurrentPrincipal
) -> UserView:
    """Change profile fields and roles (permission `users:write`); only the keys sent change.
    A change of roles ends the account's sessions; the last active admin keeps `admin`."""
    return await admin.update(principal, body.command(uuid))


@router.post(
    "/{uuid}/deactivate/",
    response_model=UserResponse,
    responses=problems(*GUARDED_BODY, *_ANY, LastAdmin),
)
async def deactivate_user(uuid: UUID, admin: Admin, principal: CurrentPrincipal) -> UserView:
    """Block sign-in and end every session of the account at once (permission
    `users:deactivate`); the last active admin cannot be deactivated."""
    return await admin.deactivate(principal, uuid)


@router.post(
    "/{uuid}/reactivate/", response_model=UserResponse, responses=problems(*GUARDED_BODY, *_ANY)
)
async def reactivate_user(uuid: UUID, admin: Admin, principal: CurrentPrincipal) -> UserView:
    """Allow sign-in again (permission `users:deactivate`)."""
    return await admin.reactivate(principal, uuid)


@router.get("/{uuid}/sessions/", response_model=SessionsResponse, responses=problems(*_ANY))
async def list_user_sessions(
    uuid: UUID, admin: Admin, principal: CurrentPrincipal
) -> SessionsResponse:
    """The account's live sessions, oldest first (permission `sessions:revoke`)."""
    return SessionsResponse.model_validate({"items": await admin.sessions(principal, uuid)})


@router.delete(
    "/{uuid}/sessions/{sid}/",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(*_ANY, SessionNotFound),
)
async def revoke_user_session(
    uuid: UUID, sid: SessionId, admin: Admin, principal: CurrentPrincipal
) -> Response:
    """End one session of the account: its tokens stop working at once (`sessions:revoke`)."""
    await admin.revoke_session(principal, uuid, sid)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
