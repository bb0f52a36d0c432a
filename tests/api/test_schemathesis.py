"""Schemathesis against the served OpenAPI document: the document tells the truth.

Every operation (debug routes included: TEST mode), every check, on the real app and container
reached in process over ASGI, signed in so protected routes run past their 401. Seeded, so a run
is repeatable; it must send at least MIN_REQUESTS generated requests and get no server error, no
status code, content type, header or body the document does not list.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from typing import Any

import asyncpg
import coverage
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.engine import events, from_schema
from schemathesis.python import asgi

from app.config.settings import Settings
from app.container import build_container
from app.domain.shared import ValidationError
from app.domain.storable import storable_json
from app.interfaces.api.app import create_app
from tests.api.helpers import PASSWORD
from tests.conftest import TABLES

MIN_REQUESTS = 5000
STATEFUL = "Stateful tests"
SEED = 20261201
CONFIG = {
    "seed": SEED,
    "workers": 1,
    "cache": {"enabled": False},  # nothing written to the working tree, nothing replayed
    # Off unless given a limit; a generous one, so a loaded CI machine does not trip it.
    "checks": {"max_response_time": 10},
    "generation": {
        "max-examples": 300,  # per operation: with some 20 operations, over MIN_REQUESTS
        "database": "none",
        # Every text field refuses NUL with a 422 (tests/api/test_unsafe_input.py); OpenAPI has
        # no way to say so short of a pattern on every string, so positive data leaves it out.
        "allow-x00": False,
    },
}


@dataclass
class Run:
    """What the engine sent and found, by operation."""

    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    phases: dict[str, str] = field(default_factory=dict)

    def record(self, recorder: Any) -> None:
        for interaction in recorder.interactions.values():
            self.requests[recorder.label] += 1
            if interaction.response is not None:
                self.statuses[recorder.label, interaction.response.status_code] += 1
        for checks in recorder.checks.values():
            for check in checks:
                if check.failure_info is not None:
                    failure = check.failure_info.failure
                    self.failures.append(
                        f"{recorder.label} [{check.name}] {failure.title}\n{failure.message}\n"
                        f"{check.failure_info.code_sample}"
                    )


def served(settings: Settings) -> FastAPI:
    """The app with a container built and closed in the event loop schemathesis serves it on."""
    app = create_app(settings=settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.container = build_container(settings)
        try:
            yield
        finally:
            await app.state.container.aclose()

    app.router.lifespan_context = lifespan  # the process lifespan would also configure logging
    return app


async def _execute(settings: Settings, sql: str, *args: object) -> None:
    conn = await asyncpg.connect(
        host=settings.db_host,
        port=settings.db_port,
        user=settings.db_user,
        password=settings.db_password or None,
        database=settings.db_name,
    )
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def _empty_tables(settings: Settings) -> None:
    await _execute(settings, f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")


@pytest.fixture
def served_app(settings: Settings) -> Iterator[FastAPI]:
    yield served(settings)
    asgi.shutdown_lifespans()
    asyncio.run(_empty_tables(settings))  # the accounts the run signed up


def bearer_tokens(schema: Any, client: asgi.ASGIClient, settings: Settings) -> None:
    """Sign in one account; sign-out and refresh get a session of their own per request, and
    the admin routes that only read (`GET /users/{uuid}/...`) an admin's, so they run past their
    403. The admin routes that change an account keep the plain user's 403: run as an admin, the
    stateful phase deactivates the very accounts whose sessions the run relies on."""

    def account() -> dict[str, str]:
        email = f"schemathesis-{uuid.uuid4().hex[:12]}@example.com"
        credentials = {"email": email, "password": PASSWORD}
        assert client.post("/api/v1/auth/sign-up/", json=credentials).status_code == 201
        return credentials

    def sign_in(credentials: dict[str, str]) -> dict[str, Any]:
        response = client.post("/api/v1/auth/tokens/", json=credentials)
        assert response.status_code == 200, response.text
        pair: dict[str, Any] = response.json()
        return pair

    plain, admin = account(), account()
    grant = "UPDATE users SET roles = '{user,admin}' WHERE email = $1"
    asyncio.run(_execute(settings, grant, admin["email"]))
    shared, admin_token = sign_in(plain)["access"], sign_in(admin)["access"]

    @schema.auth(refresh_interval=None)
    class Tokens:
        def get(self, case: Any, ctx: Any) -> str:
            path = case.operation.path
            if path.endswith("/tokens/refresh/"):
                return str(sign_in(plain)["refresh"])
            if path.endswith("/sign-out/"):
                return str(sign_in(plain)["access"])
            reads = case.operation.method.upper() == "GET"
            return admin_token if reads and "{uuid}" in path else shared

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def storable_positive_data(schema: Any) -> None:
    """Positive bodies keep to the JSON rule OpenAPI only states in words (STORABLE_JSON)."""

    @schema.hook("filter_case")
    def storable(ctx: Any, case: Any) -> bool:
        positive = case.meta is not None and case.meta.generation.mode.is_positive
        if not positive or not isinstance(case.body, dict):
            return True
        try:
            storable_json("body", case.body)
        except ValidationError:
            return False
        return True


def _is_off(check: object) -> bool:
    return getattr(check, "enabled", True) is False


@pytest.fixture
def untraced() -> Iterator[None]:
    """Coverage off meanwhile: tracing the generator triples the run, and the app's lines have
    tests of their own. Every running instance: pytest-cov's and, in an xdist worker, the one
    coverage starts in each subprocess (pytest-cov's `no_cover` mark stops only its own)."""
    paused = []
    while (running := coverage.Coverage.current()) is not None:
        running.stop()
        paused.append(running)
    try:
        yield
    finally:
        for measuring in reversed(paused):
            measuring.start()


@pytest.mark.slow
def test_schemathesis_finds_nothing_the_openapi_document_does_not_say(
    untraced, served_app, settings
):
    with asgi.get_client(served_app) as client:
        config = schemathesis.Config.from_dict(CONFIG)
        schema = schemathesis.openapi.from_asgi("/openapi.json", served_app, config=config)
        bearer_tokens(schema, client, settings)
        storable_positive_data(schema)
        operations = {op.ok().label for op in schema.get_all_operations()}
        checks = schema.config.checks
        assert not [f.name for f in fields(checks) if _is_off(getattr(checks, f.name))]
        run = Run()
        for event in from_schema(schema).execute():
            if isinstance(event, events.ScenarioFinished):
                run.record(event.recorder)
            elif isinstance(event, events.PhaseFinished):
                skipped = event.phase.skip_reason
                run.phases[event.phase.name.value] = (
                    skipped.value if skipped else event.status.value
                )
            elif isinstance(event, events.NonFatalError | events.FatalError):
                run.failures.append(f"engine error: {event!r}")
    total = sum(run.requests.values())
    server_errors = {key: n for key, n in run.statuses.items() if key[1] >= 500}
    print(f"schemathesis: {total} requests, by operation {dict(run.requests)}; {run.phases}")
    assert not run.failures, "\n\n".join(run.failures)
    assert not server_errors
    # The stateful phase follows the links between operations (a sign-up's uuid into
    # /users/{uuid}/): its requests count under a label of their own.
    assert set(run.requests) - {STATEFUL} == operations
    assert total >= MIN_REQUESTS, f"only {total} requests"
