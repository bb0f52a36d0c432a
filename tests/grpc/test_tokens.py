"""Token rules over gRPC: claims of the wrong type, tokens naming another user's session, and
tokens of a deactivated account."""

from __future__ import annotations

import uuid

import grpc
import pytest
from jose import jwt

from app.application.auth import Principal
from app.container import Container
from app.domain.auth.permissions import Role
from app.interfaces.grpc.pb import auth_pb2, users_pb2
from tests.claims import WRONG_CLAIM_TYPES
from tests.grpc.conftest import Stubs, bearer


def claims_of(token: str) -> dict:
    return jwt.get_unverified_claims(token)


def forge(settings, claims: dict) -> str:
    return jwt.encode(claims, settings.secret_key, algorithm="HS256")


async def code_of(call) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value.code()


def get_me(stubs, token: str):
    return stubs.users.GetMe(users_pb2.GetMeRequest(), metadata=bearer(token))


def refresh(stubs, token: str):
    return stubs.auth.RefreshTokens(auth_pb2.RefreshTokensRequest(refresh=token))


@pytest.mark.parametrize(("claim", "value"), WRONG_CLAIM_TYPES)
async def test_a_signed_token_with_a_claim_of_the_wrong_type_is_unauthenticated(
    stubs, settings, claim, value
):
    pair = await stubs.signed_in()
    access = forge(settings, claims_of(pair.access) | {claim: value})
    refresh_token = forge(settings, claims_of(pair.refresh) | {claim: value})
    assert await code_of(get_me(stubs, access)) is grpc.StatusCode.UNAUTHENTICATED
    assert await code_of(refresh(stubs, refresh_token)) is grpc.StatusCode.UNAUTHENTICATED


async def test_an_access_token_naming_another_users_session_is_unauthenticated(stubs, settings):
    mine, theirs = await stubs.signed_in(), await stubs.signed_in()
    claims = claims_of(mine.access) | {"sid": claims_of(theirs.access)["sid"]}
    assert await code_of(get_me(stubs, forge(settings, claims))) is grpc.StatusCode.UNAUTHENTICATED


async def test_a_refresh_token_naming_another_users_session_is_refused_and_spends_nothing(
    stubs, settings
):
    mine, theirs = await stubs.signed_in(), await stubs.signed_in()
    their_claims = claims_of(theirs.refresh)
    claims = claims_of(mine.refresh) | {"sid": their_claims["sid"], "jti": their_claims["jti"]}
    forged = forge(settings, claims)
    assert await code_of(refresh(stubs, forged)) is grpc.StatusCode.UNAUTHENTICATED
    assert (await refresh(stubs, theirs.refresh)).user_uuid == theirs.user_uuid


async def test_after_deactivation_the_access_and_the_refresh_token_are_unauthenticated(
    stubs: Stubs, container: Container
) -> None:
    pair = await stubs.signed_in()
    admin = Principal(uuid.uuid4(), "sid", frozenset({Role.ADMIN}))
    await container.admin.deactivate(admin, uuid.UUID(pair.user_uuid))
    assert await code_of(get_me(stubs, pair.access)) is grpc.StatusCode.UNAUTHENTICATED
    sign_out = stubs.auth.SignOut(auth_pb2.SignOutRequest(), metadata=bearer(pair.access))
    assert await code_of(sign_out) is grpc.StatusCode.UNAUTHENTICATED
    assert await code_of(refresh(stubs, pair.refresh)) is grpc.StatusCode.UNAUTHENTICATED
