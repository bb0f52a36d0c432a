"""Request and response models of the REST API (Pydantic lives at the edges only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.config import JsonDict

from app.application.admin import UpdateUser
from app.application.context import REQUEST_ID_PATTERN
from app.domain.auth.permissions import Role
from app.domain.storable import MAX_JSON_DEPTH, storable_text
from app.domain.users.user import PROFILE_FIELDS, check_field
from app.domain.users.values import (
    EMAIL_MAX,
    EMAIL_PATTERN,
    PASSWORD_MAX,
    PASSWORD_MIN,
    PHONE_MAX,
    PHONE_PATTERN,
    PROFILE_LIMITS,
    Email,
    check_password_policy,
    untrimmed,
)
from app.infrastructure.validation import domain_check

RESET_TOKEN_MAX = 128  # the tokens are 43 characters: anything longer is no token of ours
RESET_ACCEPTED = "If an active account has this address, a reset link is on its way to it"


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Response(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _text(field: str) -> Any:
    return Field(default=None, max_length=PROFILE_LIMITS[field])


# Each field also runs its domain check, so pydantic lists every bad field in one 422; the
# Field limits (from the same constants) are there for OpenAPI and fail first.
_PROFILE = {name: domain_check(partial(check_field, name)) for name in PROFILE_FIELDS}


# What OpenAPI cannot say of free-form JSON, in words (app.domain.storable checks it).
STORABLE_JSON = (
    f"Any JSON object nested at most {MAX_JSON_DEPTH} levels deep, with integers of at most"
    " 64 bits and no NUL character"
)


def _shown(**keywords: str) -> Any:
    """JSON Schema keywords for OpenAPI only: the domain check enforces them, with its message."""
    schema: JsonDict = {**keywords}
    return Field(json_schema_extra=schema)


def example(values: JsonDict) -> ConfigDict:
    """A model's example in OpenAPI (Swagger's request body, Redoc's samples); a test checks it
    against the model's own schema. No null values: FastAPI leaves them out of the document."""
    return ConfigDict(json_schema_extra={"examples": [values]})


_ADA = {"uuid": "5f0c1e1a-8a3b-4b8e-9f5e-2a7d4c6b9e10", "email": "ada@example.com"}
_AT = "2026-12-01T09:30:00Z"
_PROFILE_EXAMPLE: JsonDict = {
    **_ADA,
    "first_name": "Ada",
    "last_name": "Lovelace",
    "phone": "+44 20 7946 0958",
    "birthday": "1815-12-10",
    "street": "12 St James's Square",
    "city": "London",
    "state": "England",
    "zip_code": "SW1Y 4JH",
    "country": "GB",
    "meta": {"plan": "pro"},
    "is_active": True,
    "created_at": _AT,
    "updated_at": _AT,
}
_SESSION_EXAMPLE: JsonDict = {
    "id": "s9Qm2xVb7LkP",
    "created_at": _AT,
    "last_used_at": _AT,
    "client_address": "203.0.113.7",
    "user_agent": "Mozilla/5.0",
}


class SignUpRequest(Request):
    model_config = example(
        {"email": _ADA["email"], "password": "correct horse battery staple", "first_name": "Ada"}
    )

    email: Annotated[str, domain_check(Email.parse)] = Field(
        max_length=EMAIL_MAX,
        examples=["ada@example.com"],
        json_schema_extra={"pattern": untrimmed(EMAIL_PATTERN)},
    )
    password: Annotated[str, domain_check(check_password_policy)] = Field(
        min_length=PASSWORD_MIN, max_length=PASSWORD_MAX
    )
    first_name: Annotated[str | None, _PROFILE["first_name"]] = _text("first_name")
    last_name: Annotated[str | None, _PROFILE["last_name"]] = _text("last_name")


class SignInRequest(Request):
    """Any text is tried (a wrong email is a 401), but only text the service can store."""

    model_config = example({"email": _ADA["email"], "password": "correct horse battery staple"})
    email: Annotated[str, domain_check(partial(storable_text, "email"))] = Field(
        max_length=EMAIL_MAX
    )
    password: Annotated[str, domain_check(partial(storable_text, "password"))] = Field(
        max_length=PASSWORD_MAX
    )


def _changed(name: str) -> tuple[Any, Any]:
    """A profile field of a change request: its type (the domain's rule runs on it too) and its
    default. Free text has its column's limit; the other fields each have their own shape."""
    if name in PROFILE_LIMITS:
        return Annotated[str | None, _PROFILE[name]], _text(name)
    return _OWN_SHAPES[name]()


_OWN_SHAPES: dict[str, Callable[[], tuple[Any, Any]]] = {
    "phone": lambda: (
        Annotated[
            Annotated[str, _shown(pattern=untrimmed(PHONE_PATTERN))] | None, _PROFILE["phone"]
        ],
        Field(default=None, max_length=PHONE_MAX),
    ),
    # Text the domain parses, as gRPC sends it: pydantic's date would also take 0 or a datetime.
    "birthday": lambda: (
        Annotated[Annotated[str, _shown(format="date")] | None, _PROFILE["birthday"]],
        None,
    ),
    # An object or absent: null would store a profile that cannot be read back.
    "meta": lambda: (
        Annotated[dict[str, Any], _PROFILE["meta"]],
        Field(default_factory=dict, description=STORABLE_JSON),
    ),
}
# As each response shows a profile field; free text is `str | None`.
_SHOWN: dict[str, Any] = {"birthday": date | None, "meta": dict[str, Any]}

# The profile's fields in the domain's order (PROFILE_FIELDS): a field added there appears in
# both models, and one this module has no shape for fails at import.
# (create_model's stubs take no field definitions built at run time, hence the ignores.)
_ProfileChanges: Any = create_model(  # type: ignore[call-overload]
    "_ProfileChanges", __base__=Request, **{name: _changed(name) for name in PROFILE_FIELDS}
)
_Profile: Any = create_model(  # type: ignore[call-overload]
    "_Profile",
    __base__=Response,
    uuid=(UUID, ...),
    email=(str, ...),
    **{name: (_SHOWN.get(name, str | None), ...) for name in PROFILE_FIELDS},
    is_active=(bool, ...),
    created_at=(datetime | None, ...),
    updated_at=(datetime | None, ...),
)


class UpdateMeRequest(_ProfileChanges):
    """Profile fields only; any other key (email, password, uuid, is_active, ...) is a 422."""

    model_config = example({"city": "Paris", "phone": "+33 1 42 68 53 00"})


class UpdateUserRequest(UpdateMeRequest):
    """What an admin may change: profile fields, and every role the account should hold."""

    model_config = example({"roles": ["admin", "user"], "city": "Paris"})

    roles: list[Role] = Field(
        default_factory=list,
        description="Every role the account holds from now on; `user` is always among them."
        " A change ends the account's sessions.",
    )

    def command(self, user_id: UUID) -> UpdateUser:
        changes = self.model_dump(exclude_unset=True)
        roles = changes.pop("roles", None)
        return UpdateUser(user_id, changes, roles)


class SignUpResponse(Response):
    model_config = example(
        {**_ADA, "first_name": "Ada", "last_name": "Lovelace", "created_at": _AT},
    )

    uuid: UUID
    email: str
    first_name: str | None
    last_name: str | None
    created_at: datetime | None


class UserData(BaseModel):
    uuid: UUID


class TokenPairResponse(BaseModel):
    model_config = example(
        {
            "user_data": {"uuid": _ADA["uuid"]},
            "access": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXAiOiJhY2Nlc3MifQ.c2lnbmVk",
            "refresh": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXAiOiJyZWZyZXNoIn0.c2lnbmVk",
            "token_type": "bearer",
            "expires_in": 300,
        }
    )

    user_data: UserData
    access: str
    refresh: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")


class ProfileResponse(_Profile):
    """The profile: never the password hash, never the integer id."""

    model_config = example(_PROFILE_EXAMPLE)


class UserResponse(ProfileResponse):
    """An account as an admin sees it: the profile and the account's roles."""

    model_config = example({**_PROFILE_EXAMPLE, "roles": ["user"]})
    roles: list[Role]


class SessionResponse(Response):
    """A live session; `last_used_at` is its last sign-in or refresh."""

    model_config = example(_SESSION_EXAMPLE)
    id: str = Field(validation_alias="session_id")
    created_at: datetime | None
    last_used_at: datetime | None
    client_address: str
    user_agent: str


class SessionsResponse(BaseModel):
    model_config = example({"items": [_SESSION_EXAMPLE]})

    items: list[SessionResponse]


class ChangePasswordRequest(Request):
    model_config = example(
        {
            "current_password": "correct horse battery staple",
            "new_password": "staple battery horse correct",
        }
    )

    current_password: Annotated[str, domain_check(partial(storable_text, "current_password"))] = (
        Field(max_length=PASSWORD_MAX)
    )
    new_password: Annotated[
        str, domain_check(partial(check_password_policy, field="new_password"))
    ] = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)


class PasswordResetRequest(Request):
    email: Annotated[str, domain_check(Email.parse)] = Field(
        max_length=EMAIL_MAX,
        examples=["ada@example.com"],
        json_schema_extra={"pattern": untrimmed(EMAIL_PATTERN)},
    )


class PasswordResetAccepted(BaseModel):
    """The one answer to a reset request, whether or not an account has the address."""

    model_config = example({"detail": RESET_ACCEPTED})

    detail: str = Field(examples=[RESET_ACCEPTED])


class PasswordResetConfirmation(Request):
    model_config = example(
        {
            "token": "Jm4cQm8mVxS2d1ZkT0p3bAq7Xw9Lr5Ny2Hs6Fg1Kd3E",
            "new_password": "staple battery horse correct",
        }
    )

    token: Annotated[str, domain_check(partial(storable_text, "token"))] = Field(
        min_length=1, max_length=RESET_TOKEN_MAX, description="The token from the reset e-mail"
    )
    new_password: Annotated[
        str, domain_check(partial(check_password_policy, field="new_password"))
    ] = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)


class AuditEntryResponse(Response):
    """Who did what to which account, when and from where; never a password or token."""

    uuid: UUID = Field(validation_alias="id")
    occurred_at: datetime
    action: str = Field(description="What happened, e.g. `users.password.changed`")
    actor_kind: str = Field(description="`user`, `admin`, `operator` or `anonymous`")
    actor_uuid: UUID | None = Field(validation_alias="actor_id")
    target_uuid: UUID | None = Field(validation_alias="target_id")
    request_id: str | None
    client_address: str
    detail: dict[str, Any]


class AuditPageResponse(Response):
    """A page of audit entries; `total` counts every entry the filters match."""

    model_config = example(
        {
            "items": [
                {
                    "uuid": "9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b",
                    "occurred_at": _AT,
                    "action": "users.roles.changed",
                    "actor_kind": "admin",
                    "actor_uuid": "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
                    "target_uuid": _ADA["uuid"],
                    "request_id": "3f0c5b0e9d7a4c1f8e2b6a9d0c4e7f12",
                    "client_address": "203.0.113.7",
                    "detail": {"roles": ["admin", "user"]},
                }
            ],
            "total": 1,
            "limit": 50,
            "offset": 0,
            "next": "eyJ2IjpbIjIwMjYtMTItMDEiXX0.c2lnbmVk",
        }
    )
    items: list[AuditEntryResponse]
    total: int
    limit: int
    offset: int
    next: str | None = Field(
        description="The cursor of the page that follows, to send as `after`; null on the last"
    )


class UserPageResponse(Response):
    """A page of accounts; `total` counts every account the filters match."""

    model_config = example(
        {
            "items": [{**_PROFILE_EXAMPLE, "roles": ["user"]}],
            "total": 41,
            "limit": 1,
            "offset": 0,
            "next": "eyJ2IjpbIjIwMjYtMTItMDEiXX0.c2lnbmVk",
        }
    )

    items: list[UserResponse]
    total: int
    limit: int
    offset: int
    next: str | None = Field(
        description="The cursor of the page that follows, to send as `after`; null on the last"
    )


class HealthResponse(BaseModel):
    model_config = example(
        {"status": "ok", "components": {"postgres": "ok", "redis": "ok", "broker": "ok"}}
    )

    status: str
    components: dict[str, str]


class Liveness(BaseModel):
    status: str = Field(examples=["ok"])


class FieldError(BaseModel):
    field: str = Field(description="The invalid field, dotted when nested; `body` for all of it")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document: the body of every error response."""

    model_config = example(
        {
            "type": "urn:problem:validation",
            "title": "Unprocessable Content",
            "status": 422,
            "detail": "password: String should have at least 8 characters",
            "instance": "/api/v1/auth/sign-up/",
            "error_id": "3f0c5b0e9d7a4c1f8e2b6a9d0c4e7f12",
            "errors": [
                {"field": "password", "message": "String should have at least 8 characters"}
            ],
        }
    )

    type: str = Field(examples=["urn:problem:validation"], pattern=r"^urn:problem:[a-z-]+$")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    instance: str = Field(description="The request path")
    error_id: str = Field(
        description="The request id (X-Request-ID), also in the request's log lines",
        pattern=REQUEST_ID_PATTERN,
    )
    errors: list[FieldError] = Field(description="One entry per invalid field (422)")
    traceback: list[str] | None = Field(
        default=None, description="Only with DEBUG=true, never in PROD"
    )
