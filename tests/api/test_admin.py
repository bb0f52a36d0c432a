"""REST administration of accounts: /users/{uuid}/..., each route behind its permission."""

import uuid

import pytest

from tests.api.helpers import PASSWORD, assert_problem, bearer, sign_in, sign_up, unique_email

USER_FIELDS = {
    "uuid",
    "email",
    "first_name",
    "last_name",
    "phone",
    "birthday",
    "street",
    "city",
    "state",
    "zip_code",
    "country",
    "meta",
    "is_active",
    "roles",
    "created_at",
    "updated_at",
}


async def account(client) -> tuple[str, str, dict]:
    """A new plain account: its email, uuid and token pair."""
    email = unique_email()
    created = await sign_up(client, email)
    return email, created["uuid"], await sign_in(client, email)


async def admin_headers(client, container) -> dict[str, str]:
    email = unique_email("admin")
    await sign_up(client, email)
    await container.admin.grant(email, "admin")
    return bearer((await sign_in(client, email))["access"])


@pytest.fixture
async def admin(client, container) -> dict[str, str]:
    return await admin_headers(client, container)


ROUTES = [
    ("get", "/users/{uuid}/", None, "users:read"),
    ("patch", "/users/{uuid}/", {"city": "Paris"}, "users:write"),
    ("post", "/users/{uuid}/deactivate/", None, "users:deactivate"),
    ("post", "/users/{uuid}/reactivate/", None, "users:deactivate"),
    ("get", "/users/{uuid}/sessions/", None, "sessions:revoke"),
    ("delete", "/users/{uuid}/sessions/some-session/", None, "sessions:revoke"),
]


async def call(client, method: str, path: str, body, headers=None):
    options = {"headers": headers or {}}
    if body is not None:
        options["json"] = body
    return await client.request(method, path, **options)


@pytest.mark.parametrize(("method", "path", "body", "permission"), ROUTES)
async def test_a_plain_user_gets_403_naming_the_permission_and_no_token_gets_401(
    client, method, path, body, permission
):
    _, target, _ = await account(client)
    _, _, pair = await account(client)
    path = path.format(uuid=target)
    denied = assert_problem(await call(client, method, path, body, bearer(pair["access"])), 403)
    assert denied["type"] == "urn:problem:forbidden"
    assert denied["detail"] == f"This needs the permission {permission}"
    assert_problem(await call(client, method, path, body), 401)


@pytest.mark.parametrize(("method", "path", "body", "permission"), ROUTES)
async def test_an_unknown_account_is_404_and_a_path_that_is_no_uuid_is_422(
    client, admin, method, path, body, permission
):
    assert_problem(await call(client, method, path.format(uuid=uuid.uuid4()), body, admin), 404)
    invalid = assert_problem(await call(client, method, path.format(uuid="x"), body, admin), 422)
    assert invalid["errors"][0]["field"] == "uuid"


async def test_the_callers_own_routes_still_answer_beside_the_admin_routes(client, admin):
    assert (await client.get("/users/me/", headers=admin)).json()["email"].startswith("admin-")
    assert (await client.patch("/users/me/", json={"city": "Oslo"}, headers=admin)).is_success


async def test_an_admin_reads_any_account_with_its_roles_even_an_inactive_one(
    client, container, admin
):
    email, target, _ = await account(client)
    await client.post(f"/users/{target}/deactivate/", headers=admin)
    body = (await client.get(f"/users/{target}/", headers=admin)).json()
    assert set(body) == USER_FIELDS
    assert (body["email"], body["is_active"], body["roles"]) == (email, False, ["user"])


async def test_patch_changes_profile_fields_and_roles_and_a_change_of_roles_ends_the_sessions(
    client, admin
):
    email, target, pair = await account(client)
    changes = {"city": "London", "birthday": "1815-12-10", "roles": ["admin"]}
    response = await client.patch(f"/users/{target}/", json=changes, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["city"], body["birthday"], body["roles"]) == (
        "London",
        "1815-12-10",
        ["admin", "user"],
    )
    assert_problem(await client.get("/users/me/", headers=bearer(pair["access"])), 401)
    promoted = bearer((await sign_in(client, email))["access"])
    assert (await client.get(f"/users/{target}/", headers=promoted)).status_code == 200


async def test_patch_of_profile_fields_alone_keeps_the_sessions(client, admin):
    _, target, pair = await account(client)
    assert (
        await client.patch(f"/users/{target}/", json={"city": "Rome"}, headers=admin)
    ).is_success
    assert (await client.get("/users/me/", headers=bearer(pair["access"]))).json()["city"] == "Rome"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"roles": ["root"]}, "roles.0"),
        ({"roles": None}, "roles"),
        ({"email": "x@example.com"}, "email"),
        ({"is_active": False}, "is_active"),
        ({"zip_code": "1" * 17}, "zip_code"),
    ],
)
async def test_patch_refuses_unknown_roles_and_non_profile_keys_with_422(
    client, admin, body, field
):
    _, target, _ = await account(client)
    problem = assert_problem(await client.patch(f"/users/{target}/", json=body, headers=admin), 422)
    assert problem["errors"][0]["field"] == field


async def test_deactivation_ends_every_session_at_once_and_reactivation_allows_sign_in(
    client, admin
):
    email, target, pair = await account(client)
    second = await sign_in(client, email)
    deactivated = await client.post(f"/users/{target}/deactivate/", headers=admin)
    assert deactivated.json()["is_active"] is False
    for tokens in (pair, second):
        assert_problem(await client.get("/users/me/", headers=bearer(tokens["access"])), 401)
    refused = await client.post("/auth/tokens/", json={"email": email, "password": PASSWORD})
    assert_problem(refused, 403)
    reactivated = await client.post(f"/users/{target}/reactivate/", headers=admin)
    assert reactivated.json()["is_active"] is True
    await sign_in(client, email)


async def test_the_last_admin_can_be_neither_deactivated_nor_demoted(client, container, admin):
    me = (await client.get("/users/me/", headers=admin)).json()["uuid"]
    for response in (
        await client.post(f"/users/{me}/deactivate/", headers=admin),
        await client.patch(f"/users/{me}/", json={"roles": ["user"]}, headers=admin),
    ):
        assert "last active admin" in assert_problem(response, 403)["detail"]
    other = await admin_headers(client, container)
    assert (await client.post(f"/users/{me}/deactivate/", headers=other)).status_code == 200


async def test_an_admin_lists_an_accounts_sessions_and_revokes_one(client, admin):
    email, target, first = await account(client)
    agent = {"User-Agent": "Admin-Test/1.0"}
    second = (
        await client.post(
            "/auth/tokens/", json={"email": email, "password": PASSWORD}, headers=agent
        )
    ).json()
    listed = (await client.get(f"/users/{target}/sessions/", headers=admin)).json()["items"]
    assert len(listed) == 2
    assert set(listed[0]) == {"id", "created_at", "last_used_at", "client_address", "user_agent"}
    newest = next(s for s in listed if s["user_agent"] == "Admin-Test/1.0")
    assert newest["client_address"] == "127.0.0.1" and newest["created_at"]
    revoked = await client.delete(f"/users/{target}/sessions/{newest['id']}/", headers=admin)
    assert revoked.status_code == 204
    assert_problem(await client.get("/users/me/", headers=bearer(second["access"])), 401)
    assert (await client.get("/users/me/", headers=bearer(first["access"]))).status_code == 200
    again = await client.delete(f"/users/{target}/sessions/{newest['id']}/", headers=admin)
    assert assert_problem(again, 404)["detail"] == "Session not found"


async def test_a_session_is_revoked_only_under_its_own_accounts_path(client, admin):
    _, owner, pair = await account(client)
    _, stranger, _ = await account(client)
    [session] = (await client.get(f"/users/{owner}/sessions/", headers=admin)).json()["items"]
    wrong = await client.delete(f"/users/{stranger}/sessions/{session['id']}/", headers=admin)
    assert_problem(wrong, 404)
    assert (await client.get("/users/me/", headers=bearer(pair["access"]))).status_code == 200
