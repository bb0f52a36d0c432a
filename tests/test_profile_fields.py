"""One declaration of the profile: every interface, the view and the table agree with the domain.

The domain declares the fields (PROFILE_FIELDS, in order) and the free-text limits
(PROFILE_LIMITS). The REST schemas, the row mapping, the view and the gRPC converter derive from
them; the protos and the table are written by hand, so this is where a field added, renamed or
dropped on one side only is caught.
"""

from dataclasses import fields

import pytest
from sqlalchemy import String

from app.application.users import UserView
from app.domain.users.user import PROFILE_FIELDS, TEXT_FIELDS, User, check_field
from app.domain.users.values import PROFILE_LIMITS
from app.infrastructure.db.tables import RETIRED_USER_COLUMNS, UserRow
from app.interfaces.api.schemas import ProfileResponse, UpdateMeRequest, UserResponse
from app.interfaces.grpc.pb import users_pb2

# Around the profile: who the account is, and its state.
IDENTITY = ("uuid", "email")
STATE = ("is_active", "created_at", "updated_at")
SHOWN = (*IDENTITY, *PROFILE_FIELDS, *STATE)


def message_fields(message: type) -> tuple[str, ...]:
    return tuple(field.name for field in message.DESCRIPTOR.fields)


def test_every_profile_field_has_a_rule_and_free_text_has_a_limit():
    for name in PROFILE_FIELDS:
        check_field(name, None if name != "meta" else {})  # raises for a field without a rule
    assert set(TEXT_FIELDS) == set(PROFILE_LIMITS)
    assert set(PROFILE_FIELDS) <= {f.name for f in fields(User)}


def test_the_rest_schemas_carry_the_profile_fields_in_the_domains_order():
    assert tuple(UpdateMeRequest.model_fields) == PROFILE_FIELDS
    assert tuple(ProfileResponse.model_fields) == SHOWN
    assert tuple(UserResponse.model_fields) == (*SHOWN, "roles")
    for name, limit in PROFILE_LIMITS.items():
        assert UpdateMeRequest.model_json_schema()["properties"][name]["anyOf"][0] == {
            "type": "string",
            "maxLength": limit,
        }


def test_the_grpc_messages_carry_the_profile_fields():
    assert message_fields(users_pb2.Profile) == SHOWN
    assert message_fields(users_pb2.UpdateMeRequest) == (*PROFILE_FIELDS, "clear")
    assert message_fields(users_pb2.User) == ("profile", "roles")


def test_the_view_is_the_profile_between_identity_and_state():
    assert tuple(f.name for f in fields(UserView)) == (
        *IDENTITY,
        *PROFILE_FIELDS,
        "is_active",
        "roles",
        *STATE[1:],
    )


def test_the_table_has_a_column_per_field_and_free_text_columns_are_as_wide_as_the_limits():
    columns = set(UserRow.__table__.columns.keys())
    own = {"id", "password_hashed", "roles", *RETIRED_USER_COLUMNS}
    assert columns == {*SHOWN, *own}
    for name, limit in PROFILE_LIMITS.items():
        column = UserRow.__table__.columns[name]
        assert isinstance(column.type, String) and column.type.length == limit, name


@pytest.mark.parametrize("retired", RETIRED_USER_COLUMNS)
def test_a_retired_column_is_in_no_interface_and_never_loaded(retired):
    assert retired not in {f.name for f in fields(User)}
    assert retired not in SHOWN and retired not in UserResponse.model_fields
    assert retired not in message_fields(users_pb2.Profile)
    assert UserRow.__mapper__.attrs[retired].deferred
