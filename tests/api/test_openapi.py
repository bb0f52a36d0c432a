"""The OpenAPI document: one bearer scheme, required exactly by the protected routes."""

from app.interfaces.api.app import create_app

PROTECTED = {
    ("post", "/api/v1/auth/tokens/refresh/"),
    ("post", "/api/v1/auth/sign-out/"),
    ("get", "/api/v1/users/me/"),
    ("patch", "/api/v1/users/me/"),
    ("post", "/api/v1/debug/send-message/"),
}


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
