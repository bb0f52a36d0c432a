"""The caller's account over REST, against the real services: sessions, sign-out everywhere,
password change, password reset by e-mail (through a local SMTP server), and the audit trail."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from app.application.password_reset import SendReset
from app.container import build_container
from app.infrastructure.db.tables import AuditRow, OutboxRow
from tests.api.helpers import (
    PASSWORD,
    assert_problem,
    bearer,
    sign_in,
    sign_up,
    signed_in,
    unique_email,
)
from tests.conftest import asgi_client, settings_with

NEW = "a new password 2"


async def test_the_caller_lists_their_own_sessions_only(client):
    email, first = await signed_in(client)
    await client.post(
        "/auth/tokens/",
        json={"email": email, "password": PASSWORD},
        headers={"User-Agent": "phone/1.0"},
    )
    await signed_in(client)  # someone else's
    response = await client.get("/users/me/sessions/", headers=bearer(first["access"]))
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) == 2
    assert {"phone/1.0"} <= {item["user_agent"] for item in items}
    assert set(items[0]) == {"id", "created_at", "last_used_at", "client_address", "user_agent"}


async def test_sessions_need_a_live_session(client):
    assert_problem(await client.get("/users/me/sessions/"), 401)


async def test_sign_out_everywhere_ends_every_session_of_the_caller(client):
    email, first = await signed_in(client)
    second = await sign_in(client, email)
    _, other = await signed_in(client)
    response = await client.post("/auth/sign-out-everywhere/", headers=bearer(first["access"]))
    assert response.status_code == 204
    for pair in (first, second):
        assert_problem(await client.get("/users/me/", headers=bearer(pair["access"])), 401)
        refreshed = await client.post("/auth/tokens/refresh/", headers=bearer(pair["refresh"]))
        assert_problem(refreshed, 401)
    assert (await client.get("/users/me/", headers=bearer(other["access"]))).status_code == 200


async def change(client, pair, current: str, new: str = NEW):
    body = {"current_password": current, "new_password": new}
    return await client.post("/users/me/password/", json=body, headers=bearer(pair["access"]))


async def test_a_password_change_ends_every_other_session(client):
    email, caller = await signed_in(client)
    other = await sign_in(client, email)
    assert (await change(client, caller, PASSWORD)).status_code == 204
    assert (await client.get("/users/me/", headers=bearer(caller["access"]))).status_code == 200
    assert_problem(await client.get("/users/me/", headers=bearer(other["access"])), 401)
    await sign_in(client, email, NEW)
    old = await client.post("/auth/tokens/", json={"email": email, "password": PASSWORD})
    assert_problem(old, 401)


async def test_a_wrong_current_password_is_401_and_counts_against_the_sign_in_limit(
    settings,
):
    limited = settings_with(
        settings,
        redis_key_prefix=f"{settings.redis_key_prefix}{uuid.uuid4().hex[:8]}:",
        sign_in_attempts_per_minute=3,
    )
    container = build_container(limited)
    try:
        async with asgi_client(container) as client:
            _, caller = await signed_in(client)  # the first of 3 attempts
            for _ in range(2):
                body = assert_problem(await change(client, caller, "not the password"), 401)
                assert body["detail"] == "The current password is incorrect"
            assert_problem(await change(client, caller, PASSWORD), 429)
    finally:
        await container.aclose()


async def test_a_weak_new_password_and_a_missing_field_are_named(client):
    _, caller = await signed_in(client)
    body = assert_problem(await change(client, caller, PASSWORD, "short"), 422)
    assert [e["field"] for e in body["errors"]] == ["new_password"]
    response = await client.post(
        "/users/me/password/", json={"new_password": NEW}, headers=bearer(caller["access"])
    )
    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == ["current_password"]


@pytest.fixture
async def mailing(settings, smtp_server):
    """A container whose mailer is the local SMTP server, and its client."""
    container = build_container(settings_with(settings, smtp_port=smtp_server.port))
    try:
        async with asgi_client(container) as client:
            yield container, client
    finally:
        await container.aclose()


async def reset_requested(container) -> list[OutboxRow]:
    async with container.sessions() as session:
        query = select(OutboxRow).where(OutboxRow.event == "users.password_reset_requested.v1")
        return list(await session.scalars(query.order_by(OutboxRow.id)))


async def mail_the_reset(container, row: OutboxRow) -> None:
    """What the Celery task does with the event (tests/celery_worker runs it in a worker)."""
    data = row.payload
    cmd = SendReset(
        request_id=row.message_id, user_id=uuid.UUID(data["user_uuid"]), email=data["email"]
    )
    assert await container.password_resets.send(cmd)


async def test_a_reset_by_e_mail_sets_the_password_once_and_ends_every_session(
    container, mailing, smtp_server
):
    own, client = mailing
    email, before = await signed_in(client)
    unknown = await client.post("/auth/password-reset/", json={"email": unique_email()})
    known = await client.post("/auth/password-reset/", json={"email": email.upper()})
    assert (unknown.status_code, unknown.content) == (known.status_code, known.content)
    assert known.status_code == 202
    [row] = await reset_requested(own)
    await mail_the_reset(own, row)
    [mail] = await smtp_server.wait_for(1)
    assert mail.recipients == (email,)
    token = re.search(r"token=([A-Za-z0-9_-]+)", mail.message.get_content()).group(1)
    assert token not in str(row.payload)

    body = {"token": token, "new_password": NEW}
    assert (await client.post("/auth/password-reset/confirm/", json=body)).status_code == 204
    assert_problem(await client.get("/users/me/", headers=bearer(before["access"])), 401)
    await sign_in(client, email, NEW)
    again = await client.post(
        "/auth/password-reset/confirm/", json=body | {"new_password": "x" * 9}
    )
    assert [e["field"] for e in assert_problem(again, 401)["errors"]] == ["token"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"token": "", "new_password": NEW}, "token"),
        ({"token": "t" * 129, "new_password": NEW}, "token"),
        ({"token": "a\u0000b", "new_password": NEW}, "token"),
        ({"token": "abc", "new_password": "short"}, "new_password"),
        ({"token": "abc"}, "new_password"),
    ],
)
async def test_a_bad_confirmation_names_the_field(client, body, field):
    response = await client.post("/auth/password-reset/confirm/", json=body)
    assert field in [e["field"] for e in assert_problem(response, 422)["errors"]]


async def test_a_malformed_reset_address_is_422(client):
    response = await client.post("/auth/password-reset/", json={"email": "not an address"})
    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == ["email"]


async def audit(client, headers, **filters):
    return await client.get("/audit/", params=filters, headers=headers)


async def test_the_audit_trail_needs_audit_read_and_lists_over_the_dsl(client, container):
    email, pair = await signed_in(client)
    assert_problem(await audit(client, bearer(pair["access"])), 403)
    await client.post(
        "/auth/tokens/",
        json={"email": email, "password": "wrong password"},
        headers={"X-Request-ID": "wrong-one"},
    )
    admin_email = unique_email("admin")
    await sign_up(client, admin_email)
    await container.admin.grant(admin_email, "admin")
    headers = bearer((await sign_in(client, admin_email))["access"])

    failed = await audit(client, headers, action="auth.sign_in.failed")
    assert failed.status_code == 200, failed.text
    [entry] = failed.json()["items"]
    assert (entry["request_id"], entry["actor_kind"], entry["detail"]["reason"]) == (
        "wrong-one",
        "anonymous",
        "password",
    )
    assert entry["client_address"] == "127.0.0.1"
    everything = (await audit(client, headers, limit=2)).json()
    assert everything["total"] >= 4 and len(everything["items"]) == 2
    assert everything["items"][0]["occurred_at"] >= everything["items"][1]["occurred_at"]
    page = await audit(client, headers, after=everything["next"], limit=50)
    assert len(page.json()["items"]) == everything["total"] - 2
    bad = assert_problem(await audit(client, headers, password="x"), 422)
    assert "password" in bad["errors"][0]["field"]
    assert_problem(await audit(client, headers, occurred_at__gte="yesterday"), 422)


async def test_each_entry_commits_with_its_event(client, container):
    await signed_in(client)
    async with container.sessions() as session:
        entries = list(await session.scalars(select(AuditRow.uuid)))
        events = list(
            await session.scalars(
                select(OutboxRow.message_id).where(OutboxRow.event == "audit.recorded.v1")
            )
        )
    assert entries and sorted(entries) == sorted(events)
