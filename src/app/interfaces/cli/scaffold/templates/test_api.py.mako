<%
    E, e, N = c.Entity, c.entity, c.name
    shown = ("uuid", "owner_uuid") if c.owner else ("uuid",)
%>\
"""REST /${N}: create, read, list, change and delete over HTTP, with the problems documented."""

import pytest

from app.application.${N} import ${E}View
from app.domain.${N}.values import ${c.ENTITY}_FIELDS, OPTIONAL_FIELDS
from app.interfaces.api.${N} import Create${E}Request, ${E}Response, Update${E}Request
from tests.api.helpers import assert_problem, bearer, sign_in, sign_up, signed_in, unique_email
from tests.domain.test_${N} import BAD

# The samples of tests/domain/test_${N}.py as JSON carries them, in the body and the response.
BODY = {
% for f in c.fields:
    "${f.name}": ${s.json_sample(f, 0)},
% endfor
}
CHANGED = {
% for f in c.fields:
    "${f.name}": ${s.json_sample(f, 1)},
% endfor
}


async def admin_headers(client, container) -> dict[str, str]:
    email = unique_email("admin")
    await sign_up(client, email)
    await container.admin.grant(email, "admin")
    return bearer((await sign_in(client, email))["access"])


@pytest.fixture
async def user(client) -> dict[str, str]:
    _, pair = await signed_in(client)
    return bearer(pair["access"])


@pytest.fixture
async def admin(client, container) -> dict[str, str]:
    return await admin_headers(client, container)
% if c.owner:


@pytest.fixture
def author(user) -> dict[str, str]:
    """Who creates ${c.words} in these tests: any signed-in user, for their own."""
    return user
% else:


@pytest.fixture
def author(admin) -> dict[str, str]:
    """Who creates ${c.words} in these tests: the permissions of ${N} are an admin's."""
    return admin
% endif


def test_the_schemas_carry_the_domains_fields_in_its_order():
    assert tuple(Create${E}Request.model_fields) == ${c.ENTITY}_FIELDS
    assert tuple(Update${E}Request.model_fields) == ${c.ENTITY}_FIELDS
    assert tuple(${E}Response.model_fields) == tuple(${E}View.__dataclass_fields__)
    assert tuple(${E}Response.model_fields) == (${"".join(f'"{name}", ' for name in shown)}*${c.ENTITY}_FIELDS, "created_at", "updated_at")


async def test_${e}_is_created_read_listed_changed_and_deleted(client, author):
    created = await client.post("/${N}/", json=BODY, headers=author)
    assert created.status_code == 201, created.text
    ${e} = created.json()
    assert {name: ${e}[name] for name in BODY} == BODY
    path = f"/${N}/{${e}['uuid']}/"
    assert (await client.get(path, headers=author)).json() == ${e}
    listed = await client.get("/${N}/", params={"uuid": ${e}["uuid"]}, headers=author)
    assert [item["uuid"] for item in listed.json()["items"]] == [${e}["uuid"]]
    changed = await client.patch(path, json=CHANGED, headers=author)
    assert {name: changed.json()[name] for name in CHANGED} == CHANGED, changed.text
    assert (await client.delete(path, headers=author)).status_code == 204
    assert_problem(await client.get(path, headers=author), 404)
% if c.optional:


async def test_null_clears_an_optional_field(client, author):
    ${e} = (await client.post("/${N}/", json=BODY, headers=author)).json()
    cleared = await client.patch(f"/${N}/{${e}['uuid']}/", json=dict.fromkeys(OPTIONAL_FIELDS), headers=author)
    assert {name: cleared.json()[name] for name in OPTIONAL_FIELDS} == dict.fromkeys(OPTIONAL_FIELDS)
% endif


async def test_a_bad_body_is_a_422_naming_every_bad_field(client, author):
    body = assert_problem(await client.post("/${N}/", json=BODY | BAD, headers=author), 422)
    assert sorted(error["field"] for error in body["errors"]) == sorted(BAD)
    unknown = await client.post("/${N}/", json=BODY | {"no_such_field": 1}, headers=author)
    assert_problem(unknown, 422)


async def test_without_a_token_it_is_a_401_and_a_path_that_is_no_uuid_a_422(client, author):
    assert_problem(await client.get("/${N}/"), 401)
    assert_problem(await client.post("/${N}/", json=BODY), 401)
    assert_problem(await client.get("/${N}/not-a-uuid/", headers=author), 422)
% if c.owner:


async def test_someone_elses_${e}_is_a_404_and_an_admin_reaches_it(client, user, admin):
    ${e} = (await client.post("/${N}/", json=BODY, headers=user)).json()
    _, other = await signed_in(client)
    path, others = f"/${N}/{${e}['uuid']}/", bearer(other["access"])
    assert_problem(await client.get(path, headers=others), 404)
    assert_problem(await client.patch(path, json=CHANGED, headers=others), 404)
    assert_problem(await client.delete(path, headers=others), 404)
    assert (await client.get("/${N}/", headers=others)).json()["total"] == 0
    assert (await client.get(path, headers=admin)).json() == ${e}
% else:


async def test_a_plain_user_is_refused_with_a_403_naming_the_permission(client, user, admin):
    ${e} = (await client.post("/${N}/", json=BODY, headers=admin)).json()
    path = f"/${N}/{${e}['uuid']}/"
    for method, url, permission in [
        ("post", "/${N}/", "${N}:write"),
        ("get", "/${N}/", "${N}:read"),
        ("get", path, "${N}:read"),
        ("patch", path, "${N}:write"),
        ("delete", path, "${N}:write"),
    ]:
        body = BODY if method in ("post", "patch") else None
        denied = assert_problem(await client.request(method, url, json=body, headers=user), 403)
        assert denied["detail"] == f"This needs the permission {permission}"
% endif
