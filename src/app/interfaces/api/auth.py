"""Routes of /auth: sign-up, tokens, refresh, sign-out (here or everywhere), password reset."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.application.auth import SignIn, TokenPair
from app.application.password_reset import ConfirmReset
from app.application.users import RegisterUser, UserView
from app.domain.shared import AuthenticationError, DependencyUnavailable, RateLimited
from app.domain.users.errors import (
    EmailAlreadyTaken,
    InactiveAccount,
    InvalidCredentials,
    InvalidResetToken,
)
from app.interfaces.api.deps import (
    Auth,
    BearerToken,
    ClientAddress,
    CurrentPrincipal,
    PasswordResets,
    UserAgent,
    Users,
)
from app.interfaces.api.errors import GUARDED_BODY, JSON_BODY, problems
from app.interfaces.api.schemas import (
    RESET_ACCEPTED,
    PasswordResetAccepted,
    PasswordResetConfirmation,
    PasswordResetRequest,
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


@router.post(
    "/sign-out-everywhere/",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(*GUARDED_BODY, AuthenticationError, DependencyUnavailable),
)
async def sign_out_everywhere(auth: Auth, principal: CurrentPrincipal) -> Response:
    """End every session of the caller, this one included: all their tokens stop working."""
    await auth.sign_out_everywhere(principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/password-reset/",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PasswordResetAccepted,
    responses=problems(*JSON_BODY, RateLimited, DependencyUnavailable),
)
async def request_password_reset(
    body: PasswordResetRequest, resets: PasswordResets, client: ClientAddress
) -> PasswordResetAccepted:
    """Ask for a reset link by e-mail. The answer is the same whether or not an account has
    the address; the link works once, for `PASSWORD_RESET_TOKEN_MINUTES`."""
    await resets.request(body.email, client)
    return PasswordResetAccepted(detail=RESET_ACCEPTED)


@router.post(
    "/password-reset/confirm/",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(*JSON_BODY, InvalidResetToken, RateLimited, DependencyUnavailable),
)
async def confirm_password_reset(
    body: PasswordResetConfirmation, resets: PasswordResets, client: ClientAddress
) -> Response:
    """Set a new password with the e-mail's token; every session of the account ends."""
    cmd = ConfirmReset(token=body.token, new_password=body.new_password, client=client)
    await resets.confirm(cmd)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _pair(pair: TokenPair) -> TokenPairResponse:
    return TokenPairResponse(
        user_data=UserData(uuid=pair.user_uuid),
        access=pair.access,
        refresh=pair.refresh,
        token_type=pair.token_type,
        expires_in=pair.expires_in,
    )
