"""JWT codec (python-jose) and password hashing (bcrypt_sha256 in a bounded thread pool)."""

from __future__ import annotations

import asyncio
import math
import os
import secrets
import time
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from threading import Lock
from typing import Any
from uuid import UUID

from jose import JWTError, jwt
from passlib.hash import bcrypt_sha256

from app.domain.auth.session import TokenClaims, TokenType
from app.domain.shared import AuthenticationError, Overloaded

REQUIRED_CLAIMS = ("sub", "sid", "typ", "jti", "iat", "exp", "iss")
TIME_CLAIMS = ("iat", "exp", "nbf")
# 9999-12-31T23:59:59Z: a larger NumericDate is no time at all (and 2**64 would never expire).
LATEST_TIME = 253402300799
# What python-jose lets escape for a claim of the wrong type (int() of a dict, of infinity...).
_MALFORMED = (JWTError, TypeError, ValueError, OverflowError)


class JoseTokenCodec:
    """HS* JWTs. Verified tokens are remembered, keyed by their exact text, so a client reusing
    its access token pays for the signature check once; `exp` is still checked on every use."""

    def __init__(
        self, secret: str, issuer: str, algorithms: tuple[str, ...], cache_size: int = 4096
    ) -> None:
        self._secret, self._issuer = secret, issuer
        self._algorithm = algorithms[0]
        self._accepted = list(algorithms)
        self._options = {"require_" + claim: True for claim in REQUIRED_CLAIMS} | {
            "verify_aud": False
        }
        self._verified = lru_cache(maxsize=cache_size)(self._verify)

    def encode(self, claims: TokenClaims, lifetime_seconds: int) -> str:
        now = int(time.time())
        payload = {
            "sub": str(claims.user_id),
            "sid": claims.session_id,
            "typ": claims.token_type.value,
            "jti": claims.jti,
            "iat": now,
            "exp": now + lifetime_seconds,
            "iss": self._issuer,
        }
        return jwt.encode(payload, self._secret, algorithm=self._algorithm)

    def decode(self, token: str, expected: TokenType) -> TokenClaims:
        payload = self._verified(token)
        if payload is None or payload["exp"] <= time.time():
            raise AuthenticationError("Invalid or expired token")
        return _claims(payload, expected)

    def _verify(self, token: str) -> dict[str, Any] | None:
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=self._accepted,
                issuer=self._issuer,
                options=self._options,
            )
        except _MALFORMED:
            return None
        return payload if all(_is_time(payload, claim) for claim in TIME_CLAIMS) else None


def _is_time(payload: dict[str, Any], claim: str) -> bool:
    """Whole seconds since the epoch (not a bool, a float or a string); `nbf` may be absent."""
    if claim not in payload:
        return claim not in REQUIRED_CLAIMS
    value = payload[claim]
    return type(value) is int and 0 <= value <= LATEST_TIME


def _claims(payload: dict[str, Any], expected: TokenType) -> TokenClaims:
    if payload.get("typ") != expected.value:
        raise AuthenticationError(
            f"Not an {expected.value} token"
            if expected is TokenType.ACCESS
            else f"Not a {expected.value} token"
        )
    sub, sid, jti = (payload.get(claim) for claim in ("sub", "sid", "jti"))
    if not (isinstance(sub, str) and isinstance(sid, str) and isinstance(jti, str) and sid and jti):
        raise AuthenticationError("Invalid or expired token")
    try:
        user_id = UUID(sub)
    except ValueError:
        raise AuthenticationError("Invalid or expired token") from None
    return TokenClaims(user_id, sid, expected, jti)


def usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class BcryptHasher:
    """bcrypt over SHA-256 of the password, so every byte of a long password counts.

    Hashing is CPU-bound (~0.25 s at cost 12): it runs in a pool with one thread per usable
    CPU, so a burst of sign-ins queues there instead of starving the event loop. At most
    `queue_limit` calls wait behind the running ones; past that a call raises Overloaded at
    once, with the time the queue takes to drain, instead of waiting longer than a client would.
    """

    def __init__(self, rounds: int, threads: int | None = None, queue_limit: int = 32) -> None:
        self._scheme = bcrypt_sha256.using(rounds=rounds)
        self._threads = threads or usable_cpus()
        self._pool = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="hash")
        self._capacity, self._pending, self._lock = self._threads + queue_limit, 0, Lock()
        started = time.perf_counter()
        self._dummy: str = self._scheme.hash(secrets.token_urlsafe(16))
        self._seconds_per_hash = time.perf_counter() - started

    @property
    def dummy_hash(self) -> str:
        return self._dummy

    @property
    def waiting(self) -> int:
        """Calls queued behind the running ones (at most `queue_limit`): the metrics sample it."""
        return max(0, self._pending - self._threads)

    async def hash(self, password: str) -> str:
        return str(await self._run(self._scheme.hash, password))

    async def verify(self, password: str, password_hash: str) -> bool:
        return bool(await self._run(self._verify, password, password_hash))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _verify(self, password: str, password_hash: str) -> bool:
        try:
            return bool(self._scheme.verify(password, password_hash))
        except ValueError:  # a malformed stored hash never matches
            return False

    async def _run(self, fn: Any, *args: Any) -> Any:
        self._admit()
        try:
            future = self._pool.submit(fn, *args)
        except BaseException:
            self._release(None)
            raise
        # Released when the work ends, not when the caller stops waiting for it.
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _admit(self) -> None:
        with self._lock:
            if self._pending >= self._capacity:
                drain = self._pending * self._seconds_per_hash / self._threads
                raise Overloaded(
                    "Too many password checks are waiting; try again shortly",
                    retry_after=max(1, math.ceil(drain)),
                )
            self._pending += 1

    def _release(self, _: Future[Any] | None) -> None:
        with self._lock:  # done callbacks run on the pool's threads
            self._pending -= 1
