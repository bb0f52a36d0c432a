"""Routes of /auth: sign-up, tokens, refresh, sign-out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from app.application.auth import SignIn, TokenPair
from app.application.users import RegisterUser, UserView
from app.interfaces.api.deps import Auth, BearerToken, CurrentPrincipal, Users
from app.interfaces.api.schemas import (
    Problem,
    SignInRequest,
    SignUpRequest,
    SignUpResponse,
    TokenPairResponse,
    UserData,
)

router = APIRouter(prefix="/auth", tags=["auth"])
_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing, invalid, expired or revoked token"}
}


@router.post(
    "/sign-up/",
    status_code=status.HTTP_201_CREATED,
    response_model=SignUpResponse,
    responses={409: {"model": Problem, "description": "Email already registered"}},
)
async def sign_up(body: SignUpRequest, users: Users) -> UserView:
    """Create an account. The email is stored trimmed and lower-cased."""
    return await users.register(RegisterUser(**body.model_dump()))


@router.post(
    "/tokens/",
    response_model=TokenPairResponse,
    responses={
        401: {"model": Problem, "description": "Wrong email or password"},
        403: {"model": Problem, "description": "Inactive account"},
        429: {"model": Problem, "description": "Too many attempts; see Retry-After"},
    },
)
async def issue_tokens(body: SignInRequest, auth: Auth, request: Request) -> TokenPairResponse:
    """Sign in: open a session and get an access and a refresh token."""
    client = request.client.host if request.client else "unknown"
    pair = await auth.sign_in(SignIn(email=body.email, password=body.password, client=client))
    return _pair(pair)


@router.post("/tokens/refresh/", response_model=TokenPairResponse, responses=_UNAUTHORIZED)
async def refresh_tokens(auth: Auth, token: BearerToken) -> TokenPairResponse:
    """Spend a refresh token (Bearer) for a new pair; reusing a spent one revokes the session."""
    return _pair(await auth.refresh(token))


@router.post("/sign-out/", status_code=status.HTTP_204_NO_CONTENT, responses=_UNAUTHORIZED)
async def sign_out(auth: Auth, principal: CurrentPrincipal) -> Response:
    """End the session: its tokens stop working at once."""
    await auth.sign_out(principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _pair(pair: TokenPair) -> TokenPairResponse:
    return TokenPairResponse(
        user_data=UserData(uuid=pair.user_uuid),
        access=pair.access,
        refresh=pair.refresh,
        token_type=pair.token_type,
        expires_in=pair.expires_in,
    )
