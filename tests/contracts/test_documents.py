"""The committed contract documents are what the code serves, and what a generator can use."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import httpx
import jsonschema_rs

from app.config.settings import LaunchMode
from app.container import build_container
from tests.conftest import asgi_client
from tests.contracts.conftest import script

CAMEL_CASE = re.compile(r"^[a-z]+(?:[A-Z0-9][a-z0-9]*)*$")


async def _get(settings: Any, path: str) -> httpx.Response:
    """GET `path` from the app on these settings (its container connects to nothing here)."""
    container = build_container(settings)
    try:
        async with asgi_client(container, base_url="http://test") as http:
            return await http.get(path)
    finally:
        await container.aclose()


async def test_the_served_openapi_document_is_the_committed_one(documented, committed_openapi):
    served = await _get(documented, "/openapi.json")

    assert served.status_code == 200
    # Stale after an API change: run `python scripts/gen_contracts.py` and review the diff.
    assert served.json() == committed_openapi


async def test_the_served_asyncapi_document_is_the_committed_one(documented, committed_asyncapi):
    served = await _get(documented, "/asyncapi.json")

    assert served.status_code == 200
    # Stale after an event or handler change: run `python scripts/gen_contracts.py`.
    assert served.json() == committed_asyncapi


async def test_prod_serves_no_asyncapi_document(documented):
    prod = replace(documented, launch_mode=LaunchMode.PROD, show_api_docs=False)

    assert (await _get(prod, "/asyncapi.json")).status_code == 404


def test_the_check_mode_fails_on_a_stale_document_and_writes_nothing(tmp_path, monkeypatch):
    gen = script("gen_contracts")
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n")
    monkeypatch.setattr(gen, "OPENAPI", stale)

    assert gen.main(["--check"]) == 1
    assert stale.read_text() == "{}\n"


def test_generation_is_deterministic(documented):
    gen = script("gen_contracts")

    assert gen.openapi_text(documented) == gen.openapi_text(documented)
    assert gen.asyncapi_text(documented) == gen.asyncapi_text(documented)


def test_the_documents_ignore_the_environment(monkeypatch, committed_openapi):
    monkeypatch.setenv("PROJECT_NAME", "somebody-else")
    monkeypatch.setenv("LAUNCH_MODE", "PROD")
    gen = script("gen_contracts")

    assert json.loads(gen.openapi_text(gen.documented_settings())) == committed_openapi


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in document["paths"].items() for m, op in item.items()]


def test_operation_ids_are_the_route_functions_names_in_camel_case(committed_openapi):
    ids = [operation["operationId"] for _, _, operation in _operations(committed_openapi)]

    assert len(ids) == len(set(ids))
    assert all(CAMEL_CASE.match(operation_id) for operation_id in ids), ids
    # A read is `get`, as in the gRPC API: UsersService/GetMe.
    assert {"signUp", "issueTokens", "refreshTokens", "getMe", "updateMe", "getUser"} <= set(ids)


def test_every_operation_has_a_tag(committed_openapi):
    for method, path, operation in _operations(committed_openapi):
        assert operation.get("tags"), (method, path)


def _models(document: dict[str, Any]) -> set[str]:
    """The component schemas that are a request body or a success response."""
    bodies = [
        *(op.get("requestBody", {}) for _, _, op in _operations(document)),
        *(
            response
            for _, _, op in _operations(document)
            for status, response in op["responses"].items()
            if status.startswith("2")
        ),
    ]
    refs = (
        media["schema"].get("$ref", "")
        for body in bodies
        for media in body.get("content", {}).values()
    )
    return {ref.rsplit("/", 1)[1] for ref in refs if ref}


def _examples(schema: dict[str, Any]) -> list[Any]:
    """A model's example, or one made of its fields' own examples when each has one."""
    if "examples" in schema:
        return list(schema["examples"])
    properties = schema.get("properties", {})
    if properties and all("examples" in p for p in properties.values()):
        return [{name: p["examples"][0] for name, p in properties.items()}]
    return []


def test_every_request_and_response_model_has_an_example(committed_openapi):
    schemas = committed_openapi["components"]["schemas"]
    missing = [name for name in sorted(_models(committed_openapi)) if not _examples(schemas[name])]

    assert not missing, f"no example (schemas.py: `model_config = example(...)`): {missing}"


def test_every_example_fits_its_model(committed_openapi):
    components = committed_openapi["components"]
    for name, schema in components["schemas"].items():
        validator = jsonschema_rs.validator_for(
            {"$ref": f"#/components/schemas/{name}", "components": components}
        )
        for example in _examples(schema):
            errors = [error.message for error in validator.iter_errors(example)]
            assert not errors, (name, errors)
