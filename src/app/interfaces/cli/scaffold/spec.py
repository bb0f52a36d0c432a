"""What `app scaffold context` is asked for: a context's names, its fields and its options.

Parsing refuses, with a message naming the part, anything the generated code could not carry:
a keyword, a name the generated layers use themselves, a constraint its type does not have.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel

TYPES = ("str", "text", "int", "decimal", "bool", "date", "datetime", "uuid", "json", "enum")
EVENTS = ("created", "updated", "deleted")
NAME_MAX = 30  # PostgreSQL keeps 63 characters of a name: room for ix_<table>_<columns>
FIELD_NAME_MAX = 40
VARCHAR_MAX = 10_485_760  # PostgreSQL's widest VARCHAR
DIGITS_MAX = 28  # Python's decimal arithmetic keeps 28 digits by default
INT64 = range(-(2**63), 2**63)
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_LABEL = re.compile(r"[a-z][a-z0-9_]{0,62}")
_NUMBER = re.compile(r"-?[0-9]{1,28}(?:\.[0-9]{1,28})?")
_FIELD = re.compile(
    r"(?P<name>[^:]*):(?P<type>enum\([^)]*\)|[a-z]+)(?P<optional>\??)(?::(?P<limits>.*))?"
)
# Names the generated code gives its own members, columns, parameters and query keys.
RESERVED_FIELDS = frozenset(
    {"id", "uuid", "owner_id", "owner_uuid", "created_at", "updated_at", "metadata", "registry"}
    | {"changes", "clear", "values", "fields", "filters", "order_by", "limit", "offset", "after"}
    | {"create", "update", "delete", "record", "collect_events", "events", "actor", "cmd"}
    # Types the modules import: `date: date` in a class would hide the type from what follows.
    | {"date", "datetime", "self", "cls"}
    | {name for name in dir(BaseModel) if not name.startswith("_")}
)


class SpecError(Exception):
    """The request cannot be scaffolded; the message says which part and why."""


@dataclass(frozen=True, slots=True)
class Field:
    """One field of the context's records: `limits` holds the constraints with their defaults."""

    name: str
    type: str
    optional: bool = False
    limits: Mapping[str, Any] = field(default_factory=dict)
    choices: tuple[str, ...] = ()

    @property
    def camel(self) -> str:
        return camel(self.name)


@dataclass(frozen=True, slots=True)
class Context:
    """A bounded context to write: `name` is the plural (module, table, path, event prefix),
    `entity` the singular (the aggregate)."""

    name: str
    entity: str
    fields: tuple[Field, ...]
    owner: bool = False
    events: tuple[str, ...] = EVENTS
    grpc: bool = True
    consumer: bool = True

    # Capitalised as the class names they spell in the templates: ${c.Entity}Service.
    @property
    def Entity(self) -> str:
        return camel(self.entity)

    @property
    def Entities(self) -> str:
        return camel(self.name)

    @property
    def NAME(self) -> str:
        return self.name.upper()

    @property
    def ENTITY(self) -> str:
        return self.entity.upper()

    @property
    def words(self) -> str:
        """The plural as prose: line items."""
        return self.name.replace("_", " ")

    @property
    def entity_words(self) -> str:
        return self.entity.replace("_", " ")

    @property
    def Entity_words(self) -> str:
        return self.entity_words.capitalize()

    @property
    def an_entity(self) -> str:
        """The singular with its article: an invoice, a line item."""
        return f"{'an' if self.entity[0] in 'aeiou' else 'a'} {self.entity_words}"

    @property
    def optional(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.optional)

    def of_type(self, *types: str) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.type in types)


def camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def parse_context(
    name: str,
    field_specs: Sequence[str],
    *,
    singular: str | None = None,
    owner: bool = False,
    events: str | None = None,
    grpc: bool = True,
    consumer: bool = True,
) -> Context:
    """The context asked for; raises SpecError naming the first part it cannot scaffold."""
    _check_name("NAME", name, NAME_MAX)
    entity = singular or singular_of(name)
    _check_name("--singular", entity, NAME_MAX)
    if entity == name:
        raise SpecError(f"NAME {name!r} must be the plural of the record's name (e.g. orders)")
    if not field_specs:
        raise SpecError("give at least one --field name:type[:constraints]")
    fields = tuple(parse_field(spec) for spec in field_specs)
    _unique(f.name for f in fields)
    if f"{entity}_uuid" in {f.name for f in fields}:  # the key of its events' data
        raise SpecError(f"--field {entity}_uuid: a name the generated code uses itself")
    chosen = parse_events(events)
    if consumer and "created" not in chosen:
        raise SpecError("the consumer's handler is for the created event: add it or --no-consumer")
    return Context(name, entity, fields, owner, chosen, grpc, consumer)


def singular_of(plural: str) -> str:
    """The singular of a regular English plural (categories, boxes, orders); else SpecError."""
    for ending, replacement in (("ies", "y"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if plural.endswith(ending):
            return plural[: -len(ending)] + replacement
    if plural.endswith("s") and not plural.endswith("ss"):
        return plural[:-1]
    raise SpecError(f"NAME {plural!r} is no regular plural: give its singular with --singular")


def parse_events(text: str | None) -> tuple[str, ...]:
    if text is None:
        return EVENTS
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in EVENTS]
    if unknown or not chosen:
        raise SpecError(f"--events takes some of {','.join(EVENTS)}, not {text!r}")
    return tuple(event for event in EVENTS if event in chosen)


def parse_field(spec: str) -> Field:
    """`name:type[?][:key=value,...]`, e.g. `title:str:max=120`, `due:date?`, `kind:enum(a|b)`."""
    match = _FIELD.fullmatch(spec)
    if match is None:
        raise SpecError(f"--field {spec!r}: expected name:type[?][:key=value,...]")
    name, kind = match["name"], match["type"]
    _check_field_name(spec, name)
    choices: tuple[str, ...] = ()
    if kind.startswith("enum("):
        choices, kind = _choices(spec, kind[5:-1]), "enum"
    if kind not in TYPES:
        raise SpecError(f"--field {spec!r}: unknown type {kind!r}; the types: {', '.join(TYPES)}")
    limits = _limits(spec, kind, match["limits"])
    return Field(name, kind, bool(match["optional"]), limits, choices)


def _check_name(what: str, name: str, longest: int) -> None:
    if not _SNAKE.fullmatch(name) or len(name) > longest:
        raise SpecError(
            f"{what} {name!r} must be snake_case (a-z, 0-9, single underscores), at most"
            f" {longest} characters"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise SpecError(f"{what} {name!r} is a Python keyword")


def _check_field_name(spec: str, name: str) -> None:
    _check_name(f"--field {spec!r}: the name", name, FIELD_NAME_MAX)
    if name in RESERVED_FIELDS:
        raise SpecError(f"--field {spec!r}: {name!r} is a name the generated code uses itself")


def _unique(names: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise SpecError(f"--field {name!r} is given twice")
        seen.add(name)


def _choices(spec: str, text: str) -> tuple[str, ...]:
    labels = tuple(text.split("|"))
    if len(labels) < 2 or len(set(labels)) != len(labels):
        raise SpecError(f"--field {spec!r}: an enum takes two or more different values, a|b|c")
    for label in labels:
        if not _LABEL.fullmatch(label) or keyword.iskeyword(label.upper()):
            raise SpecError(
                f"--field {spec!r}: {label!r} must start with a-z and hold only a-z, 0-9 and _"
            )
    return labels


def _count(text: str) -> int:
    if not text.isdigit():
        raise ValueError
    return int(text)


def _integer(text: str) -> int:
    if not re.fullmatch(r"-?[0-9]{1,19}", text) or int(text) not in INT64:
        raise ValueError
    return int(text)


def _number(text: str) -> Decimal:
    if not _NUMBER.fullmatch(text):
        raise ValueError
    return Decimal(text)


# The constraints each type takes, how each reads its value, and the defaults.
_PARSERS: dict[str, dict[str, Callable[[str], Any]]] = {
    "str": {"min": _count, "max": _count},
    "text": {"min": _count, "max": _count},
    "int": {"min": _integer, "max": _integer},
    "decimal": {"min": _number, "max": _number, "digits": _count, "places": _count},
}
_DEFAULTS: dict[str, dict[str, Any]] = {
    "str": {"min": 1, "max": 255},
    "text": {"min": 1},
    "decimal": {"digits": 12, "places": 2},
}


def _limits(spec: str, kind: str, text: str | None) -> dict[str, Any]:
    parsers = _PARSERS.get(kind, {})
    limits = dict(_DEFAULTS.get(kind, {}))
    for part in (text or "").split(","):
        if not part:
            continue
        key, equals, value = part.partition("=")
        if key not in parsers or not equals:
            allowed = ", ".join(f"{key}=" for key in parsers) or "no constraints"
            raise SpecError(f"--field {spec!r}: {part!r} is no constraint of {kind}: {allowed}")
        try:
            limits[key] = parsers[key](value)
        except (ValueError, InvalidOperation):
            raise SpecError(f"--field {spec!r}: {key}={value!r} is not a valid {key}") from None
    _check_limits(spec, kind, limits)
    return limits


def _check_limits(spec: str, kind: str, limits: dict[str, Any]) -> None:
    low, high = limits.get("min"), limits.get("max")
    problems = []
    if low is not None and high is not None and low > high:
        problems.append("min is greater than max")
    if kind == "str" and not 1 <= limits["max"] <= VARCHAR_MAX:
        problems.append(f"max of a str is 1 to {VARCHAR_MAX} (text has no limit)")
    if kind == "decimal":
        digits, places = limits["digits"], limits["places"]
        if not 1 <= digits <= DIGITS_MAX or places > digits:
            problems.append(f"digits is 1 to {DIGITS_MAX}, places 0 to digits")
        bounds = [value for value in (low, high) if value is not None]
        if any(_decimals(value) > places for value in bounds):
            problems.append(f"min and max have at most {places} decimal places")
    if problems:
        raise SpecError(f"--field {spec!r}: {'; '.join(problems)}")


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
