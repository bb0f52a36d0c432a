from datetime import UTC, date, datetime

import pytest

from app.domain.shared import ValidationError
from app.domain.storable import UnstorableValue
from app.domain.users.errors import InvalidField
from app.domain.users.events import UserDeactivated, UserProfileUpdated, UserRegistered
from app.domain.users.user import User
from app.domain.users.values import (
    Email,
    Phone,
    check_password_policy,
    check_registration,
    check_text,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def registered(**names: str) -> User:
    return User.register(Email.parse("ada@example.com"), "hash", NOW, **names)


def test_email_is_trimmed_and_lower_cased():
    assert Email.parse("  Ada@Example.COM ").value == "ada@example.com"


@pytest.mark.parametrize(
    "raw", ["", "ada", "ada@", "@example.com", "ada@example", "a b@c.io", "x" * 250 + "@e.io"]
)
def test_email_rejects_what_is_not_an_address(raw):
    with pytest.raises(InvalidField) as caught:
        Email.parse(raw)
    assert caught.value.field == "email"


def test_phone_accepts_international_numbers_and_rejects_letters():
    assert Phone.parse(" +33 1 23 45 67 89 ").value == "+33 1 23 45 67 89"
    with pytest.raises(InvalidField):
        Phone.parse("call me")


@pytest.mark.parametrize("password", ["short", "x" * 257])
def test_password_policy_needs_8_to_256_characters(password):
    with pytest.raises(ValidationError):
        check_password_policy(password)


def test_password_policy_counts_characters_not_bytes():
    check_password_policy("😀" * 100)


def test_register_records_users_registered_with_its_public_name():
    user = registered(first_name=" Ada ")
    [event] = user.collect_events()
    assert isinstance(event, UserRegistered)
    assert event.name == "users.registered.v1"
    assert event.payload() == {"user_uuid": str(user.id), "email": "ada@example.com"}
    assert event.aggregate_id == str(user.id)
    assert user.first_name == "Ada"
    assert user.collect_events() == []


def test_register_rejects_a_first_name_longer_than_its_column():
    with pytest.raises(InvalidField) as caught:
        registered(first_name="x" * 129)
    assert caught.value.errors == [("first_name", "at most 128 characters")]


def test_update_profile_changes_fields_and_records_which():
    user = registered()
    user.collect_events()
    later = datetime(2026, 2, 1, tzinfo=UTC)
    user.update_profile(
        {"city": "Paris", "phone": "+331234567", "birthday": date(1990, 1, 2)}, later
    )
    assert (user.city, user.phone, user.birthday) == (
        "Paris",
        Phone("+331234567"),
        date(1990, 1, 2),
    )
    assert user.updated_at == later
    [event] = user.collect_events()
    assert isinstance(event, UserProfileUpdated)
    assert event.payload()["fields"] == ["birthday", "city", "phone"]


def test_update_profile_clears_a_field_with_none():
    user = registered(last_name="Lovelace")
    user.update_profile({"last_name": None, "phone": None}, NOW)
    assert user.last_name is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "x@y.io"}, "email"),
        ({"is_active": False}, "is_active"),
        ({"meta": [1]}, "meta"),
        ({"meta": None}, "meta"),
        ({"birthday": "10/12/1815"}, "birthday"),
        ({"birthday": datetime(2020, 1, 1)}, "birthday"),
        ({"city": 5}, "city"),
        ({"meta": {"a": float("nan")}}, "meta"),
        ({"zip_code": "1" * 17}, "zip_code"),
    ],
)
def test_update_profile_rejects_unknown_fields_and_bad_values(changes, field):
    user = registered()
    with pytest.raises(ValidationError) as caught:
        user.update_profile(changes, NOW)
    assert [name for name, _ in caught.value.errors] == [field]


def test_update_profile_takes_a_birthday_as_iso_text_as_grpc_sends_it():
    user = registered()
    user.update_profile({"birthday": "1815-12-10"}, NOW)
    assert user.birthday == date(1815, 12, 10)


def test_update_profile_lists_every_bad_field_and_changes_nothing():
    user = registered(first_name="Ada")
    user.collect_events()
    changes = {"first_name": "Grace", "phone": "call me", "city": "x" * 129, "meta": {"a": "\x00"}}
    with pytest.raises(ValidationError) as caught:
        user.update_profile(changes, NOW)
    assert [name for name, _ in caught.value.errors] == ["phone", "city", "meta"]
    assert (user.first_name, user.city, user.collect_events()) == ("Ada", None, [])


def test_registration_lists_every_bad_field():
    with pytest.raises(ValidationError) as caught:
        check_registration("not-an-email", "short", "x" * 129, "Lovelace\x00")
    assert [name for name, _ in caught.value.errors] == [
        "email",
        "password",
        "first_name",
        "last_name",
    ]


def test_registration_of_good_fields_gives_the_parsed_email():
    assert (
        check_registration(" Ada@Example.com", "password1", "Ada", None).value == "ada@example.com"
    )


@pytest.mark.parametrize("bad", ["\x00", "\ud800"])
@pytest.mark.parametrize(
    ("check", "field"),
    [
        (lambda raw: Email.parse(f"a{raw}b@example.com"), "email"),
        (lambda raw: Phone.parse(f"+33 1{raw}23 45"), "phone"),
        (lambda raw: check_password_policy(f"password{raw}"), "password"),
        (lambda raw: check_text("city", f"Par{raw}is"), "city"),
    ],
)
def test_value_objects_refuse_text_that_cannot_be_stored(check, field, bad):
    with pytest.raises(UnstorableValue) as caught:
        check(bad)
    assert caught.value.field == field


def test_empty_update_records_nothing():
    user = registered()
    user.collect_events()
    user.update_profile({}, NOW)
    assert user.collect_events() == []


def test_deactivate_records_the_event_once():
    user = registered()
    user.collect_events()
    user.deactivate(NOW)
    user.deactivate(NOW)
    assert not user.is_active
    assert [type(e) for e in user.collect_events()] == [UserDeactivated]
