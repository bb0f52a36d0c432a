"""The storable rule: text and JSON that PostgreSQL, JSON and protobuf can all carry."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.domain.shared import ValidationError, check_all
from app.domain.storable import (
    MAX_JSON_DEPTH,
    NOT_FINITE,
    NOT_JSON,
    NUL,
    SURROGATE,
    TOO_BIG,
    TOO_DEEP,
    UnstorableValue,
    storable_json,
    storable_text,
)


def nested(levels: int, leaf: Any = 1) -> Any:
    """`levels` containers inside one another (objects and lists in turn), the outer counted."""
    value = leaf
    for level in range(levels):
        value = {"k": value} if level % 2 else [value]
    return value


def test_text_without_nul_or_surrogates_passes_unchanged():
    text = "Zoë 😀 \u2028 tab\t"
    assert storable_text("city", text) is text


@pytest.mark.parametrize(("text", "reason"), [("a\x00b", NUL), ("a\ud800b", SURROGATE)])
def test_text_with_a_nul_or_a_lone_surrogate_is_refused_naming_the_field(text, reason):
    with pytest.raises(UnstorableValue) as caught:
        storable_text("city", text)
    assert caught.value.errors == [("city", reason)]
    assert text not in caught.value.detail


def test_json_of_every_kind_within_the_rule_passes_unchanged():
    value = {"s": "x", "i": -(2**63), "j": 2**63 - 1, "f": 1.5e308, "b": True, "n": None, "l": []}
    assert storable_json("meta", value) is value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"a": "\x00"}, NUL),
        ({"\x00": 1}, NUL),
        ({"a": ["\udfff"]}, SURROGATE),
        ({"\ud800": 1}, SURROGATE),
        ({"a": float("nan")}, NOT_FINITE),
        ([float("inf")], NOT_FINITE),
        ({"a": {"b": float("-inf")}}, NOT_FINITE),
        ({"a": 2**63}, TOO_BIG),
        ({"a": -(2**63) - 1}, TOO_BIG),
        ({1: "a"}, NOT_JSON),
        ({"a": Decimal("1")}, NOT_JSON),
        ({"a": object()}, NOT_JSON),
    ],
)
def test_json_breaking_the_rule_anywhere_is_refused_with_the_reason(value, reason):
    with pytest.raises(UnstorableValue) as caught:
        storable_json("meta", value)
    assert caught.value.errors == [("meta", reason)]


@pytest.mark.parametrize("leaf", [1, {}, []])
def test_json_nests_up_to_the_limit_and_not_one_level_more(leaf):
    levels = MAX_JSON_DEPTH - (0 if leaf == 1 else 1)  # an empty container is a level too
    storable_json("meta", nested(levels, leaf))
    with pytest.raises(UnstorableValue) as caught:
        storable_json("meta", nested(levels + 1, leaf))
    assert caught.value.errors == [("meta", TOO_DEEP)]


def test_a_document_deeper_than_python_recursion_is_refused_not_crashing():
    with pytest.raises(UnstorableValue):
        storable_json("meta", nested(100_000))


def test_the_rule_is_a_validation_error_so_every_edge_maps_it_to_invalid_input():
    assert issubclass(UnstorableValue, ValidationError)


def test_check_all_returns_every_result_by_name():
    assert check_all({"a": lambda: 1, "b": lambda: "x"}) == {"a": 1, "b": "x"}


def test_check_all_raises_a_single_failure_as_it_is():
    failure = UnstorableValue("city", NUL)

    def fail() -> None:
        raise failure

    with pytest.raises(UnstorableValue) as caught:
        check_all({"a": lambda: 1, "city": fail})
    assert caught.value is failure


def test_check_all_lists_every_failure_in_order():
    with pytest.raises(ValidationError) as caught:
        check_all(
            {
                "a": lambda: storable_text("a", "\x00"),
                "ok": lambda: 1,
                "b": lambda: storable_json("b", {"x": float("nan")}),
            }
        )
    assert caught.value.errors == [("a", NUL), ("b", NOT_FINITE)]
    assert caught.value.detail == f"a: {NUL}; b: {NOT_FINITE}"
