"""The OpenAPI document: FastAPI's, plus what it cannot see from the routes.

That is the Problem schema the problem responses (`errors.problems`) refer to, and the
X-Request-ID header the request-context middleware adds to every response.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from app.application.context import REQUEST_ID_PATTERN
from app.interfaces.api.middleware import REQUEST_ID_HEADER
from app.interfaces.api.schemas import Problem

_REQUEST_ID = {
    "description": "The request id: the caller's own X-Request-ID if it sent a valid one",
    "required": True,
    "schema": {"type": "string", "pattern": REQUEST_ID_PATTERN},
}


def complete_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` (and /openapi.json) describe every response the app gives."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()  # cached by FastAPI: the additions below are idempotent
        schema.setdefault("components", {}).setdefault("schemas", {}).update(_problem_schemas())
        for item in schema["paths"].values():
            for operation in item.values():
                for response in operation["responses"].values():
                    response["headers"] = {
                        **response.get("headers", {}),
                        REQUEST_ID_HEADER: _REQUEST_ID,
                    }
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _problem_schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    return {**schema.pop("$defs", {}), "Problem": schema}
