"""The field rules of scaffolded contexts: what each type takes, keeps and refuses, by name."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

import pytest

from app.domain.fields import (
    InvalidValue,
    check_fields,
    choice,
    day,
    decimal,
    document,
    flag,
    identifier,
    integer,
    moment,
    plain,
    text,
)
from app.domain.shared import ValidationError

REF = UUID("9f2c1e4a-0b6d-4c1e-8f3a-2d5b7c9e1a01")


class Size(StrEnum):
    SMALL = "small"
    LARGE = "large"


class BadThing(ValidationError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors=[(field, message)])


@pytest.mark.parametrize(
    ("rule", "given", "kept"),
    [
        (text(max_length=5), "  abc ", "abc"),
        (integer(minimum=1, maximum=3), 3, 3),
        (decimal(digits=5, places=2), Decimal("1.5"), Decimal("1.50")),
        (decimal(digits=5, places=2), "123.45", Decimal("123.45")),
        (decimal(digits=5, places=2), 7, Decimal("7.00")),
        (decimal(digits=5, places=2), Decimal("1.500"), Decimal("1.50")),
        (flag(), False, False),
        (day(), "2026-02-28", date(2026, 2, 28)),
        (day(), date(2026, 2, 28), date(2026, 2, 28)),
        (moment(), "2026-01-02T03:04:05+02:00", datetime(2026, 1, 2, 1, 4, 5, tzinfo=UTC)),
        (identifier(), str(REF), REF),
        (identifier(), REF, REF),
        (document(), {"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}),
        (choice(Size), "large", Size.LARGE),
    ],
)
def test_each_rule_keeps_a_good_value_as_stored(rule, given, kept):
    assert rule(given) == kept
    assert type(rule(given)) is type(kept)


@pytest.mark.parametrize(
    ("rule", "given", "says"),
    [
        (text(max_length=5), "abcdef", "must have 1 to 5 characters"),
        (text(), "   ", "must not be empty"),
        (text(min_length=3), "ab", "must have 3 or more"),
        (text(), 7, "must be a string"),
        (text(), "a\x00b", "NUL"),
        (integer(), True, "must be an integer"),
        (integer(), "7", "must be an integer"),
        (integer(), 2**63, "must be at most"),
        (integer(minimum=1), 0, "must be at least 1"),
        (decimal(digits=5, places=2), Decimal("1.505"), "at most 2 decimal places"),
        (decimal(digits=5, places=2), Decimal("1000"), "at most 3 digits before the point"),
        (decimal(digits=5, places=2), Decimal("NaN"), "must be a decimal number"),
        (decimal(digits=5, places=2), 1.5, "must be a decimal number"),
        (decimal(digits=5, places=2), "1e3", "must be a decimal number"),
        (decimal(digits=5, places=2, minimum=Decimal(0)), "-1", "must be at least 0"),
        (flag(), "true", "must be true or false"),
        (flag(), 1, "must be true or false"),
        (day(), "2026-02-30", "must be a date as YYYY-MM-DD"),
        (day(), "20260228", "must be a date as YYYY-MM-DD"),
        (day(), datetime(2026, 1, 1), "must be a date as YYYY-MM-DD"),
        (moment(), datetime(2026, 1, 1), "with a time zone"),
        (moment(), "yesterday", "with a time zone"),
        (identifier(), "not-a-uuid", "must be a UUID"),
        (identifier(), 7, "must be a UUID"),
        (document(), [1], "must be a JSON object"),
        (document(), {"a": float("nan")}, "finite"),
        (choice(Size), "medium", "must be one of small, large"),
        (choice(Size), 1, "must be one of small, large"),
    ],
)
def test_each_rule_refuses_a_bad_value_saying_what_it_takes(rule, given, says):
    with pytest.raises(InvalidValue) as error:
        rule(given)
    assert says in str(error.value)


RULES = {"name": text(max_length=9), "size": choice(Size), "note": text()}


def test_check_fields_lists_every_bad_unknown_or_missing_field_at_once():
    with pytest.raises(ValidationError) as error:
        check_fields(
            {"name": "", "colour": "red"}, RULES, optional=("note",), error=BadThing, complete=True
        )
    assert sorted(field for field, _ in error.value.errors) == ["colour", "name", "size"]
    assert "not a field; the fields are name, size, note" in str(error.value)


def test_check_fields_gives_left_out_optional_fields_as_none_and_refuses_null_elsewhere():
    checked = check_fields(
        {"name": "n", "size": "small"}, RULES, optional=("note",), error=BadThing, complete=True
    )
    assert checked == {"name": "n", "size": Size.SMALL, "note": None}
    assert check_fields({"note": None}, RULES, optional=("note",), error=BadThing) == {"note": None}
    with pytest.raises(BadThing, match="must not be null"):
        check_fields({"size": None}, RULES, optional=("note",), error=BadThing)


def test_plain_values_are_what_json_carries():
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert [plain(v) for v in (Decimal("1.50"), REF, date(2026, 1, 2), at, Size.SMALL, 3)] == [
        "1.50",
        str(REF),
        "2026-01-02",
        "2026-01-02T03:04:05+02:00",
        "small",
        3,
    ]
