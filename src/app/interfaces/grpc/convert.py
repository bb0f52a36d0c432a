"""Translation between protobuf messages and the application's commands and views."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from google.protobuf.struct_pb2 import ListValue, Struct
from google.protobuf.timestamp_pb2 import Timestamp

from app.application.auth import SignIn, TokenPair
from app.application.users import UserView
from app.domain.shared import check_all
from app.domain.storable import storable_text
from app.domain.users.errors import InvalidField
from app.domain.users.user import check_profile
from app.domain.users.values import EMAIL_MAX, PASSWORD_MAX
from app.interfaces.grpc.pb import auth_pb2, users_pb2

PROFILE_TEXT = ("first_name", "last_name", "phone", "street", "city", "state", "zip_code")
UPDATABLE = (*PROFILE_TEXT, "country", "birthday", "meta")


def sign_in(request: auth_pb2.IssueTokensRequest, client: str) -> SignIn:
    """The sign-in command, with REST's limits: the email becomes a rate-limit key."""
    checked = check_all(
        {
            "email": lambda: _bounded("email", request.email, EMAIL_MAX),
            "password": lambda: _bounded("password", request.password, PASSWORD_MAX),
        }
    )
    return SignIn(email=checked["email"], password=checked["password"], client=client)


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
    if "meta" in changes:
        changes["meta"] = data(request.meta)
    # The fields are checked here too, so a bad `clear` and bad fields are listed together.
    checked = check_all(
        {
            "clear": lambda: _cleared(request.clear, changes),
            "fields": lambda: check_profile(changes),
        }
    )
    cleared: dict[str, None] = checked["clear"]
    return changes | cleared


def data(message: Struct) -> dict[str, Any]:
    """A Struct as a dict, numbers as floats; kept as sent (NaN too) for the domain to check."""
    return {key: _plain(value) for key, value in message.items()}


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
    return storable_text(field, value)


def _plain(value: Any) -> Any:
    if isinstance(value, Struct):
        return data(value)
    if isinstance(value, ListValue):
        return [_plain(item) for item in value]
    return value


def _cleared(names: Iterable[str], changes: Mapping[str, Any]) -> dict[str, None]:
    for name in names:
        if name not in UPDATABLE or name == "meta":
            raise InvalidField("clear", f"only these fields can be cleared: {_clearable()}")
        if name in changes:
            raise InvalidField("clear", "a field cannot be both set and cleared")
    return dict.fromkeys(names)


def _clearable() -> str:
    return ", ".join(n for n in UPDATABLE if n != "meta")
