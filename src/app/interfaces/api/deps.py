"""Dependencies: services from the container, the authenticated principal, the client address."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from app.application.admin import AdminService
from app.application.audit import AuditService
from app.application.auth import AuthService, Principal
from app.application.context import client_address
from app.application.directory import DirectoryService
from app.application.health import HealthService
from app.application.password_reset import PasswordResetService
from app.application.users import UserService
from app.container import Container
from app.domain.shared import AuthenticationError

_DESCRIPTION = "An access token from POST /api/v1/auth/tokens/"


# Every dependency is `async def`: FastAPI runs plain `def` ones in a thread pool, and a thread
# hop per request costs more than the whole request on a busy core.
def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def _bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError("Missing bearer token")
    return token


class _Token(HTTPBearer):
    """The raw bearer token; subclassing HTTPBearer puts the scheme into OpenAPI (Authorize)."""

    async def __call__(self, request: Request) -> str:  # type: ignore[override]
        return _bearer_token(request)


class _Caller(HTTPBearer):
    """The caller of a protected route, resolved in one dependency: the hottest path."""

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        return await _container(request).auth.authenticate(_bearer_token(request))


# One scheme name for both, so OpenAPI lists a single bearer scheme.
_token = _Token(scheme_name="HTTPBearer", description=_DESCRIPTION, auto_error=False)
_caller = _Caller(scheme_name="HTTPBearer", description=_DESCRIPTION, auto_error=False)


async def _users(request: Request) -> UserService:
    return _container(request).users


async def _auth(request: Request) -> AuthService:
    return _container(request).auth


async def _admin(request: Request) -> AdminService:
    return _container(request).admin


async def _password_resets(request: Request) -> PasswordResetService:
    return _container(request).password_resets


async def _audit(request: Request) -> AuditService:
    return _container(request).audit


async def _user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


async def _directory(request: Request) -> DirectoryService:
    return _container(request).directory


async def _health(request: Request) -> HealthService:
    return _container(request).health


async def _client_address(request: Request) -> str:
    """Who sent the request, for per-address limits: X-Forwarded-For counts from a trusted proxy
    (found once per request, by the RequestContext middleware)."""
    return client_address.get()


Users = Annotated[UserService, Depends(_users)]
Auth = Annotated[AuthService, Depends(_auth)]
Admin = Annotated[AdminService, Depends(_admin)]
PasswordResets = Annotated[PasswordResetService, Depends(_password_resets)]
Audit = Annotated[AuditService, Depends(_audit)]
UserAgent = Annotated[str, Depends(_user_agent)]
Directory = Annotated[DirectoryService, Depends(_directory)]
Health = Annotated[HealthService, Depends(_health)]
BearerToken = Annotated[str, Depends(_token)]
CurrentPrincipal = Annotated[Principal, Depends(_caller)]
ClientAddress = Annotated[str, Depends(_client_address)]
