"""gRPC administration of accounts: the same use cases and permissions as REST /users/{uuid}/."""

import uuid

import grpc
import pytest
from google.protobuf.struct_pb2 import Struct
from sqlalchemy import select

from app.domain.audit.entry import AuditAction
from app.infrastructure.db.tables import AuditRow
from app.interfaces.grpc.pb import auth_pb2, users_pb2
from tests.grpc.conftest import PASSWORD, Stubs, bearer, unique_email


async def account(stubs) -> tuple[str, auth_pb2.TokenPair]:
    email = unique_email()
    return email, await stubs.signed_in(email)


@pytest.fixture
async def admin(stubs, container) -> tuple[tuple[str, str], ...]:
    email = unique_email()
    await stubs.auth.SignUp(auth_pb2.SignUpRequest(email=email, password=PASSWORD))
    await container.admin.grant(email, "admin")
    pair = await stubs.auth.IssueTokens(auth_pb2.IssueTokensRequest(email=email, password=PASSWORD))
    return bearer(pair.access)


async def refused(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


def calls(stubs, target: str):
    """Each admin RPC on the account `target`, with the permission it needs."""
    ref = users_pb2.UserRequest(uuid=target)
    return [
        (stubs.users.GetUser, ref, "users:read"),
        (stubs.users.UpdateUser, users_pb2.UpdateUserRequest(uuid=target), "users:write"),
        (stubs.users.DeactivateUser, ref, "users:deactivate"),
        (stubs.users.ReactivateUser, ref, "users:deactivate"),
        (stubs.users.ListUserSessions, ref, "sessions:revoke"),
        (
            stubs.users.RevokeUserSession,
            users_pb2.RevokeUserSessionRequest(uuid=target, session_id="s"),
            "sessions:revoke",
        ),
    ]


async def test_every_admin_rpc_is_permission_denied_to_a_plain_user_and_needs_a_token(stubs):
    _, target = await account(stubs)
    _, plain = await account(stubs)
    for method, request, permission in calls(stubs, target.user_uuid):
        denied = await refused(method(request, metadata=bearer(plain.access)))
        assert denied.code() is grpc.StatusCode.PERMISSION_DENIED, method
        assert denied.details() == f"This needs the permission {permission}"
        assert (await refused(method(request))).code() is grpc.StatusCode.UNAUTHENTICATED


async def test_an_unknown_account_is_not_found_and_a_bad_uuid_is_invalid(stubs, admin):
    for method, request, _ in calls(stubs, str(uuid.uuid4())):
        assert (await refused(method(request, metadata=admin))).code() is (
            grpc.StatusCode.NOT_FOUND
        )
    for method, request, _ in calls(stubs, "not-a-uuid"):
        invalid = await refused(method(request, metadata=admin))
        assert invalid.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert ("field-error", "uuid: must be a uuid") in tuple(invalid.trailing_metadata())


async def test_get_user_shows_the_profile_and_roles(stubs, admin):
    email, target = await account(stubs)
    user = await stubs.users.GetUser(users_pb2.UserRequest(uuid=target.user_uuid), metadata=admin)
    assert (user.profile.email, user.profile.is_active, list(user.roles)) == (email, True, ["user"])


async def test_update_user_changes_the_profile_and_roles_and_ends_the_sessions(stubs, admin):
    _, target = await account(stubs)
    meta = Struct()
    meta.update({"plan": "pro"})
    request = users_pb2.UpdateUserRequest(
        uuid=target.user_uuid,
        profile=users_pb2.UpdateMeRequest(city="Paris", meta=meta),
        roles=users_pb2.RoleSet(roles=["admin"]),
    )
    user = await stubs.users.UpdateUser(request, metadata=admin)
    assert (user.profile.city, dict(user.profile.meta), list(user.roles)) == (
        "Paris",
        {"plan": "pro"},
        ["admin", "user"],
    )
    gone = await refused(
        stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(target.access))
    )
    assert gone.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_update_user_without_roles_keeps_them_and_the_sessions(stubs, admin):
    _, target = await account(stubs)
    request = users_pb2.UpdateUserRequest(
        uuid=target.user_uuid, profile=users_pb2.UpdateMeRequest(clear=["city"])
    )
    assert list((await stubs.users.UpdateUser(request, metadata=admin)).roles) == ["user"]
    await stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(target.access))


async def test_update_user_lists_every_bad_part_at_once(stubs, admin):
    request = users_pb2.UpdateUserRequest(
        uuid="nope",
        profile=users_pb2.UpdateMeRequest(zip_code="1" * 17),
        roles=users_pb2.RoleSet(roles=["root"]),
    )
    invalid = await refused(stubs.users.UpdateUser(request, metadata=admin))
    assert invalid.code() is grpc.StatusCode.INVALID_ARGUMENT
    fields = [v.split(":")[0] for k, v in invalid.trailing_metadata() if k == "field-error"]
    assert fields == ["uuid", "zip_code", "roles"]


async def test_deactivate_ends_the_sessions_and_reactivate_allows_sign_in(stubs, admin):
    email, target = await account(stubs)
    ref = users_pb2.UserRequest(uuid=target.user_uuid)
    assert not (await stubs.users.DeactivateUser(ref, metadata=admin)).profile.is_active
    gone = await refused(
        stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(target.access))
    )
    assert gone.code() is grpc.StatusCode.UNAUTHENTICATED
    sign_in = auth_pb2.IssueTokensRequest(email=email, password=PASSWORD)
    assert (await refused(stubs.auth.IssueTokens(sign_in))).code() is (
        grpc.StatusCode.PERMISSION_DENIED
    )
    assert (await stubs.users.ReactivateUser(ref, metadata=admin)).profile.is_active
    await stubs.auth.IssueTokens(sign_in)


async def test_the_last_admin_cannot_deactivate_itself(stubs, admin):
    me = await stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=admin)
    last = await refused(
        stubs.users.DeactivateUser(users_pb2.UserRequest(uuid=me.uuid), metadata=admin)
    )
    assert last.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "last active admin" in last.details()


async def test_list_and_revoke_a_session_of_an_account(stubs, admin, grpc_server):
    email, first = await account(stubs)
    # gRPC sets the user-agent itself; a client names itself with the channel's primary one.
    options = [("grpc.primary_user_agent", "admin-test/2.0")]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_server.port}", options=options) as ch:
        second = await Stubs.of(ch).auth.IssueTokens(
            auth_pb2.IssueTokensRequest(email=email, password=PASSWORD)
        )
    ref = users_pb2.UserRequest(uuid=first.user_uuid)
    listed = (await stubs.users.ListUserSessions(ref, metadata=admin)).items
    assert len(listed) == 2
    newest = next(s for s in listed if s.user_agent.startswith("admin-test/2.0 grpc-python"))
    assert newest.client_address == "127.0.0.1" and newest.created_at.seconds > 0
    revoke = users_pb2.RevokeUserSessionRequest(uuid=first.user_uuid, session_id=newest.id)
    await stubs.users.RevokeUserSession(revoke, metadata=admin)
    gone = await refused(
        stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(second.access))
    )
    assert gone.code() is grpc.StatusCode.UNAUTHENTICATED
    await stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(first.access))
    again = await refused(stubs.users.RevokeUserSession(revoke, metadata=admin))
    assert again.code() is grpc.StatusCode.NOT_FOUND


async def test_an_admin_rpc_is_audited_with_the_callers_request_id_and_address(
    stubs, admin, container
):
    _, target = await account(stubs)
    ref = users_pb2.UserRequest(uuid=target.user_uuid)
    await stubs.users.DeactivateUser(ref, metadata=(*admin, ("x-request-id", "grpc-audit-1")))
    async with container.sessions() as session:
        query = select(AuditRow).where(AuditRow.action == AuditAction.DEACTIVATED)
        [entry] = list(await session.scalars(query))
    assert (str(entry.target_uuid), entry.actor_kind) == (target.user_uuid, "admin")
    assert (entry.request_id, entry.client_address) == ("grpc-audit-1", "127.0.0.1")
