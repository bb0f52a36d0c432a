import asyncio
import threading

from app.infrastructure.security import BcryptHasher


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
