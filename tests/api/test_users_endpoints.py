import pytest

from tests.api.helpers import assert_problem, bearer, signed_in

PROFILE_FIELDS = {
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
    "created_at",
    "updated_at",
}


async def test_me_returns_exactly_the_profile_fields(client):
    email, pair = await signed_in(client)
    response = await client.get("/users/me/", headers=bearer(pair["access"]))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PROFILE_FIELDS
    assert (body["email"], body["is_active"], body["meta"]) == (email, True, {})
    assert "password" not in response.text and '"id"' not in response.text


async def test_patch_me_updates_only_the_fields_sent(client):
    _, pair = await signed_in(client)
    changes = {
        "first_name": "Ada",
        "city": "London",
        "birthday": "1815-12-10",
        "phone": "+44 20 7946 0000",
        "meta": {"lang": "en"},
    }
    response = await client.patch("/users/me/", json=changes, headers=bearer(pair["access"]))
    assert response.status_code == 200
    assert {k: response.json()[k] for k in changes} == changes
    again = await client.patch("/users/me/", json={"city": None}, headers=bearer(pair["access"]))
    assert (again.json()["city"], again.json()["first_name"]) == (None, "Ada")
    fetched = await client.get("/users/me/", headers=bearer(pair["access"]))
    assert fetched.json() == again.json()


@pytest.mark.parametrize(
    "body",
    [
        {"email": "x@example.com"},
        {"uuid": "00000000-0000-0000-0000-000000000000"},
        {"is_active": False},
        {"password": "new password"},
        {"favourite_color": "blue"},
        {"zip_code": "1" * 17},
        {"city": "x" * 129},
        {"birthday": "not a date"},
        {"phone": "call me maybe"},
        {"meta": [1, 2]},
    ],
)
async def test_patch_me_rejects_non_profile_keys_and_bad_values_with_422(client, body):
    _, pair = await signed_in(client)
    response = await client.patch("/users/me/", json=body, headers=bearer(pair["access"]))
    problem = assert_problem(response, 422)
    assert problem["errors"] and problem["errors"][0]["field"] == next(iter(body))


async def test_patch_me_needs_a_token(client):
    assert_problem(await client.patch("/users/me/", json={"city": "Paris"}), 401)
