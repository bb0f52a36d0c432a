"""Routes of /auth: sign-up, tokens, refresh, sign-out."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.application.auth import SignIn, TokenPair
from app.application.users import RegisterUser, UserView
from app.domain.shared import AuthenticationError, DependencyUnavailable, RateLimited
from app.domain.users.errors import EmailAlreadyTaken, InactiveAccount, InvalidCredentials
from app.interfaces.api.deps import (
    Auth,
    BearerToken,
    ClientAddress,
    CurrentPrincipal,
    UserAgent,
    Users,
)
from app.interfaces.api.errors import GUARDED_BODY, JSON_BODY, problems
from app.interfaces.api.schemas import (
    SignInRequest,
    SignUpRequest,
    SignUpResponse,
    TokenPairResponse,
    UserData,
)

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/sign-up/",
    status_code=status.HTTP_201_CREATED,
    response_model=SignUpResponse,
    responses=problems(*JSON_BODY, EmailAlreadyTaken, RateLimited, DependencyUnavailable),
)
async def sign_up(body: SignUpRequest, users: Users, auth: Auth, client: ClientAddress) -> UserView:
    """Create an account. The email is stored trimmed and lower-cased."""
    await auth.admit_sign_up(client)
    return await users.register(RegisterUser(**body.model_dump()))


@router.post(
    "/tokens/",
    response_model=TokenPairResponse,
    responses=problems(
        *JSON_BODY, InvalidCredentials, InactiveAccount, RateLimited, DependencyUnavailable
    ),
)
async def issue_tokens(
    body: SignInRequest, auth: Auth, client: ClientAddress, agent: UserAgent
) -> TokenPairResponse:
    """Sign in: open a session and get an access and a refresh token."""
    cmd = SignIn(email=body.email, password=body.password, client=client, user_agent=agent)
    return _pair(await auth.sign_in(cmd))


@router.post(
    "/tokens/refresh/",
    response_model=TokenPairResponse,
    responses=problems(*GUARDED_BODY, AuthenticationError, DependencyUnavailable),
)
async def refresh_tokens(auth: Auth, token: BearerToken) -> TokenPairResponse:
    """Spend a refresh token (Bearer) for a new pair; reusing a spent one revokes the session."""
    return _pair(await auth.refresh(token))


@router.post(
    "/sign-out/",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(*GUARDED_BODY, AuthenticationError, DependencyUnavailable),
)
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
