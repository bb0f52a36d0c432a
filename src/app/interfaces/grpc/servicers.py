"""Servicers: translate a request into the same command REST builds, call the same service."""

from __future__ import annotations

import grpc

from app.application.admin import AdminService
from app.application.auth import AuthService
from app.application.context import client_address
from app.application.directory import DirectoryService
from app.application.health import HealthService
from app.application.messages import MessageService, SendMessage
from app.application.users import RegisterUser, UpdateProfile, UserService
from app.interfaces.grpc import convert, listing
from app.interfaces.grpc.interceptors import current_principal
from app.interfaces.grpc.pb import (
    auth_pb2,
    auth_pb2_grpc,
    debug_pb2,
    debug_pb2_grpc,
    users_pb2,
    users_pb2_grpc,
)


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, users: UserService, auth: AuthService) -> None:
        self._users, self._auth = users, auth

    async def SignUp(
        self, request: auth_pb2.SignUpRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.SignUpResponse:
        cmd = RegisterUser(
            email=request.email,
            password=request.password,
            first_name=request.first_name if request.HasField("first_name") else None,
            last_name=request.last_name if request.HasField("last_name") else None,
        )
        await self._auth.admit_sign_up(client_address.get())
        return convert.signed_up(await self._users.register(cmd))

    async def IssueTokens(
        self, request: auth_pb2.IssueTokensRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.TokenPair:
        client = client_address.get()
        cmd = convert.sign_in(request, client, _metadata(context, "user-agent"))
        return convert.token_pair(await self._auth.sign_in(cmd))

    async def RefreshTokens(
        self, request: auth_pb2.RefreshTokensRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.TokenPair:
        return convert.token_pair(await self._auth.refresh(request.refresh))

    async def SignOut(
        self, request: auth_pb2.SignOutRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.SignOutResponse:
        await self._auth.sign_out(current_principal())
        return auth_pb2.SignOutResponse()


class UsersServicer(users_pb2_grpc.UsersServiceServicer):
    def __init__(
        self, users: UserService, admin: AdminService, directory: DirectoryService
    ) -> None:
        self._users, self._admin, self._directory = users, admin, directory

    async def GetMe(
        self, request: users_pb2.GetMeRequest, context: grpc.aio.ServicerContext
    ) -> users_pb2.Profile:
        return convert.profile(await self._users.me(current_principal().user_id))

    async def UpdateMe(
        self, request: users_pb2.UpdateMeRequest, context: grpc.aio.ServicerContext
    ) -> users_pb2.Profile:
        cmd = UpdateProfile(current_principal().user_id, convert.profile_changes(request))
        return convert.profile(await self._users.update(cmd))

    async def GetUser(
        self, request: users_pb2.UserRequest, context: grpc.aio.ServicerContext
    ) -> users_pb2.User:
        user_id = convert.user_id(request.uuid)
        return convert.user(await self._admin.get(current_principal(), user_id))

    async def UpdateUser(
        self, request: users_pb2.UpdateUserRequest, context: grpc.aio.ServicerContext
    ) -> users_pb2.User:
        cmd = convert.update_user(request)
        return convert.user(await self._admin.update(current_principal(), cmd))

    async def DeactivateUser(
        self, request: users_pb2.UserRequest, context: grpc.aio.ServicerContext
    ) -> users_pb2.User:
        user_id = convert.user_id(request.uuid)
        return convert.user(await self._admin.deactivate(current_principal(), user_id))

    async def ReactivateUser(
        self, request: users_pb2.UserRequest, context: grpc.aio.ServicerContext
    ) -> users_pb2.User:
        user_id = convert.user_id(request.uuid)
        return convert.user(await self._admin.reactivate(current_principal(), user_id))

    async def ListUserSessions(
        self, request: users_pb2.UserRequest, context: grpc.aio.ServicerContext
    ) -> users_pb2.Sessions:
        user_id = convert.user_id(request.uuid)
        return convert.sessions(await self._admin.sessions(current_principal(), user_id))

    async def RevokeUserSession(
        self, request: users_pb2.RevokeUserSessionRequest, context: grpc.aio.ServicerContext
    ) -> users_pb2.RevokeUserSessionResponse:
        user_id = convert.user_id(request.uuid)
        await self._admin.revoke_session(current_principal(), user_id, request.session_id)
        return users_pb2.RevokeUserSessionResponse()

    async def ListUsers(
        self, request: users_pb2.ListUsersRequest, context: grpc.aio.ServicerContext
    ) -> users_pb2.ListUsersResponse:
        query = listing.list_query(request)
        return listing.user_page(await self._directory.list_users(current_principal(), query))


class DebugServicer(debug_pb2_grpc.DebugServiceServicer):
    def __init__(self, health: HealthService, messages: MessageService) -> None:
        self._health, self._messages = health, messages

    async def HealthCheck(
        self, request: debug_pb2.HealthCheckRequest, context: grpc.aio.ServicerContext
    ) -> debug_pb2.HealthCheckResponse:
        report = await self._health.check()
        return debug_pb2.HealthCheckResponse(status=report.status, components=report.components)

    async def SendMessage(
        self, request: debug_pb2.SendMessageRequest, context: grpc.aio.ServicerContext
    ) -> debug_pb2.SendMessageResponse:
        cmd = SendMessage(event=request.event, data=convert.data(request.data))
        return debug_pb2.SendMessageResponse(id=str(await self._messages.send(cmd)))


def _metadata(context: grpc.aio.ServicerContext, key: str) -> str:
    """The first text value of metadata `key`; empty when absent."""
    values = (v for k, v in context.invocation_metadata() or () if k == key and isinstance(v, str))
    return next(values, "")
