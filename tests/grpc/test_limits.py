"""Limits over gRPC: per client address (x-forwarded-for only from TRUSTED_PROXIES), sign-up, and
the hashing queue's overload answer."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
import pytest

from app.config.settings import Settings
from app.container import build_container
from app.domain.shared import Overloaded
from app.infrastructure.security import usable_cpus
from app.interfaces.grpc.errors import failure_of
from app.interfaces.grpc.pb import auth_pb2
from tests.conftest import settings_with
from tests.grpc.conftest import PASSWORD, ServerFactory, Stubs, unique_email

LIMIT = 2


@asynccontextmanager
async def stubs_of(settings, start_server, **changes) -> AsyncIterator[Stubs]:
    """Stubs of a server on the run's settings with low limits (unless `changes` set them),
    counting under its own prefix."""
    limits = {"sign_in_attempts_per_minute": LIMIT, "sign_up_attempts_per_minute": LIMIT}
    container = build_container(
        settings_with(
            settings,
            redis_key_prefix=f"{settings.redis_key_prefix}{uuid.uuid4().hex[:8]}:",
            **(limits | changes),
        )
    )
    try:
        server = await start_server(container)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            yield Stubs.of(channel)
    finally:
        await container.aclose()


async def code_of(call) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def sign_in_from(stubs: Stubs, forwarded_for: str):
    request = auth_pb2.IssueTokensRequest(email=unique_email(), password=PASSWORD)
    return stubs.auth.IssueTokens(request, metadata=(("x-forwarded-for", forwarded_for),))


async def test_an_untrusted_peer_forging_x_forwarded_for_is_limited_by_its_own_address(
    settings, start_server
):
    async with stubs_of(settings, start_server) as stubs:
        codes = [await code_of(sign_in_from(stubs, f"198.51.100.{i}")) for i in range(LIMIT + 1)]
    assert codes == [grpc.StatusCode.UNAUTHENTICATED] * LIMIT + [grpc.StatusCode.RESOURCE_EXHAUSTED]


async def test_a_trusted_proxy_is_limited_per_forwarded_address(settings, start_server):
    async with stubs_of(settings, start_server, trusted_proxies=("127.0.0.1",)) as stubs:
        first = [await code_of(sign_in_from(stubs, "198.51.100.1")) for _ in range(LIMIT + 1)]
        other = await code_of(sign_in_from(stubs, "198.51.100.2"))
    assert first == [grpc.StatusCode.UNAUTHENTICATED] * LIMIT + [grpc.StatusCode.RESOURCE_EXHAUSTED]
    assert other is grpc.StatusCode.UNAUTHENTICATED


async def test_sign_ups_over_the_limit_are_resource_exhausted_with_retry_after(
    settings, start_server
):
    async with stubs_of(settings, start_server) as stubs:
        for _ in range(LIMIT):
            await stubs.auth.SignUp(auth_pb2.SignUpRequest(email=unique_email(), password=PASSWORD))
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stubs.auth.SignUp(auth_pb2.SignUpRequest(email=unique_email(), password=PASSWORD))
    assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert 1 <= int(dict(caught.value.trailing_metadata())["retry-after"]) <= 60


def test_an_overloaded_hashing_queue_is_unavailable_with_retry_after():
    failure = failure_of(Overloaded("busy", retry_after=3), "/app.v1.AuthService/SignUp")
    assert failure.code is grpc.StatusCode.UNAVAILABLE
    assert dict(failure.trailing_metadata)["retry-after"] == "3"


async def timed_sign_up(stubs: Stubs) -> tuple[grpc.StatusCode, float, dict[str, str]]:
    """The call's status, its seconds and its trailing metadata."""
    request = auth_pb2.SignUpRequest(email=unique_email(), password=PASSWORD)
    started = time.perf_counter()
    try:
        await stubs.auth.SignUp(request)
    except grpc.aio.AioRpcError as error:
        metadata = dict(error.trailing_metadata() or ())
        return error.code(), time.perf_counter() - started, metadata
    return grpc.StatusCode.OK, time.perf_counter() - started, {}


async def test_a_sign_up_burst_past_the_hash_queue_is_unavailable_with_retry_after_and_no_wait(
    settings: Settings, start_server: ServerFactory
) -> None:
    # Cost 12 takes ~0.25 s a hash: the burst arrives while the pool (one thread per CPU) and
    # the one waiting place are busy, so the rest are refused instead of queued.
    burst = usable_cpus() + 1 + 6
    changes = {
        "password_hash_rounds": 12,
        "password_hash_queue_limit": 1,
        "sign_up_attempts_per_minute": 100_000,
    }
    async with stubs_of(settings, start_server, **changes) as stubs:
        results = await asyncio.gather(*(timed_sign_up(stubs) for _ in range(burst)))
    codes = sorted(code.name for code, _, _ in results)
    assert set(codes) == {"OK", "UNAVAILABLE"}, codes
    refused = [
        (seconds, metadata)
        for code, seconds, metadata in results
        if code is grpc.StatusCode.UNAVAILABLE
    ]
    slowest_refusal = max(seconds for seconds, _ in refused)
    fastest_success = min(seconds for code, seconds, _ in results if code is grpc.StatusCode.OK)
    # Refused on arrival: before any hash of the burst ends, not after waiting for a place.
    assert slowest_refusal < fastest_success, (slowest_refusal, fastest_success)
    for _, metadata in refused:
        assert int(metadata["retry-after"]) >= 1, metadata
