"""JWT codec (python-jose) and password hashing (bcrypt_sha256 in a bounded thread pool)."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any
from uuid import UUID

from jose import JWTError, jwt
from passlib.hash import bcrypt_sha256

from app.domain.auth.session import TokenClaims, TokenType
from app.domain.shared import AuthenticationError

REQUIRED_CLAIMS = ("sub", "sid", "typ", "jti", "iat", "exp", "iss")


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
        except JWTError:
            return None
        return payload if isinstance(payload.get("exp"), int) else None


def _claims(payload: dict[str, Any], expected: TokenType) -> TokenClaims:
    if payload.get("typ") != expected.value:
        raise AuthenticationError(
            f"Not an {expected.value} token"
            if expected is TokenType.ACCESS
            else f"Not a {expected.value} token"
        )
    sid, jti = payload.get("sid"), payload.get("jti")
    if not isinstance(sid, str) or not isinstance(jti, str) or not sid or not jti:
        raise AuthenticationError("Invalid or expired token")
    try:
        user_id = UUID(str(payload["sub"]))
    except ValueError:
        raise AuthenticationError("Invalid or expired token") from None
    return TokenClaims(user_id, sid, expected, jti)


def usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class BcryptHasher:
    """bcrypt over SHA-256 of the password, so every byte of a long password counts.

    Hashing is CPU-bound (~0.25 s at cost 12): it runs in a pool with one thread per usable
    CPU, so a burst of sign-ins queues there instead of starving the event loop.
    """

    def __init__(self, rounds: int, threads: int | None = None) -> None:
        self._scheme = bcrypt_sha256.using(rounds=rounds)
        self._pool = ThreadPoolExecutor(
            max_workers=threads or usable_cpus(), thread_name_prefix="hash"
        )
        self._dummy: str = self._scheme.hash(secrets.token_urlsafe(16))

    @property
    def dummy_hash(self) -> str:
        return self._dummy

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
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
