import asyncio
import base64
import hashlib
import hmac
import json
import threading
import uuid

import pytest
from jose import jwt

from app.domain.auth.session import TokenClaims, TokenType
from app.domain.shared import AuthenticationError, Overloaded
from app.infrastructure.security import BcryptHasher, JoseTokenCodec
from tests.claims import WRONG_CLAIM_TYPES


async def test_hashes_verify_and_long_passwords_are_fully_significant():
    hasher = BcryptHasher(rounds=4)
    long = "a" * 100
    stored = await hasher.hash(long)
    assert stored.startswith("$bcrypt-sha256$")
    assert await hasher.verify(long, stored)
    assert not await hasher.verify("a" * 99 + "b", stored)
    assert not await hasher.verify(long, "not-a-hash")
    hasher.close()


async def test_hashing_never_runs_on_the_event_loop_and_is_bounded():
    hasher = BcryptHasher(rounds=4, threads=1)
    seen: set[int] = set()
    original = hasher._scheme.hash

    def spy(password: str) -> str:
        seen.add(threading.get_ident())
        return original(password)

    hasher._scheme = type("Spy", (), {"hash": staticmethod(spy)})()
    await asyncio.gather(*(hasher.hash(f"password{i}") for i in range(6)))
    assert threading.get_ident() not in seen
    assert len(seen) == 1
    hasher.close()


def test_the_dummy_hash_is_a_real_hash():
    hasher = BcryptHasher(rounds=4)
    assert hasher.dummy_hash.startswith("$bcrypt-sha256$")
    hasher.close()


SECRET = "a-secret-of-enough-length-for-the-codec-tests"


def _codec() -> JoseTokenCodec:
    return JoseTokenCodec(SECRET, "app-test", ("HS256",))


def _signed(claims: dict) -> str:
    return jwt.encode(claims, SECRET, algorithm="HS256")


def _valid_claims() -> dict:
    codec, claims = _codec(), TokenClaims(uuid.uuid4(), "sid", TokenType.ACCESS, "jti")
    return jwt.get_unverified_claims(codec.encode(claims, 300))


def test_a_token_the_codec_signed_decodes_to_its_claims():
    user = uuid.uuid4()
    token = _codec().encode(TokenClaims(user, "sid", TokenType.ACCESS, "jti"), 300)
    assert _codec().decode(token, TokenType.ACCESS) == TokenClaims(
        user, "sid", TokenType.ACCESS, "jti"
    )


@pytest.mark.parametrize(("claim", "value"), WRONG_CLAIM_TYPES)
def test_a_signed_token_with_a_claim_of_the_wrong_type_is_an_authentication_error(claim, value):
    token = _signed(_valid_claims() | {claim: value})
    with pytest.raises(AuthenticationError):
        _codec().decode(token, TokenType.ACCESS)


def test_an_exp_beyond_any_float_in_the_raw_json_is_an_authentication_error():
    head, body, _ = _signed(_valid_claims()).split(".")
    raw = json.dumps(_valid_claims())[:-1] + ', "exp": 1e400}'
    body = base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()
    signature = hmac.new(SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    token = f"{head}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    with pytest.raises(AuthenticationError):
        _codec().decode(token, TokenType.ACCESS)


async def test_a_full_hash_queue_refuses_at_once_with_the_time_it_takes_to_drain():
    hasher = BcryptHasher(rounds=4, threads=1, queue_limit=1)
    gate = threading.Event()
    original = hasher._scheme.hash

    def held(password: str) -> str:
        gate.wait(5)
        return original(password)

    hasher._scheme = type("Held", (), {"hash": staticmethod(held)})()
    running = asyncio.ensure_future(hasher.hash("running"))
    waiting = asyncio.ensure_future(hasher.hash("waiting"))
    await asyncio.sleep(0.05)
    with pytest.raises(Overloaded) as caught:
        await hasher.hash("one too many")
    assert caught.value.retry_after >= 1
    gate.set()
    await asyncio.gather(running, waiting)
    assert await hasher.hash("after")  # room again once the queue drained
    hasher.close()


async def test_a_caller_that_stops_waiting_keeps_its_place_until_the_hash_ends():
    hasher = BcryptHasher(rounds=4, threads=1, queue_limit=0)
    gate = threading.Event()
    original = hasher._scheme.hash

    def held(password: str) -> str:
        gate.wait(5)
        return original(password)

    hasher._scheme = type("Held", (), {"hash": staticmethod(held)})()
    abandoned = asyncio.ensure_future(hasher.hash("abandoned"))
    await asyncio.sleep(0.05)
    abandoned.cancel()
    with pytest.raises(Overloaded):  # the thread is still busy with the abandoned hash
        await hasher.hash("next")
    gate.set()
    hasher.close()
