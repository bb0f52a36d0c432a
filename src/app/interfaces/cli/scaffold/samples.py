"""Sample values of a context's fields for its generated tests, spelled as each layer takes them.

Two different valid values per field (within its constraints) and one its rule refuses: the
tests of every layer share them, so a round trip compares like with like.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from app.interfaces.cli.scaffold.kinds import enum_class
from app.interfaces.cli.scaffold.spec import Context, Field

# Two different valid values of each type with no constraints, and one its rule refuses.
_SAMPLES: dict[str, tuple[Any, Any]] = {
    "bool": (True, False),
    "date": (date(2026, 1, 2), date(2026, 2, 3)),
    "datetime": (
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC),
    ),
    "uuid": (
        UUID("9f2c1e4a-0b6d-4c1e-8f3a-2d5b7c9e1a01"),
        UUID("9f2c1e4a-0b6d-4c1e-8f3a-2d5b7c9e1a02"),
    ),
    "json": ({"note": "first"}, {"note": "second", "count": 2}),
}
_BAD: dict[str, str] = {
    "str": '""',  # every text field takes at least one character
    "text": '""',
    "int": '"seven"',
    "decimal": '"a lot"',
    "bool": '"yes"',
    "date": '"2026-13-01"',
    "datetime": '"2026-01-02T03:04:05"',  # no time zone
    "uuid": '"not-a-uuid"',
    "json": "[1, 2]",
    "enum": '"no such value"',
}


def value(field: Field, which: int = 0) -> Any:
    """A valid value of the field (two different ones, 0 and 1); a choice is its text."""
    if field.type in ("str", "text"):
        return _text_sample(field, which)
    if field.type in ("int", "decimal"):
        return _number_sample(field, which)
    if field.type == "enum":
        return field.choices[-which]
    return _SAMPLES[field.type][which]


def sample(c: Context, field: Field, which: int = 0) -> str:
    """The valid value as a Python literal of the domain's type."""
    if field.type == "enum":
        return f"{enum_class(c, field)}.{value(field, which).upper()}"
    return _python(value(field, which))


def stored(c: Context, field: Field, which: int = 0) -> str:
    """The valid value as the view shows it: a choice as its text."""
    return _python(value(field, which))


def json_sample(field: Field, which: int = 0) -> str:
    """The valid value as a Python literal of what REST carries (JSON: text for most)."""
    sampled = value(field, which)
    if field.type == "datetime":
        return repr(sampled.isoformat().replace("+00:00", "Z"))
    if field.type in ("decimal", "date", "uuid"):
        return repr(str(sampled))
    return _python(sampled)


def proto_sample(field: Field, which: int = 0) -> str:
    """The valid value as a Python literal of what a gRPC request field takes."""
    if field.type == "datetime":
        return f"convert.timestamp({_python(value(field, which))})"
    if field.type == "json":
        return f"convert.struct({_python(value(field, which))})"
    return json_sample(field, which)


def bad(field: Field) -> str:
    """A value the field's rule refuses, as a Python literal (also sent as JSON)."""
    return _BAD[field.type]


def _python(sampled: Any) -> str:
    if isinstance(sampled, datetime):
        parts = (
            sampled.year,
            sampled.month,
            sampled.day,
            sampled.hour,
            sampled.minute,
            sampled.second,
        )
        return f"datetime({', '.join(map(str, parts))}, tzinfo=UTC)"
    if isinstance(sampled, date):
        return f"date({sampled.year}, {sampled.month}, {sampled.day})"
    if isinstance(sampled, Decimal | UUID):
        return f"{type(sampled).__name__}({str(sampled)!r})"
    return repr(sampled)


def _text_sample(field: Field, which: int) -> str:
    word = f"{field.name.replace('_', ' ')} {'one' if which == 0 else 'two'}"
    longest: int = field.limits.get("max", len(word))
    shortest: int = field.limits.get("min", 1)
    word = word[-longest:] if longest < len(word) else word
    return word + "x" * (shortest - len(word))


def _number_sample(field: Field, which: int) -> Any:
    low, high = field.limits.get("min"), field.limits.get("max")
    number: Any = (12, 7)[which]
    if field.type == "decimal":
        places = field.limits["places"]
        number = (Decimal(number) + Decimal("0.5")).quantize(Decimal(1).scaleb(-places))
    if low is not None and number < low:
        number = low + which if high is None or low + which <= high else low
    if high is not None and number > high:
        number = high - which if low is None or high - which >= low else high
    return number
