"""What each field type becomes in each layer: the spellings the templates put into the code.

One table row per type (`_KINDS`), so a type is added in one place; the functions below add
what depends on a field's own constraints and on whether it is optional.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from app.interfaces.cli.scaffold.spec import Context, Field


@dataclass(frozen=True, slots=True)
class Kind:
    """`python` is the domain's type, `column` SQLAlchemy's and `proto` the wire type."""

    python: str
    column: str
    proto: str


_KINDS: dict[str, Kind] = {
    "str": Kind("str", "String", "string"),
    "text": Kind("str", "Text", "string"),
    "int": Kind("int", "BigInteger", "int64"),
    "decimal": Kind("Decimal", "Numeric", "string"),
    "bool": Kind("bool", "Boolean", "bool"),
    "date": Kind("date", "Date", "string"),
    "datetime": Kind("datetime", "DateTime(timezone=True)", "google.protobuf.Timestamp"),
    "uuid": Kind("UUID", "Uuid", "string"),
    "json": Kind("dict[str, Any]", "JSONB", "google.protobuf.Struct"),
    "enum": Kind("", "Enum", "string"),
}


def kind(field: Field) -> Kind:
    return _KINDS[field.type]


def const(field: Field, key: str) -> str:
    """The name of a constraint's constant in values.py: NUMBER_MAX."""
    return f"{field.name.upper()}_{key.upper()}"


def constants(field: Field) -> list[str]:
    """values.py's lines declaring the field's limits (none for a type without any)."""
    limits = field.limits
    pairs = [(key, limits[key]) for key in ("min", "max") if key in limits]
    if field.type == "decimal":
        shown = [f"{const(field, k)} = Decimal({str(v)!r})" for k, v in pairs]
        digits = f"{const(field, 'digits')}, {const(field, 'places')}"
        return [f"{digits} = {limits['digits']}, {limits['places']}", *shown]
    if not pairs:
        return []
    names = ", ".join(const(field, key) for key, _ in pairs)
    return [f"{names} = {', '.join(str(value) for _, value in pairs)}"]


def constant_names(field: Field) -> list[str]:
    """The names `constants` declares."""
    keys = ("digits", "places", "min", "max") if field.type == "decimal" else ("min", "max")
    return [const(field, key) for key in keys if key in field.limits]


def enum_class(c: Context, field: Field) -> str:
    return f"{c.Entity}{field.camel}"


def rule(c: Context, field: Field) -> str:
    """The domain rule of the field (app.domain.fields), its limits from values.py."""
    bounds = _bounds(field, "minimum", "maximum")
    if field.type in ("str", "text"):
        lengths = _bounds(field, "min_length", "max_length")
        return f"text({', '.join(lengths)})"
    if field.type == "int":
        return f"integer({', '.join(bounds)})"
    if field.type == "decimal":
        sizes = [f"digits={const(field, 'digits')}", f"places={const(field, 'places')}"]
        return f"decimal({', '.join(sizes + bounds)})"
    if field.type == "enum":
        return f"choice({enum_class(c, field)})"
    named = {"bool": "flag", "date": "day", "datetime": "moment", "uuid": "identifier"}
    return f"{named.get(field.type, 'document')}()"


def _bounds(field: Field, low: str, high: str) -> list[str]:
    keys = (("min", low), ("max", high))
    return [f"{word}={const(field, key)}" for key, word in keys if key in field.limits]


def python(c: Context, field: Field) -> str:
    """The domain's annotation of the field."""
    base = enum_class(c, field) if field.type == "enum" else kind(field).python
    return f"{base} | None" if field.optional else base


def shown(c: Context, field: Field) -> str:
    """The view's annotation: a choice is shown as its text."""
    base = "str" if field.type == "enum" else kind(field).python
    return f"{base} | None" if field.optional else base


def column(c: Context, field: Field) -> str:
    """The SQLAlchemy type of the field's column."""
    if field.type == "str":
        return f"String({const(field, 'max')})"
    if field.type == "decimal":
        return f"Numeric({const(field, 'digits')}, {const(field, 'places')})"
    if field.type == "enum":
        # VARCHAR with a CHECK, not a PostgreSQL type: a downgrade drops it with its table.
        options = f'name="{field.name}", native_enum=False, create_constraint=True'
        return f"Enum(*(choice.value for choice in {enum_class(c, field)}), {options})"
    if field.type == "json" and field.optional:
        return "JSONB(none_as_null=True)"  # None is SQL NULL (`__is_null`), not JSON's null
    return kind(field).column


def column_constants(c: Context, field: Field) -> list[str]:
    """The names from values.py that the field's column type names."""
    if field.type == "str":
        return [const(field, "max")]
    if field.type == "decimal":
        return [const(field, "digits"), const(field, "places")]
    return [enum_class(c, field)] if field.type == "enum" else []


def mapped(c: Context, field: Field) -> str:
    """The row attribute's annotation."""
    python_type = {"enum": "str"}.get(field.type, kind(field).python)
    return f"{python_type} | None" if field.optional else python_type


def from_row(c: Context, field: Field) -> str:
    """The aggregate's value read from `row`."""
    value = f"row.{field.name}"
    if field.type != "enum":
        return value
    member = f"{enum_class(c, field)}({value})"
    return f"{member} if {value} is not None else None" if field.optional else member


def request_type(c: Context, field: Field, *, change: bool) -> str:
    """The REST request model's field: annotation and default, the limits from values.py."""
    base = {
        "enum": enum_class(c, field),
        "datetime": "AwareDatetime",
        "json": "dict[str, Any]",
    }.get(field.type, kind(field).python)
    options = _request_options(field)
    nullable = field.optional or change
    annotation = f"{base} | None" if nullable else base
    if nullable and not options:
        return f"{annotation} = None"
    if nullable:
        options = ["default=None", *options]
    return f"{annotation} = Field({', '.join(options)})" if options else annotation


def _request_options(field: Field) -> list[str]:
    if field.type in ("str", "text"):
        return _bounds(field, "min_length", "max_length")
    if field.type == "int":
        return ["strict=True", *_bounds(field, "ge", "le")]
    if field.type == "bool":
        return ["strict=True"]
    if field.type == "decimal":
        sizes = [f"max_digits={const(field, 'digits')}", f"decimal_places={const(field, 'places')}"]
        return sizes + _bounds(field, "ge", "le")
    return ["description=STORABLE_JSON"] if field.type == "json" else []


def response_type(c: Context, field: Field) -> str:
    base = {"enum": enum_class(c, field)}.get(field.type, kind(field).python)
    return f"{base} | None" if field.optional else base


def json_type(field: Field) -> str:
    """The field's type in an event's data (a TypedDict): what JSON carries."""
    if field.type == "enum":
        base = f"Literal[{', '.join(repr(label) for label in field.choices)}]"
    else:
        base = {"int": "int", "bool": "bool", "json": "dict[str, Any]"}.get(field.type, "str")
    return f"{base} | None" if field.optional else base


def rule_text(field: Field) -> str:
    """The field's rule in words, for its documentation."""
    limits = field.limits
    low, high = limits.get("min"), limits.get("max")
    if field.type in ("str", "text"):
        return f"{low} to {high} characters" if high else f"{low} or more characters"
    bounds = [f"at least {low}"] * (low is not None) + [f"at most {high}"] * (high is not None)
    if field.type == "decimal":
        digits, places = limits["digits"], limits["places"]
        return ", ".join([f"{digits} digits, {places} after the point", *bounds])
    if field.type == "enum":
        return "one of " + ", ".join(f"`{label}`" for label in field.choices)
    words = {
        "int": "a 64-bit integer",
        "bool": "true or false",
        "date": "YYYY-MM-DD",
        "datetime": "ISO 8601 with a time zone",
        "uuid": "a UUID",
        "json": "a JSON object",
    }
    return ", ".join([words[field.type], *bounds])


def wrapped(start: str, text: str, width: int = 100) -> str:
    """`start` then `text`, wrapped at `width` (the opening of a long string literal)."""
    return "\n".join(textwrap.wrap(text, width, initial_indent=start))


def proto_field(field: Field, *, presence: bool) -> str:
    """The field's type in a message; `optional` gives a scalar presence (messages have it)."""
    proto = kind(field).proto
    return f"optional {proto}" if presence and "." not in proto else proto


def to_proto(field: Field, value: str) -> str:
    """The field's value as its message takes it (None leaves it unset)."""
    if field.type == "datetime":
        return f"convert.timestamp({value})"
    if field.type == "json":
        return f"_struct({value})" if field.optional else f"convert.struct({value})"
    if field.type in ("decimal", "date", "uuid"):
        return f"_text({value})" if field.optional else f"str({value})"
    return value
