"""The OpenAPI document: one bearer scheme, and every problem each route can answer."""

import pytest

from app.domain.shared import RateLimited
from app.domain.users.errors import EmailAlreadyTaken
from app.interfaces.api.app import create_app
from app.interfaces.api.errors import PROBLEM_JSON as PROBLEM
from app.interfaces.api.errors import PROBLEM_SCHEMA_REF as PROBLEM_REF
from app.interfaces.api.errors import problems

FIELD_ERROR_REF = "#/components/schemas/FieldError"
# They answer 503 with the health document itself, naming the component that is down.
HEALTH_DOCUMENTS = {"/api/v1/debug/health/", "/readyz"}

PROTECTED = {
    ("post", "/api/v1/auth/tokens/refresh/"),
    ("post", "/api/v1/auth/sign-out/"),
    ("post", "/api/v1/auth/sign-out-everywhere/"),
    ("get", "/api/v1/users/me/"),
    ("get", "/api/v1/users/me/sessions/"),
    ("post", "/api/v1/users/me/password/"),
    ("get", "/api/v1/audit/"),
    ("patch", "/api/v1/users/me/"),
    ("get", "/api/v1/users/"),
    ("get", "/api/v1/users/{uuid}/"),
    ("patch", "/api/v1/users/{uuid}/"),
    ("post", "/api/v1/users/{uuid}/deactivate/"),
    ("post", "/api/v1/users/{uuid}/reactivate/"),
    ("get", "/api/v1/users/{uuid}/sessions/"),
    ("delete", "/api/v1/users/{uuid}/sessions/{sid}/"),
    ("post", "/api/v1/debug/send-message/"),
}


CREDENTIALS = ("/api/v1/auth/tokens/", "/api/v1/auth/password-reset/confirm/")


def test_swagger_authorize_has_one_bearer_scheme_used_by_the_protected_routes(container):
    schema = create_app(container).openapi()

    schemes = schema["components"]["securitySchemes"]
    assert list(schemes) == ["HTTPBearer"]
    assert schemes["HTTPBearer"]["type"] == "http"
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    secured = {
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if operation.get("security") == [{"HTTPBearer": []}]
    }
    assert secured == PROTECTED


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [(m, p, op) for p, item in schema["paths"].items() for m, op in item.items()]


def test_every_error_response_is_a_problem_document_and_every_operation_documents_500(container):
    schema = create_app(container).openapi()
    for method, path, operation in operations(schema):
        responses = operation["responses"]
        assert "500" in responses, (method, path)
        for status, response in responses.items():
            if int(status) < 400 or (path in HEALTH_DOCUMENTS and status == "503"):
                continue
            assert response["content"] == {PROBLEM: {"schema": {"$ref": PROBLEM_REF}}}, status


def test_fastapis_validation_error_schema_is_replaced_by_the_problem_schema(container):
    schemas = create_app(container).openapi()["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["Problem"]["properties"]["errors"]["items"] == {"$ref": FIELD_ERROR_REF}
    assert "FieldError" in schemas


def test_protected_operations_document_401_with_its_challenge(container):
    for method, path, operation in operations(create_app(container).openapi()):
        if (method, path) in PROTECTED:
            headers = operation["responses"]["401"]["headers"]
            assert headers["WWW-Authenticate"]["schema"]["enum"] == ["Bearer"], (method, path)
        else:
            # A wrong password or reset token proves no one, like a missing bearer token.
            assert "401" not in operation["responses"] or path in CREDENTIALS


def test_operations_with_a_body_document_the_guard_and_validation_answers(container):
    for method, path, operation in operations(create_app(container).openapi()):
        codes = set(operation["responses"])
        if method in ("post", "patch"):
            assert {"413", "415"} <= codes, (method, path)
        if "requestBody" in operation:
            assert {"400", "422"} <= codes, (method, path)


def test_rate_limited_operations_document_429_with_retry_after(container):
    schema = create_app(container).openapi()
    for path in (
        "/api/v1/auth/sign-up/",
        "/api/v1/auth/tokens/",
        "/api/v1/auth/password-reset/",
        "/api/v1/auth/password-reset/confirm/",
        "/api/v1/users/me/password/",
    ):
        retry_after = schema["paths"][path]["post"]["responses"]["429"]["headers"]["Retry-After"]
        assert retry_after["required"] is True


def test_every_operation_touching_a_dependency_documents_503(container):
    for method, path, operation in operations(create_app(container).openapi()):
        if path != "/livez":
            assert "503" in operation["responses"], (method, path)


def test_every_response_documents_its_x_request_id(container):
    for method, path, operation in operations(create_app(container).openapi()):
        for status, response in operation["responses"].items():
            assert response["headers"]["X-Request-ID"]["required"] is True, (method, path, status)


def test_problems_are_read_from_the_error_table():
    documented = problems(EmailAlreadyTaken, RateLimited)
    assert list(documented) == [409, 429, 500]
    assert "urn:problem:already-exists" in documented[409]["description"]
    with pytest.raises(TypeError):
        problems(RuntimeError)
