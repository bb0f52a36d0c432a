"""Dependencies: services from the container, and the authenticated principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.application.auth import AuthService, Principal
from app.application.health import HealthService
from app.application.users import UserService
from app.container import Container
from app.domain.shared import AuthenticationError

_bearer = HTTPBearer(auto_error=False, description="An access token from POST /api/v1/auth/tokens/")


# Every dependency is `async def`: FastAPI runs plain `def` ones in a thread pool, and a thread
# hop per request costs more than the whole request on a busy core.
def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def _bearer_token(credentials: Credentials) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise AuthenticationError("Missing bearer token")
    return credentials.credentials


async def _users(request: Request) -> UserService:
    return _container(request).users


async def _auth(request: Request) -> AuthService:
    return _container(request).auth


async def _health(request: Request) -> HealthService:
    return _container(request).health


Users = Annotated[UserService, Depends(_users)]
Auth = Annotated[AuthService, Depends(_auth)]
Health = Annotated[HealthService, Depends(_health)]
BearerToken = Annotated[str, Depends(_bearer_token)]


async def _principal(request: Request, credentials: Credentials) -> Principal:
    # One flat dependency on the hot path: each nested Depends costs a resolution per request.
    return await _container(request).auth.authenticate(await _bearer_token(credentials))


CurrentPrincipal = Annotated[Principal, Depends(_principal)]
