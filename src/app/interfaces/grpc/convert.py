"""Translation between protobuf messages and the application's commands and views."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from google.protobuf.struct_pb2 import ListValue, Struct
from google.protobuf.timestamp_pb2 import Timestamp

from app.application.admin import UpdateUser
from app.application.auth import SignIn, TokenPair
from app.application.users import UserView
from app.domain.auth.permissions import parse_roles
from app.domain.auth.session import SessionInfo
from app.domain.shared import check_all
from app.domain.storable import storable_text
from app.domain.users.errors import InvalidField
from app.domain.users.user import NOT_NULL_FIELDS, PROFILE_FIELDS, check_profile
from app.domain.users.values import EMAIL_MAX, PASSWORD_MAX
from app.interfaces.grpc.pb import auth_pb2, users_pb2

# The profile's fields are the domain's (PROFILE_FIELDS), with the same names in Profile and
# UpdateMeRequest (tests/test_profile_fields.py checks the messages); text goes as it is.
CLEARABLE = tuple(name for name in PROFILE_FIELDS if name not in NOT_NULL_FIELDS)


def sign_in(request: auth_pb2.IssueTokensRequest, client: str, user_agent: str = "") -> SignIn:
    """The sign-in command, with REST's limits: the email becomes a rate-limit key."""
    checked = check_all(
        {
            "email": lambda: _bounded("email", request.email, EMAIL_MAX),
            "password": lambda: _bounded("password", request.password, PASSWORD_MAX),
        }
    )
    email, password = checked["email"], checked["password"]
    return SignIn(email=email, password=password, client=client, user_agent=user_agent)


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
        **{name: _SENT.get(name, _as_is)(getattr(view, name)) for name in PROFILE_FIELDS},
        is_active=view.is_active,
        created_at=timestamp(view.created_at),
        updated_at=timestamp(view.updated_at),
    )


def user(view: UserView) -> users_pb2.User:
    return users_pb2.User(profile=profile(view), roles=[role.value for role in view.roles])


def user_id(raw: str) -> UUID:
    """The uuid a request names; InvalidField("uuid") when it is not one."""
    try:
        return UUID(raw)
    except ValueError:
        raise InvalidField("uuid", "must be a uuid") from None


def update_user(request: users_pb2.UpdateUserRequest) -> UpdateUser:
    """The admin's change: the uuid, the profile fields as UpdateMe takes them, and the roles
    when set; every bad part listed in one error."""
    roles = list(request.roles.roles) if request.HasField("roles") else None
    checked = check_all(
        {
            "uuid": lambda: user_id(request.uuid),
            "profile": lambda: profile_changes(request.profile),
            "roles": lambda: roles is None or parse_roles(roles),
        }
    )
    return UpdateUser(checked["uuid"], checked["profile"], roles)


def sessions(found: Sequence[SessionInfo]) -> users_pb2.Sessions:
    return users_pb2.Sessions(
        items=[
            users_pb2.Session(
                id=info.session_id,
                created_at=timestamp(info.created_at),
                last_used_at=timestamp(info.last_used_at),
                client_address=info.client_address,
                user_agent=info.user_agent,
            )
            for info in found
        ]
    )


def profile_changes(request: users_pb2.UpdateMeRequest) -> dict[str, Any]:
    """The fields the client set, plus those it named in `clear` as None (REST's JSON null)."""
    set_ = [name for name in PROFILE_FIELDS if request.HasField(name)]
    changes: dict[str, Any] = {name: getattr(request, name) for name in set_}
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
        if name not in CLEARABLE:
            clearable = ", ".join(CLEARABLE)
            raise InvalidField("clear", f"only these fields can be cleared: {clearable}")
        if name in changes:
            raise InvalidField("clear", "a field cannot be both set and cleared")
    return dict.fromkeys(names)


def _as_is(value: Any) -> Any:
    return value


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


# How a profile field that is not text travels in Profile.
_SENT: dict[str, Callable[[Any], Any]] = {"birthday": _day, "meta": struct}
