"""Request and response models of the REST API (Pydantic lives at the edges only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from app.domain.users.values import EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN, PHONE_MAX, PROFILE_LIMITS


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Response(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _text(field: str) -> Any:
    return Field(default=None, max_length=PROFILE_LIMITS[field])


class SignUpRequest(Request):
    email: str = Field(max_length=EMAIL_MAX, examples=["ada@example.com"])
    password: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)
    first_name: str | None = _text("first_name")
    last_name: str | None = _text("last_name")


class SignInRequest(Request):
    email: str = Field(max_length=EMAIL_MAX)
    password: str = Field(max_length=PASSWORD_MAX)


class UpdateMeRequest(Request):
    """Profile fields only; any other key (email, password, uuid, is_active, ...) is a 422."""

    first_name: str | None = _text("first_name")
    last_name: str | None = _text("last_name")
    phone: str | None = Field(default=None, max_length=PHONE_MAX)
    birthday: date | None = None
    street: str | None = _text("street")
    city: str | None = _text("city")
    state: str | None = _text("state")
    zip_code: str | None = _text("zip_code")
    country: str | None = _text("country")
    meta: dict[str, Any] | None = None


class SignUpResponse(Response):
    uuid: UUID
    email: str
    first_name: str | None
    last_name: str | None
    created_at: datetime | None


class UserData(BaseModel):
    uuid: UUID


class TokenPairResponse(BaseModel):
    user_data: UserData
    access: str
    refresh: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")


class ProfileResponse(Response):
    uuid: UUID
    email: str
    first_name: str | None
    last_name: str | None
    phone: str | None
    birthday: date | None
    street: str | None
    city: str | None
    state: str | None
    zip_code: str | None
    country: str | None
    meta: dict[str, Any]
    is_active: bool
    created_at: datetime | None
    updated_at: datetime | None


class HealthResponse(BaseModel):
    status: str
    components: dict[str, str]


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    error_id: str
    errors: list[FieldError] = []
