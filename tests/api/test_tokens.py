"""Every token rule of SPEC §4, over HTTP against the real Redis sessions."""

import asyncio
import time
import uuid

import pytest
from jose import jwt
from sqlalchemy import text

from app.application.auth import Principal
from app.domain.auth.permissions import Role
from tests.api.helpers import assert_problem, bearer, signed_in
from tests.claims import WRONG_CLAIM_TYPES


def claims_of(token: str) -> dict:
    return jwt.get_unverified_claims(token)


def forge(settings, claims: dict, *, secret: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret or settings.secret_key, algorithm=algorithm)


async def me(client, token: str):
    return await client.get("/users/me/", headers=bearer(token))


async def refresh(client, token: str):
    return await client.post("/auth/tokens/refresh/", headers=bearer(token))


def assert_unauthorized(response) -> None:
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_live_access_token_reads_the_profile(client):
    email, pair = await signed_in(client)
    response = await me(client, pair["access"])
    assert response.status_code == 200
    assert response.json()["email"] == email
    assert pair["token_type"] == "bearer"
    assert set(claims_of(pair["access"])) == {"sub", "sid", "typ", "jti", "iat", "exp", "iss"}


async def test_alg_none_is_refused(client, settings):
    _, pair = await signed_in(client)
    header = jwt.get_unverified_header(pair["access"])
    assert header["alg"] == "HS256"
    import base64
    import json

    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims_of(pair['access']))}."
    assert_unauthorized(await me(client, unsigned))


async def test_hs512_with_the_right_secret_is_refused(client, settings):
    _, pair = await signed_in(client)
    assert_unauthorized(
        await me(client, forge(settings, claims_of(pair["access"]), algorithm="HS512"))
    )


async def test_a_token_signed_with_another_secret_is_refused(client, settings):
    _, pair = await signed_in(client)
    other = forge(settings, claims_of(pair["access"]), secret="another-secret-of-enough-length-123")
    assert_unauthorized(await me(client, other))


async def test_a_tampered_signature_is_refused(client):
    _, pair = await signed_in(client)
    head, body, signature = pair["access"].split(".")
    flipped = signature[:-2] + ("AA" if not signature.endswith("AA") else "BB")
    assert_unauthorized(await me(client, f"{head}.{body}.{flipped}"))


async def test_a_tampered_payload_is_refused(client, settings):
    _, pair = await signed_in(client)
    head, _, signature = pair["access"].split(".")
    claims = claims_of(pair["access"]) | {"sub": str(uuid.uuid4())}
    _, body, _ = forge(settings, claims).split(".")
    assert_unauthorized(await me(client, f"{head}.{body}.{signature}"))


async def test_an_expired_token_is_refused(client, settings):
    _, pair = await signed_in(client)
    past = int(time.time()) - 10
    assert_unauthorized(
        await me(client, forge(settings, claims_of(pair["access"]) | {"exp": past}))
    )


@pytest.mark.parametrize("claim", ["exp", "typ", "sid", "jti", "iat", "iss", "sub"])
async def test_a_token_missing_a_required_claim_is_refused(client, settings, claim):
    _, pair = await signed_in(client)
    claims = claims_of(pair["access"])
    del claims[claim]
    assert_unauthorized(await me(client, forge(settings, claims)))


@pytest.mark.parametrize(
    ("claim", "value"), [("typ", "id"), ("iss", "someone-else"), ("sub", "not-a-uuid"), ("sid", 5)]
)
async def test_a_token_with_a_wrong_claim_is_refused(client, settings, claim, value):
    _, pair = await signed_in(client)
    assert_unauthorized(
        await me(client, forge(settings, claims_of(pair["access"]) | {claim: value}))
    )


@pytest.mark.parametrize(("claim", "value"), WRONG_CLAIM_TYPES)
async def test_a_signed_token_with_a_claim_of_the_wrong_type_is_401(client, settings, claim, value):
    _, pair = await signed_in(client)
    for token, call in ((pair["access"], me), (pair["refresh"], refresh)):
        forged = forge(settings, claims_of(token) | {claim: value})
        assert_unauthorized(await call(client, forged))


async def test_a_refresh_token_is_not_an_access_token(client):
    _, pair = await signed_in(client)
    assert_unauthorized(await me(client, pair["refresh"]))


async def test_an_access_token_is_not_a_refresh_token(client):
    _, pair = await signed_in(client)
    assert_unauthorized(await client.post("/auth/tokens/refresh/", headers=bearer(pair["access"])))


async def test_a_valid_token_for_an_unknown_user_is_refused(client, settings):
    _, pair = await signed_in(client)
    claims = claims_of(pair["access"]) | {"sub": str(uuid.uuid4())}
    assert_unauthorized(await me(client, forge(settings, claims)))


async def test_a_token_of_an_unknown_session_is_refused(client, settings):
    _, pair = await signed_in(client)
    claims = claims_of(pair["access"]) | {"sid": "no-such-session"}
    assert_unauthorized(await me(client, forge(settings, claims)))


async def test_an_access_token_naming_another_users_session_is_refused(client, settings):
    _, mine = await signed_in(client)
    _, theirs = await signed_in(client)
    claims = claims_of(mine["access"]) | {"sid": claims_of(theirs["access"])["sid"]}
    assert_unauthorized(await me(client, forge(settings, claims)))


async def test_a_refresh_token_naming_another_users_session_is_refused_and_spends_nothing(
    client, settings
):
    _, mine = await signed_in(client)
    _, theirs = await signed_in(client)
    their_claims = claims_of(theirs["refresh"])
    claims = claims_of(mine["refresh"]) | {"sid": their_claims["sid"], "jti": their_claims["jti"]}
    assert_unauthorized(await refresh(client, forge(settings, claims)))
    assert (await refresh(client, theirs["refresh"])).status_code == 200


async def test_after_deactivation_the_access_and_the_refresh_token_are_401(client, container):
    _, pair = await signed_in(client)
    admin = Principal(uuid.uuid4(), "sid", frozenset({Role.ADMIN}))
    await container.admin.deactivate(admin, uuid.UUID(pair["user_data"]["uuid"]))
    assert_unauthorized(await me(client, pair["access"]))
    assert_unauthorized(await client.post("/auth/sign-out/", headers=bearer(pair["access"])))
    assert_unauthorized(await refresh(client, pair["refresh"]))


async def test_refresh_of_an_account_deactivated_in_the_database_is_401(client, container):
    _, pair = await signed_in(client)
    async with container.engine.begin() as conn:
        await conn.execute(
            text("UPDATE users SET is_active = false WHERE uuid = :id"),
            {"id": pair["user_data"]["uuid"]},
        )
    assert_unauthorized(await refresh(client, pair["refresh"]))


async def test_refresh_rotates_the_pair_in_the_same_session(client):
    _, pair = await signed_in(client)
    response = await client.post("/auth/tokens/refresh/", headers=bearer(pair["refresh"]))
    assert response.status_code == 200
    new = response.json()
    assert set(new) == {"user_data", "access", "refresh", "token_type", "expires_in"}
    assert claims_of(new["refresh"])["sid"] == claims_of(pair["refresh"])["sid"]
    assert claims_of(new["refresh"])["jti"] != claims_of(pair["refresh"])["jti"]
    assert (await me(client, new["access"])).status_code == 200


async def test_reusing_a_spent_refresh_token_revokes_the_whole_session(client):
    _, pair = await signed_in(client)
    new = (await client.post("/auth/tokens/refresh/", headers=bearer(pair["refresh"]))).json()
    reuse = await client.post("/auth/tokens/refresh/", headers=bearer(pair["refresh"]))
    assert_unauthorized(reuse)
    assert_unauthorized(await me(client, new["access"]))
    assert_unauthorized(await me(client, pair["access"]))
    assert_unauthorized(await client.post("/auth/tokens/refresh/", headers=bearer(new["refresh"])))


async def test_two_concurrent_refreshes_give_one_pair_and_revoke_the_session(client):
    _, pair = await signed_in(client)
    responses = await asyncio.gather(
        *(client.post("/auth/tokens/refresh/", headers=bearer(pair["refresh"])) for _ in range(2))
    )
    assert sorted(r.status_code for r in responses) == [200, 401]
    winner = next(r for r in responses if r.status_code == 200).json()
    assert_unauthorized(await me(client, winner["access"]))


async def test_sign_out_makes_the_access_token_fail_at_once(client):
    _, pair = await signed_in(client)
    response = await client.post("/auth/sign-out/", headers=bearer(pair["access"]))
    assert response.status_code == 204
    assert_unauthorized(await me(client, pair["access"]))
    assert_unauthorized(await client.post("/auth/tokens/refresh/", headers=bearer(pair["refresh"])))
    assert_unauthorized(await client.post("/auth/sign-out/", headers=bearer(pair["access"])))


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "bearer-x"]
)
async def test_missing_or_non_bearer_authorization_is_401_with_challenge(client, header):
    headers = {} if header is None else {"Authorization": header}
    assert_unauthorized(await client.get("/users/me/", headers=headers))


async def test_garbage_tokens_are_401_not_500(client):
    for token in ["x", "a.b.c", "....", "e30.e30.", "x" * 5000]:
        assert_unauthorized(await me(client, token))
    utf8 = {"Authorization": "Bearer é.é.é".encode()}
    assert_unauthorized(await client.get("/users/me/", headers=utf8))
