"""The breaking changes between two versions of a contract, and whether BREAKING.md accepts them.

Usage:
  python scripts/contract_diff.py openapi OLD.json NEW.json     (the REST API)
  python scripts/contract_diff.py asyncapi OLD.yaml NEW.yaml    (the events)
  buf breaking ... --error-format json | python scripts/contract_diff.py buf   (the protos)

Prints each breaking change; exits 1 when one is not accepted. A change is accepted when
BREAKING.md names it as an inline code span (`...`) on a list item. A change of an event's data
is never accepted: such a change is a new event (`.v2`) beside the old one (docs/contracts.md).

Breaking, for a client written against OLD: a removed operation, a changed operationId (the
name of a generated client's function), a new required parameter or request field, a narrowed
request type or limit, a removed enum value it may send, a removed success response, a
response field removed or made optional or nullable; for an event, its removal, or a change
that its senders or its receivers would fail on.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
BREAKING_MD = ROOT / "BREAKING.md"
Schema = dict[str, Any]
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# A tighter value of these limits refuses what the looser one took.
_UPPER_LIMITS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_LOWER_LIMITS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_ANY = "any"
DATA = "payload.data"  # an event's data inside its envelope: changed only by a new version


class Mode(Enum):
    """Which side reads a schema: a request is read by the service, a response by the client,
    an event's data by both (its senders and its receivers)."""

    INPUT = "input"
    OUTPUT = "output"
    BOTH = "both"

    @property
    def reads_in(self) -> bool:
        return self is not Mode.OUTPUT

    @property
    def reads_out(self) -> bool:
        return self is not Mode.INPUT


@dataclass(frozen=True, slots=True)
class Change:
    text: str
    acceptable: bool = True  # may a BREAKING.md entry let it through


Resolve = Callable[[Any], Schema]


def resolver(document: dict[str, Any]) -> Resolve:
    """Follow local `$ref`s (`#/components/schemas/X`), keeping a reference's sibling keywords."""

    def resolve(schema: Any) -> Schema:
        seen: set[str] = set()
        while isinstance(schema, dict) and "$ref" in schema and schema["$ref"] not in seen:
            ref = schema["$ref"]
            seen.add(ref)
            target: Any = document
            for part in ref.removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema if isinstance(schema, dict) else {}

    return resolve


def flat(schema: Any, resolve: Resolve) -> Schema:
    """The schema with its references followed and its `allOf` parts merged into one."""
    schema = resolve(schema)
    if "allOf" not in schema:
        return schema
    merged: Schema = {k: v for k, v in schema.items() if k != "allOf"}
    for part in (flat(p, resolve) for p in schema["allOf"]):
        properties = {**merged.get("properties", {}), **part.get("properties", {})}
        required = sorted({*merged.get("required", ()), *part.get("required", ())})
        merged = {**part, **merged, "properties": properties, "required": required}
    return merged


def _branches(schema: Schema, resolve: Resolve) -> list[Schema]:
    """The alternatives of a schema (`anyOf`/`oneOf`), each flat; the schema itself if none."""
    options = schema.get("anyOf") or schema.get("oneOf")
    return [flat(o, resolve) for o in options] if options else [schema]


def types(schema: Schema, resolve: Resolve) -> frozenset[str]:
    found: set[str] = set()
    for branch in _branches(schema, resolve):
        declared = branch.get("type")
        if isinstance(declared, list):
            found.update(declared)
        elif declared:
            found.add(declared)
        elif "const" in branch or "enum" in branch:
            values = [branch["const"]] if "const" in branch else branch["enum"]
            found.update(_json_type(value) for value in values)
        elif "properties" in branch:
            found.add("object")
        elif "items" in branch:
            found.add("array")
        else:
            found.add(_ANY)
    return frozenset(found)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}[type(value)]


def _covers(wide: frozenset[str], narrow: frozenset[str]) -> bool:
    """Every value of a `narrow` type is a value of a `wide` type."""
    if _ANY in wide:
        return True
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _properties(schema: Schema, resolve: Resolve) -> tuple[dict[str, Any], set[str], bool]:
    """An object's properties, its required ones, and whether it refuses others; merged over
    its alternatives (an optional object is `anyOf: [object, null]`)."""
    properties: dict[str, Any] = {}
    required: set[str] = set()
    closed = False
    for branch in _branches(schema, resolve):
        properties.update(branch.get("properties", {}))
        required.update(branch.get("required", ()))
        closed = closed or branch.get("additionalProperties") is False
    return properties, required, closed


def _items(schema: Schema, resolve: Resolve) -> Any:
    for branch in _branches(schema, resolve):
        if "items" in branch:
            return branch["items"]
    return None


def _limits(schema: Schema, resolve: Resolve) -> Schema:
    limits: Schema = {}
    for branch in _branches(schema, resolve):
        limits.update(branch)
    return limits


class Schemas:
    """Compares the schemas of two documents, each read with its own references."""

    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old, self.new = resolver(old), resolver(new)
        self._open: set[tuple[str, str]] = set()  # references being compared: a recursive schema

    def compare(self, old: Any, new: Any, where: str, mode: Mode) -> list[str]:
        """What breaks between two versions of one schema, read as `mode` says."""
        pair = (_ref_of(old), _ref_of(new))
        if pair in self._open:
            return []
        if pair != ("", ""):
            self._open.add(pair)
        try:
            return self._compare(flat(old, self.old), flat(new, self.new), where, mode)
        finally:
            self._open.discard(pair)

    def _compare(self, old: Schema, new: Schema, where: str, mode: Mode) -> list[str]:
        found: list[str] = []
        old_types, new_types = types(old, self.old), types(new, self.new)
        if mode.reads_in and not _covers(new_types, old_types):
            found.append(
                f"{where}: type narrowed from {_listed(old_types)} to {_listed(new_types)}"
            )
        elif mode.reads_out and not _covers(old_types, new_types):
            found.append(f"{where}: type widened from {_listed(old_types)} to {_listed(new_types)}")
        if mode.reads_in:
            found += _narrowed(_limits(old, self.old), _limits(new, self.new), where)
        found += self._properties(old, new, where, mode)
        old_items, new_items = _items(old, self.old), _items(new, self.new)
        if old_items is not None and new_items is not None:
            found += self.compare(old_items, new_items, f"{where}[]", mode)
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            found += self.compare(old_extra, new_extra, f"{where}{{}}", mode)
        return found

    def _properties(self, old: Schema, new: Schema, where: str, mode: Mode) -> list[str]:
        old_props, old_required, _ = _properties(old, self.old)
        new_props, new_required, new_closed = _properties(new, self.new)
        found: list[str] = []
        for name, schema in old_props.items():
            field = f"{where}.{name}"
            if name not in new_props:
                if mode.reads_out or new_closed:  # a closed request refuses what it no longer knows
                    found.append(f"{field}: removed")
                continue
            if mode.reads_in and name in new_required and name not in old_required:
                found.append(f"{field}: became required")
            if mode.reads_out and name in old_required and name not in new_required:
                found.append(f"{field}: became optional")
            found += self.compare(schema, new_props[name], field, mode)
        if mode.reads_in:
            found += [
                f"{where}.{n}: new and required" for n in sorted(new_required - old_props.keys())
            ]
        return found


def _ref_of(schema: Any) -> str:
    return str(schema.get("$ref", "")) if isinstance(schema, dict) else ""


def _narrowed(old: Schema, new: Schema, where: str) -> list[str]:
    found = []
    for key in _UPPER_LIMITS:
        if key in new and (key not in old or new[key] < old[key]):
            found.append(f"{where}: {key} lowered to {new[key]}")
    for key in _LOWER_LIMITS:
        if key in new and (key not in old or new[key] > old[key]):
            found.append(f"{where}: {key} raised to {new[key]}")
    for key in ("pattern", "format", "multipleOf", "const"):
        if key in new and new.get(key) != old.get(key):
            found.append(f"{where}: {key} now {new[key]!r}")
    if "enum" in old and "enum" in new:
        gone = [v for v in old["enum"] if v not in new["enum"]]
        if gone:
            found.append(f"{where}: values {gone!r} no longer allowed")
    elif "enum" in new:
        found.append(f"{where}: now one of {new['enum']!r}")
    return found


def _listed(names: frozenset[str]) -> str:
    return "|".join(sorted(names))


def openapi_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """What breaks for a client of `old` when the service serves `new`."""
    schemas = Schemas(old, new)
    found: list[str] = []
    for path, method, operation in _operations(old):
        name = f"{method.upper()} {path}"
        replacement = new.get("paths", {}).get(path, {}).get(method)
        if replacement is None:
            found.append(f"{name}: removed")
            continue
        found += [f"{name} {change}" for change in _operation(operation, replacement, schemas)]
    return [Change(text) for text in found]


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                yield path, method, item[method]


def _operation(old: dict[str, Any], new: dict[str, Any], schemas: Schemas) -> Iterator[str]:
    if old.get("operationId") != new.get("operationId"):  # a generated client's function name
        yield f"operationId: {old.get('operationId')} renamed to {new.get('operationId')}"
    if new.get("security") and not old.get("security"):
        yield "now requires authentication"
    yield from _parameters(old, new, schemas)
    yield from _request_body(old.get("requestBody"), new.get("requestBody"), schemas)
    for status, response in old.get("responses", {}).items():
        if not str(status).startswith("2"):
            continue  # an error it no longer answers breaks nobody
        replacement = new.get("responses", {}).get(status)
        if replacement is None:
            yield f"response {status}: removed"
            continue
        before, after = schemas.old(response), schemas.new(replacement)
        yield from _content(before, after, f"response {status}", Mode.OUTPUT, schemas)


def _parameters(old: dict[str, Any], new: dict[str, Any], schemas: Schemas) -> Iterator[str]:
    def by_key(operation: dict[str, Any], resolve: Resolve) -> dict[tuple[str, str], Schema]:
        params = (resolve(p) for p in operation.get("parameters", ()))
        return {(p["in"], p["name"]): p for p in params}

    before, after = by_key(old, schemas.old), by_key(new, schemas.new)
    for key, param in after.items():
        where = f"parameter {key[0]} {key[1]}"
        if key not in before:
            if param.get("required"):
                yield f"{where}: new and required"
            continue
        if param.get("required") and not before[key].get("required"):
            yield f"{where}: became required"
        old_schema, new_schema = before[key].get("schema", {}), param.get("schema", {})
        yield from schemas.compare(old_schema, new_schema, where, Mode.INPUT)


def _request_body(old: Any, new: Any, schemas: Schemas) -> Iterator[str]:
    old_body, new_body = schemas.old(old or {}), schemas.new(new or {})
    if new_body.get("required") and not old_body.get("required"):
        yield "request body: became required"
    if old_body and new_body:
        yield from _content(old_body, new_body, "request body", Mode.INPUT, schemas)


def _content(old: Schema, new: Schema, where: str, mode: Mode, schemas: Schemas) -> Iterator[str]:
    for media, body in old.get("content", {}).items():
        replacement = new.get("content", {}).get(media)
        if replacement is None:
            yield f"{where}: {media} removed"
            continue
        yield from schemas.compare(
            body.get("schema", {}), replacement.get("schema", {}), where, mode
        )


def asyncapi_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """What breaks for the senders and receivers of `old`'s events when `new` is in force."""
    schemas = Schemas(old, new)
    before = old.get("components", {}).get("messages", {})
    after = new.get("components", {}).get("messages", {})
    found: list[Change] = []
    for name, message in before.items():
        if name not in after:
            found.append(Change(f"event {name}: removed"))
            continue
        for part in ("payload", "headers"):
            changes = schemas.compare(
                message.get(part, {}), after[name].get(part, {}), part, Mode.BOTH
            )
            # The envelope and headers are every event's: a BREAKING.md entry may accept them.
            found += [
                Change(f"event {name} {change}", acceptable=not change.startswith(DATA))
                for change in changes
            ]
    return found


def buf_changes(lines: Iterable[str]) -> list[Change]:
    """buf breaking's findings (`--error-format json`, one object a line)."""
    findings = (json.loads(line) for line in lines if line.strip())
    return [Change(f"{f['path']}: {f['message']}") for f in findings]


def accepted(breaking_md: Path = BREAKING_MD) -> set[str]:
    """The changes BREAKING.md names: each inline code span on a list item, outside examples
    (fenced code blocks)."""
    if not breaking_md.exists():
        return set()
    spans: set[str] = set()
    fenced = False
    for line in breaking_md.read_text().splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and stripped.startswith("- "):
            spans.update(re.findall(r"`([^`]+)`", stripped))
    return spans


def report(changes: list[Change], allowed: set[str]) -> tuple[list[str], bool]:
    """One line per change, and whether every change is accepted."""
    lines, ok = [], True
    for change in changes:
        if change.acceptable and change.text in allowed:
            lines.append(f"accepted (BREAKING.md): {change.text}")
        else:
            ok = False
            advice = "" if change.acceptable else " (publish it as a new version instead)"
            lines.append(f"BREAKING: {change.text}{advice}")
    return lines, ok


def _load(path: str) -> dict[str, Any]:
    text = Path(path).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("contract", choices=("openapi", "asyncapi", "buf"))
    parser.add_argument("old", nargs="?", help="the document clients know (openapi, asyncapi)")
    parser.add_argument("new", nargs="?", help="the document the code serves now")
    parser.add_argument("--breaking-md", type=Path, default=BREAKING_MD)
    args = parser.parse_args(argv)
    if args.contract == "buf":
        changes = buf_changes(sys.stdin)
    else:
        if not (args.old and args.new):
            parser.error(f"{args.contract} takes OLD and NEW")
        compared = openapi_changes if args.contract == "openapi" else asyncapi_changes
        changes = compared(_load(args.old), _load(args.new))
    lines, ok = report(changes, accepted(args.breaking_md))
    print("\n".join(lines) or f"{args.contract}: no breaking change")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
