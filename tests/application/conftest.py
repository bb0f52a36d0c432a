"""The fakes every application test builds its services on: one database, clock and store."""

from __future__ import annotations

import pytest

from tests.fakes import FakeDatabase, FakeHasher, FakeSessions, FixedClock


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def sessions(clock: FixedClock) -> FakeSessions:
    return FakeSessions(clock)


@pytest.fixture
def hasher() -> FakeHasher:
    return FakeHasher()
