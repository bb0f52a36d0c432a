"""What `app scaffold context` accepts: field specs, names and options, and what it refuses."""

from decimal import Decimal

import pytest

from app.interfaces.cli.scaffold.spec import SpecError, parse_context, parse_field


@pytest.mark.parametrize(
    ("spec", "type_", "optional", "limits"),
    [
        ("title:str", "str", False, {"min": 1, "max": 255}),
        ("title:str:max=120", "str", False, {"min": 1, "max": 120}),
        ("title:str?:min=3,max=9", "str", True, {"min": 3, "max": 9}),
        ("body:text?", "text", True, {"min": 1}),
        ("count:int:min=-5,max=5", "int", False, {"min": -5, "max": 5}),
        ("price:decimal:min=0", "decimal", False, {"digits": 12, "places": 2, "min": 0}),
        ("rate:decimal:digits=5,places=4", "decimal", False, {"digits": 5, "places": 4}),
        ("paid:bool", "bool", False, {}),
        ("due:date?", "date", True, {}),
        ("at:datetime", "datetime", False, {}),
        ("ref:uuid?", "uuid", True, {}),
        ("extra:json", "json", False, {}),
    ],
)
def test_a_field_spec_gives_its_type_optionality_and_constraints(spec, type_, optional, limits):
    field = parse_field(spec)
    assert (field.name, field.type, field.optional, dict(field.limits)) == (
        spec.split(":")[0],
        type_,
        optional,
        limits,
    )


def test_an_enum_keeps_its_values_in_order_and_may_be_optional():
    field = parse_field("kind:enum(small|medium_size|large)?")
    assert (field.type, field.choices, field.optional) == (
        "enum",
        ("small", "medium_size", "large"),
        True,
    )


def test_decimal_bounds_are_decimals():
    assert parse_field("price:decimal:min=0.5,max=10").limits["min"] == Decimal("0.5")


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("title", "expected name:type"),
        ("title:float", "unknown type 'float'"),
        ("class:str", "is a Python keyword"),
        ("match:str", "is a Python keyword"),  # a soft keyword too
        ("Title:str", "must be snake_case"),
        ("a__b:str", "must be snake_case"),  # `__` separates a filter's field and lookup
        ("_a:str", "must be snake_case"),
        ("id:uuid", "the generated code uses itself"),
        ("owner_uuid:uuid", "the generated code uses itself"),
        ("limit:int", "the generated code uses itself"),  # a page parameter of every list
        ("model_dump:str", "the generated code uses itself"),  # pydantic's
        ("date:date", "the generated code uses itself"),  # the type, in the same class
        ("title:str:width=3", "no constraint of str: min=, max="),
        ("paid:bool:max=1", "no constraint of bool: no constraints"),
        ("title:str:max=x", "max='x' is not a valid max"),
        ("title:str:max", "no constraint of str"),
        ("title:str:min=9,max=3", "min is greater than max"),
        ("title:str:max=0", "max of a str is 1 to"),
        ("count:int:max=99999999999999999999", "not a valid max"),
        ("price:decimal:min=0.001", "at most 2 decimal places"),
        ("price:decimal:digits=40", "digits is 1 to 28"),
        ("price:decimal:digits=2,places=3", "places 0 to digits"),
        ("kind:enum(one)", "two or more different values"),
        ("kind:enum(a|a)", "two or more different values"),
        ("kind:enum(a|B)", "must start with a-z"),
    ],
)
def test_a_bad_field_spec_is_refused_naming_what_is_wrong(spec, says):
    with pytest.raises(SpecError) as error:
        parse_field(spec)
    assert says in str(error.value)
    assert repr(spec) in str(error.value) or spec.split(":")[0] in str(error.value)


def test_a_context_takes_its_singular_from_a_regular_plural():
    assert parse_context("orders", ["a:str"]).entity == "order"
    assert parse_context("categories", ["a:str"]).entity == "category"
    assert parse_context("boxes", ["a:str"]).entity == "box"
    assert parse_context("line_items", ["a:str"]).Entity == "LineItem"
    assert parse_context("people", ["a:str"], singular="person").entity == "person"


@pytest.mark.parametrize(
    ("name", "options", "says"),
    [
        ("class", {}, "is a Python keyword"),
        ("Orders", {}, "must be snake_case"),
        ("a" * 31, {}, "at most 30 characters"),
        ("fish", {}, "no regular plural: give its singular with --singular"),
        ("fish", {"singular": "fish"}, "must be the plural"),
        ("people", {"singular": "def"}, "is a Python keyword"),
        ("orders", {"events": "created,sold"}, "--events takes some of created,updated,deleted"),
        ("orders", {"events": ","}, "--events takes some of"),
        ("orders", {"events": "updated"}, "the consumer's handler is for the created event"),
        ("orders", {"fields": ["order_uuid:uuid"]}, "a name the generated code uses itself"),
    ],
)
def test_a_bad_context_is_refused_naming_what_is_wrong(name, options, says):
    fields = options.pop("fields", ["title:str"])
    with pytest.raises(SpecError) as error:
        parse_context(name, fields, **options)
    assert says in str(error.value)


def test_a_context_needs_a_field_and_each_field_once():
    with pytest.raises(SpecError, match="at least one --field"):
        parse_context("orders", [])
    with pytest.raises(SpecError, match="'title' is given twice"):
        parse_context("orders", ["title:str", "title:text"])


def test_without_a_consumer_any_events_will_do_and_their_order_is_the_lifecycles():
    c = parse_context("orders", ["a:str"], events="deleted,updated", consumer=False)
    assert c.events == ("updated", "deleted")
