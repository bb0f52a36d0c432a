"""Translation between protobuf messages and the application's commands and views."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from google.protobuf import json_format
from google.protobuf.struct_pb2 import Struct
from google.protobuf.timestamp_pb2 import Timestamp

from app.application.auth import SignIn, TokenPair
from app.application.users import UserView
from app.domain.users.errors import InvalidField
from app.domain.users.values import EMAIL_MAX, PASSWORD_MAX
from app.interfaces.grpc.pb import auth_pb2, users_pb2

PROFILE_TEXT = ("first_name", "last_name", "phone", "street", "city", "state", "zip_code")
UPDATABLE = (*PROFILE_TEXT, "country", "birthday", "meta")


def sign_in(request: auth_pb2.IssueTokensRequest, client: str) -> SignIn:
    """The sign-in command, with REST's length limits: the email becomes a rate-limit key."""
    return SignIn(
        email=_bounded("email", request.email, EMAIL_MAX),
        password=_bounded("password", request.password, PASSWORD_MAX),
        client=client,
    )


def token_pair(pair: TokenPair) -> auth_pb2.TokenPair:
    return auth_pb2.TokenPair(
        user_uuid=str(pair.user_uuid),
        access=pair.access,
        refresh=pair.refresh,
        token_type=pair.token_type,
        expires_in=pair.expires_in,
    )


def signed_up(view: UserView) -> auth_pb2.SignUpResponse:
    return auth_pb2.SignUpResponse(
        uuid=str(view.uuid),
        email=view.email,
        first_name=view.first_name,
        last_name=view.last_name,
        created_at=timestamp(view.created_at),
    )


def profile(view: UserView) -> users_pb2.Profile:
    return users_pb2.Profile(
        uuid=str(view.uuid),
        email=view.email,
        **{name: getattr(view, name) for name in (*PROFILE_TEXT, "country")},
        birthday=view.birthday.isoformat() if view.birthday else None,
        meta=struct(view.meta),
        is_active=view.is_active,
        created_at=timestamp(view.created_at),
        updated_at=timestamp(view.updated_at),
    )


def profile_changes(request: users_pb2.UpdateMeRequest) -> dict[str, Any]:
    """The fields the client set, plus those it named in `clear` as None (REST's JSON null)."""
    changes: dict[str, Any] = {n: getattr(request, n) for n in UPDATABLE if request.HasField(n)}
    if "birthday" in changes:
        changes["birthday"] = _date(changes["birthday"])
    if "meta" in changes:
        changes["meta"] = data(request.meta)
    for name in request.clear:
        if name not in UPDATABLE or name == "meta":
            raise InvalidField("clear", f"only these fields can be cleared: {_clearable()}")
        if name in changes:
            raise InvalidField("clear", "a field cannot be both set and cleared")
        changes[name] = None
    return changes


def data(message: Struct) -> dict[str, Any]:
    """A Struct as a dict; its numbers are doubles, as in JSON."""
    values: dict[str, Any] = json_format.MessageToDict(message)
    return values


def struct(values: dict[str, Any]) -> Struct:
    message = Struct()
    message.update(values)
    return message


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    message = Timestamp()
    message.FromDatetime(value)
    return message


def _bounded(field: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise InvalidField(field, f"at most {limit} characters")
    return value


def _date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidField("birthday", "must be a date as YYYY-MM-DD") from None


def _clearable() -> str:
    return ", ".join(n for n in UPDATABLE if n != "meta")
