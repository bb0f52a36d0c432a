"""The one pydantic-error flattener and the domain checks as pydantic validators."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import pytest
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from app.domain.shared import ValidationError
from app.domain.storable import NUL, storable_text
from app.domain.users.values import check_password_policy
from app.infrastructure.validation import domain_check, domain_error, field_errors, summary


class Form(BaseModel):
    name: Annotated[str, domain_check(partial(storable_text, "name"))]
    password: Annotated[str, domain_check(check_password_policy)]
    age: int


def errors_of(data: object) -> list[tuple[str, str]]:
    with pytest.raises(PydanticValidationError) as caught:
        Form.model_validate(data)
    return field_errors(caught.value.errors())


def test_domain_checks_report_every_field_in_one_pass_with_the_domains_message():
    errors = errors_of({"name": "a\x00", "password": "short", "age": "x"})
    assert errors == [
        ("name", NUL),
        ("password", "must have 8 to 256 characters"),
        ("age", "Input should be a valid integer, unable to parse string as an integer"),
    ]


def test_a_value_that_passes_the_domain_check_is_kept_as_sent():
    assert Form(name=" Ada ", password="password1", age=3).name == " Ada "


def test_the_submitted_value_never_appears_in_the_errors():
    secret = "hunter2-secret-hunter2"
    errors = errors_of({"name": secret + "\x00", "password": secret * 20, "age": secret})
    assert all(secret not in f"{field} {message}" for field, message in errors)


def test_request_locations_are_dropped_only_where_fastapi_puts_them():
    raw = [
        {"loc": ("body", "meta", "body"), "msg": "bad"},
        {"loc": ("query", "limit"), "msg": "bad"},
        {"loc": ("body",), "msg": "bad"},
    ]
    assert [field for field, _ in field_errors(raw, in_request=True)] == [
        "meta.body",
        "limit",
        "body",
    ]
    assert field_errors([{"loc": ("body", "x"), "msg": "m"}]) == [("body.x", "m")]


def test_control_characters_and_lone_surrogates_are_escaped_so_the_problem_can_be_written():
    raw = [{"loc": ("meta", "\ud800", "a\x00"), "msg": "found `\x00` at 1"}]
    assert field_errors(raw) == [("meta.\\ud800.a\\x00", "found `\\x00` at 1")]


def test_a_pydantic_failure_becomes_one_domain_validation_error_listing_each_field():
    adapter = TypeAdapter(Form)
    with pytest.raises(PydanticValidationError) as caught:
        adapter.validate_python({"name": "x", "password": "short"})
    error = domain_error(caught.value)
    assert isinstance(error, ValidationError)
    assert [field for field, _ in error.errors] == ["password", "age"]
    assert error.detail == summary(error.errors)
    assert error.detail.startswith("password: must have 8 to 256 characters; age: ")
