"""Routes of /users: the signed-in user's profile, sessions and password; the list of accounts."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from app.application.auth import ChangePassword
from app.application.ports import Page
from app.application.users import UpdateProfile, UserView
from app.domain.auth.permissions import PermissionDenied
from app.domain.shared import (
    AuthenticationError,
    DependencyUnavailable,
    RateLimited,
    ValidationError,
)
from app.domain.users.errors import UserNotFound, WrongPassword
from app.interfaces.api.deps import Auth, ClientAddress, CurrentPrincipal, Directory, Users
from app.interfaces.api.errors import JSON_BODY, problems
from app.interfaces.api.listing import LIST_USERS, After, Limit, Offset, OrderBy, list_query
from app.interfaces.api.schemas import (
    ChangePasswordRequest,
    ProfileResponse,
    SessionsResponse,
    UpdateMeRequest,
    UserPageResponse,
)

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
    "/me/sessions/",
    response_model=SessionsResponse,
    responses=problems(AuthenticationError, DependencyUnavailable),
)
async def list_my_sessions(auth: Auth, principal: CurrentPrincipal) -> SessionsResponse:
    """The caller's live sessions, oldest first: when and from where each was opened and last
    used. End one by signing out with its tokens, or all with sign-out-everywhere."""
    return SessionsResponse.model_validate({"items": await auth.sessions(principal)})


@router.post(
    "/me/password/",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(
        *JSON_BODY, AuthenticationError, WrongPassword, RateLimited, DependencyUnavailable
    ),
)
async def change_my_password(
    body: ChangePasswordRequest, auth: Auth, principal: CurrentPrincipal, client: ClientAddress
) -> Response:
    """Set a new password, given the current one; every other session of the caller ends. A
    wrong current password is a 401 and counts against the sign-in limit."""
    cmd = ChangePassword(
        current_password=body.current_password, new_password=body.new_password, client=client
    )
    await auth.change_password(principal, cmd)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


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
