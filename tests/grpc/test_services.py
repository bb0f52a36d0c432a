"""Every app.v1 method's success path over a real channel, with PostgreSQL and Redis."""

from __future__ import annotations

import uuid

from google.protobuf.struct_pb2 import Struct
from sqlalchemy import text

from app.interfaces.grpc.pb import auth_pb2, debug_pb2, users_pb2
from tests.grpc.conftest import PASSWORD, bearer, unique_email


async def test_sign_up_returns_the_new_account_with_a_normalised_email(stubs):
    email = unique_email()
    reply = await stubs.auth.SignUp(
        auth_pb2.SignUpRequest(email=f"  {email.upper()} ", password=PASSWORD, first_name="Ada")
    )
    assert uuid.UUID(reply.uuid)
    assert (reply.email, reply.first_name, reply.HasField("last_name")) == (email, "Ada", False)
    assert reply.created_at.seconds > 0


async def test_issue_tokens_returns_a_bearer_pair_for_the_account(stubs):
    email = unique_email()
    account = await stubs.auth.SignUp(auth_pb2.SignUpRequest(email=email, password=PASSWORD))
    pair = await stubs.auth.IssueTokens(auth_pb2.IssueTokensRequest(email=email, password=PASSWORD))
    assert (pair.user_uuid, pair.token_type, pair.expires_in) == (account.uuid, "bearer", 300)
    assert pair.access and pair.refresh and pair.access != pair.refresh


async def test_refresh_tokens_rotates_the_pair_and_the_new_access_token_works(stubs):
    pair = await stubs.signed_in()
    fresh = await stubs.auth.RefreshTokens(auth_pb2.RefreshTokensRequest(refresh=pair.refresh))
    assert fresh.refresh != pair.refresh and fresh.user_uuid == pair.user_uuid
    me = await stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(fresh.access))
    assert me.uuid == pair.user_uuid


async def test_sign_out_ends_the_session_for_the_access_token(stubs):
    pair = await stubs.signed_in()
    await stubs.auth.SignOut(auth_pb2.SignOutRequest(), metadata=bearer(pair.access))
    call = stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(pair.access))
    assert (await _code(call)).name == "UNAUTHENTICATED"


async def test_get_me_returns_the_callers_profile(stubs):
    email = unique_email()
    pair = await stubs.signed_in(email)
    me = await stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(pair.access))
    assert (me.uuid, me.email, me.is_active) == (pair.user_uuid, email, True)
    assert not me.HasField("first_name") and not me.HasField("birthday")
    assert dict(me.meta) == {}
    assert me.created_at.seconds > 0 and me.updated_at.seconds > 0


async def test_update_me_changes_the_fields_set_and_clears_the_fields_named(stubs):
    pair = await stubs.signed_in()
    meta = Struct()
    meta.update({"lang": "en"})
    changed = await stubs.users.UpdateMe(
        users_pb2.UpdateMeRequest(
            first_name="Ada",
            city="London",
            birthday="1815-12-10",
            phone="+44 20 7946 0000",
            meta=meta,
        ),
        metadata=bearer(pair.access),
    )
    assert (changed.first_name, changed.city, changed.birthday) == ("Ada", "London", "1815-12-10")
    assert (changed.phone, dict(changed.meta)) == ("+44 20 7946 0000", {"lang": "en"})
    cleared = await stubs.users.UpdateMe(
        users_pb2.UpdateMeRequest(clear=["city"]), metadata=bearer(pair.access)
    )
    assert (cleared.HasField("city"), cleared.first_name) == (False, "Ada")
    me = await stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(pair.access))
    assert me == cleared


async def test_health_check_reports_each_component_without_authentication(stubs):
    reply = await stubs.debug.HealthCheck(debug_pb2.HealthCheckRequest())
    assert reply.status == "ok"
    assert {"postgres", "redis"} <= set(reply.components)
    assert set(reply.components.values()) == {"ok"}


async def test_send_message_writes_the_event_to_the_outbox_with_the_request_id(stubs, container):
    pair = await stubs.signed_in()
    data = Struct()
    data.update({"key": "k1", "fail_times": 0})
    reply = await stubs.debug.SendMessage(
        debug_pb2.SendMessageRequest(event="debug.echo.v1", data=data),
        metadata=(*bearer(pair.access), ("x-request-id", "grpc-req-1")),
    )
    async with container.engine.connect() as conn:
        row = (await conn.execute(text("SELECT * FROM outbox WHERE event = 'debug.echo.v1'"))).one()
    assert str(row.message_id) == reply.id
    assert row.payload == {"key": "k1", "fail_times": 0}
    assert row.correlation_id == "grpc-req-1"


async def _code(call):
    try:
        await call
    except Exception as exc:
        return exc.code()
    raise AssertionError("the call succeeded")
