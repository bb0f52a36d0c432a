"""The files `app scaffold context` writes and the edits of existing ones, worked out before any
file is touched: a name already taken anywhere is refused, and a missing insertion point fails
the whole plan."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.interfaces.cli.scaffold import edits, render
from app.interfaces.cli.scaffold.edits import Edit
from app.interfaces.cli.scaffold.spec import Context, SpecError

SRC = "src/app"
PROTOS = f"{SRC}/interfaces/grpc/protos"
PB = f"{SRC}/interfaces/grpc/pb"
MIGRATIONS = f"{SRC}/infrastructure/db/migrations/versions"
CONTRACTS_SCRIPT = "scripts/gen_contracts.py"
CONTRACT_FILES = ("docs/contracts/openapi.json", "docs/contracts/asyncapi.yaml")


@dataclass(frozen=True, slots=True)
class Plan:
    """`writes`: new files and their text; `made`: new files a tool writes (the migration, the
    gRPC modules); `edits`: existing files and their edits, in order; `regenerated`: existing
    files a tool rewrites (the contract documents)."""

    context: Context
    writes: dict[str, str]
    made: tuple[str, ...]
    edits: dict[str, tuple[Edit, ...]]
    regenerated: tuple[str, ...]


def make_plan(c: Context, root: Path, command_line: str) -> Plan:
    """The plan for `c` in the project at `root`. Raises SpecError when the context or one of
    its names exists already, AnchorMissing or NameTaken when an edit cannot be placed."""
    package = _proto_package(root) if c.grpc else ""
    writes = {
        path: render.render(template, c, proto_package=package, command_line=command_line)
        for path, template in files(c)
    }
    made = (migration_path(c, root), *(_pb_files(c) if c.grpc else ()))
    _refuse_taken(c, root, [*writes, *made])
    changes = _edits(c, root)
    for path, steps in changes.items():
        _applied(root, path, steps)  # fails now, before anything is written
    regenerated = CONTRACT_FILES if (root / CONTRACTS_SCRIPT).exists() else ()
    return Plan(c, writes, made, changes, regenerated)


def apply_edits(root: Path, path: str, steps: tuple[Edit, ...]) -> str:
    """The text of `path` once its edits are made."""
    return _applied(root, path, steps)


def files(c: Context) -> list[tuple[str, str]]:
    """(path, template) of every file written from a template, layer by layer."""
    n, e = c.name, c.entity
    written = [
        (f"{SRC}/domain/{n}/__init__.py", "empty.mako"),
        (f"{SRC}/domain/{n}/{e}.py", "entity.py.mako"),
        (f"{SRC}/domain/{n}/values.py", "values.py.mako"),
        (f"{SRC}/domain/{n}/events.py", "events.py.mako"),
        (f"{SRC}/domain/{n}/errors.py", "errors.py.mako"),
        (f"{SRC}/application/{n}.py", "application.py.mako"),
        (f"{SRC}/infrastructure/db/{n}.py", "repository.py.mako"),
        (f"{SRC}/interfaces/api/{n}.py", "api.py.mako"),
    ]
    if c.grpc:
        written += [
            (f"{PROTOS}/app/v1/{n}.proto", "proto.mako"),
            (f"{SRC}/interfaces/grpc/{n}.py", "servicer.py.mako"),
        ]
    written += [
        (f"tests/domain/test_{n}.py", "test_domain.py.mako"),
        (f"tests/application/test_{n}.py", "test_application.py.mako"),
        (f"tests/infrastructure/test_{n}.py", "test_repository.py.mako"),
        (f"tests/api/test_{n}.py", "test_api.py.mako"),
    ]
    if c.grpc:
        written.append((f"tests/grpc/test_{n}.py", "test_grpc.py.mako"))
    if c.consumer:
        written.append((f"tests/messaging/test_{n}.py", "test_consumer.py.mako"))
    written.append((f"docs/contexts/{n}.md", "docs.md.mako"))
    return written


def migration_path(c: Context, root: Path) -> str:
    """Where the migration goes, named as alembic.ini's file_template names it."""
    day = datetime.now(UTC).strftime("%Y%m%d")
    return f"{MIGRATIONS}/{day}_{next_revision(root)}_{c.name}.py"


def next_revision(root: Path) -> str:
    """The number after the head's (`0008` after `0007`), as the migrations are numbered."""
    revisions, parents = set(), set()
    for path in (root / MIGRATIONS).glob("*.py"):
        text = path.read_text()
        revisions |= set(re.findall(r'^revision: str = "([^"]+)"', text, re.M))
        parents |= set(re.findall(r'^down_revision: str \| None = "([^"]+)"', text, re.M))
    heads = sorted(revisions - parents)
    if len(heads) != 1 or not heads[0].isdigit():
        raise SpecError(f"the migrations have no single numbered head ({', '.join(heads)})")
    return f"{int(heads[0]) + 1:0{len(heads[0])}d}"


def _pb_files(c: Context) -> tuple[str, ...]:
    return tuple(f"{PB}/{c.name}{suffix}" for suffix in ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"))


def _proto_package(root: Path) -> str:
    """The package the existing protos declare (their files sit in its folder)."""
    packages: set[str] = {
        match
        for proto in (root / PROTOS / "app" / "v1").glob("*.proto")
        for match in re.findall(r"^package ([\w.]+);", proto.read_text(), re.M)
    }
    if len(packages) != 1:
        raise SpecError(f"expected one package in {PROTOS}/app/v1/*.proto, found {packages}")
    return packages.pop()


def _refuse_taken(c: Context, root: Path, paths: list[str]) -> None:
    """Refuse a context whose files, table, route, container field or messages exist."""
    existing = [path for path in paths if (root / path).exists()]
    existing += [p for p in (f"{SRC}/domain/{c.name}.py",) if (root / p).exists()]
    if existing:
        raise SpecError(f"{c.name!r} clashes with what exists: {', '.join(existing)}")
    checks: list[tuple[str, Callable[[str], bool], str]] = [
        (f"{SRC}/infrastructure/db/tables.py", _declares_table(c.name), "a table"),
        (f"{SRC}/container.py", lambda text: c.name in _class_fields(text, "Container"), "a field"),
    ]
    route = f'prefix="/{c.name}"'
    for module in sorted((root / SRC / "interfaces" / "api").glob("*.py")):
        checks.append((str(module.relative_to(root)), lambda text: route in text, "its routes"))
    if c.grpc:
        messages = render.proto_names(c)
        for proto in sorted((root / PROTOS).rglob("*.proto")):
            checks.append(
                (str(proto.relative_to(root)), lambda text: bool(messages & _protos(text)), "")
            )
    for path, taken, what in checks:
        if (root / path).exists() and taken((root / path).read_text()):
            raise SpecError(f"{c.name!r} is taken: {path} has {what or 'its messages'} already")


def _declares_table(name: str) -> Callable[[str], bool]:
    return lambda text: re.search(rf'__tablename__ = "{name}"', text) is not None


def _class_fields(text: str, name: str) -> set[str]:
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return {
                n.target.id
                for n in node.body
                if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
            }
    return set()


def _protos(text: str) -> set[str]:
    return set(re.findall(r"^\s*(?:message|service|enum) (\w+)", text, re.M))


def _applied(root: Path, path: str, steps: tuple[Edit, ...]) -> str:
    text = (root / path).read_text()
    for step in steps:
        try:
            text = step(text)
        except (edits.AnchorMissing, edits.NameTaken) as exc:
            raise type(exc)(f"{path}: {exc}") from None
    return text


def _edits(c: Context, root: Path) -> dict[str, tuple[Edit, ...]]:
    from app.interfaces.cli.scaffold import wiring

    changes = wiring.edits(c, root)
    return {path: tuple(steps) for path, steps in changes.items() if steps}
