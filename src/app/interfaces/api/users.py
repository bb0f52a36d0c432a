"""Routes of /users: the signed-in user's profile, and the list of accounts."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.application.ports import Page
from app.application.users import UpdateProfile, UserView
from app.domain.auth.permissions import PermissionDenied
from app.domain.shared import AuthenticationError, DependencyUnavailable, ValidationError
from app.domain.users.errors import UserNotFound
from app.interfaces.api.deps import CurrentPrincipal, Directory, Users
from app.interfaces.api.errors import JSON_BODY, problems
from app.interfaces.api.listing import LIST_USERS, After, Limit, Offset, OrderBy, list_query
from app.interfaces.api.schemas import ProfileResponse, UpdateMeRequest, UserPageResponse

router = APIRouter(prefix="/users", tags=["users"])


@router.get(
    "/me/",
    response_model=ProfileResponse,
    responses=problems(AuthenticationError, DependencyUnavailable),
)
async def read_me(users: Users, principal: CurrentPrincipal) -> UserView:
    """The signed-in user's profile."""
    return await users.me(principal.user_id)


@router.patch(
    "/me/",
    response_model=ProfileResponse,
    responses=problems(*JSON_BODY, AuthenticationError, UserNotFound, DependencyUnavailable),
)
async def update_me(body: UpdateMeRequest, users: Users, principal: CurrentPrincipal) -> UserView:
    """Change profile fields; only the keys sent are changed (null clears a field)."""
    changes = body.model_dump(exclude_unset=True)
    return await users.update(UpdateProfile(principal.user_id, changes))


@router.get(
    "/",
    response_model=UserPageResponse,
    description=LIST_USERS,
    responses=problems(
        AuthenticationError, PermissionDenied, ValidationError, DependencyUnavailable
    ),
)
async def list_users(
    request: Request,
    directory: Directory,
    principal: CurrentPrincipal,
    order_by: OrderBy = None,
    limit: Limit = None,
    offset: Offset = 0,
    after: After = None,
) -> Page[UserView]:
    """Accounts matching the filters, a page at a time (permission `users:read`)."""
    query = list_query(request, order_by, limit, offset, after)
    return await directory.list_users(principal, query)
