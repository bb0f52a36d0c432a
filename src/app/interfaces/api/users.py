"""Routes of /users: the signed-in user's profile."""

from __future__ import annotations

from fastapi import APIRouter

from app.application.users import UpdateProfile, UserView
from app.domain.shared import AuthenticationError, DependencyUnavailable
from app.domain.users.errors import UserNotFound
from app.interfaces.api.deps import CurrentPrincipal, Users
from app.interfaces.api.errors import JSON_BODY, problems
from app.interfaces.api.schemas import ProfileResponse, UpdateMeRequest

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
