"""Where a new context joins the existing code: one recipe of edits per file it changes.

Every insertion point is a name the code has today (a class, a method, an assignment), so the
files may change around it; a missing one fails the plan and says what it looked for.
"""

from __future__ import annotations

import ast
from pathlib import Path

from app.interfaces.cli.scaffold import kinds, render
from app.interfaces.cli.scaffold.edits import (
    AnchorMissing,
    Edit,
    add_element,
    append,
    assigned,
    before_method,
    before_statement,
    class_field,
    ensure_import,
    in_function,
    module_names,
)
from app.interfaces.cli.scaffold.spec import Context

SRC = "src/app"
CONTRACTS = f"{SRC}/infrastructure/messaging/contracts.py"
EVENT_SAMPLES = "tests/contracts/test_events.py"  # one sample of each published event


def edits(c: Context, root: Path) -> dict[str, list[Edit]]:
    """Each existing file the context changes, and its edits in order."""
    changes = {
        f"{SRC}/domain/auth/permissions.py": _permissions(c),
        f"{SRC}/application/ports.py": _ports(c),
        f"{SRC}/infrastructure/db/tables.py": _tables(c),
        f"{SRC}/infrastructure/db/uow.py": _unit_of_work(c),
    }
    if (root / CONTRACTS).exists():
        changes[CONTRACTS] = _registry(c)
    changes[f"{SRC}/container.py"] = _container(c, root)
    changes[f"{SRC}/interfaces/api/app.py"] = _routers(c)
    if c.grpc:
        changes[f"{SRC}/interfaces/grpc/server.py"] = _grpc_server(c)
    if c.consumer:
        handlers = f"{SRC}/interfaces/consumer/handlers.py"
        changes[handlers] = _handlers(c, (root / handlers).read_text())
    changes["tests/fakes.py"] = _fakes(c)
    changes["tests/conftest.py"] = [add_element(assigned("TABLES"), f'"{c.name}"', "TABLES")]
    samples = root / EVENT_SAMPLES
    if samples.exists() and {"SAMPLES", "AT"} <= module_names(samples.read_text()):
        changes[EVENT_SAMPLES] = _event_samples(c)
    changes["docs/index.md"] = [_toctree(f"contexts/{c.name}")]
    return changes


def _permissions(c: Context) -> list[Edit]:
    return [
        class_field("Permission", f'{c.NAME}_{what.upper()} = "{c.name}:{what}"')
        for what in ("read", "write")
    ]


def _ports(c: Context) -> list[Edit]:
    return [
        ensure_import("collections.abc", "Mapping"),
        ensure_import("typing", "Any", "Protocol"),
        ensure_import(f"app.domain.{c.name}.{c.entity}", c.Entity),
        ensure_import(f"app.domain.{c.name}.values", f"{c.Entity}Id"),
        append(render.render("ports.py.mako", c)),
        before_method("UnitOfWork", "__aenter__", _lines("unit_of_work_property.py.mako", c)),
    ]


def _tables(c: Context) -> list[Edit]:
    types = {"BigInteger", "DateTime", "Index", "Uuid"} | {
        kinds.column(c, f).split("(")[0] for f in c.fields if f.type != "json"
    }
    steps = [ensure_import("sqlalchemy", *sorted(types))]
    if c.of_type("json"):
        steps += [ensure_import("sqlalchemy.dialects.postgresql", "JSONB")]
        steps += [ensure_import("typing", "Any")]
    if c.of_type("decimal"):
        steps.append(ensure_import("decimal", "Decimal"))
    steps.append(ensure_import("datetime", "date", "datetime"))
    steps.append(ensure_import("uuid", "UUID"))
    values = [name for f in c.fields for name in kinds.column_constants(c, f)]
    if values:
        steps.append(ensure_import(f"app.domain.{c.name}.values", *values))
    return [*steps, append(render.render("table.py.mako", c))]


def _unit_of_work(c: Context) -> list[Edit]:
    repository = f"Sql{c.Entity}Repository"
    return [
        ensure_import(f"app.infrastructure.db.{c.name}", repository),
        class_field("SqlUnitOfWork", f"{c.name}: {repository}"),
        in_function(
            "SqlUnitOfWork.__aenter__",
            [f"self.{c.name} = {repository}(self.session)"],
            where="before-return",
        ),
        # The events become outbox rows before the unit of work collects the outbox.
        in_function(
            "SqlUnitOfWork.commit", [f"self.{c.name}.sync(self.outbox)"], where="after-sync"
        ),
    ]


def _container(c: Context, root: Path) -> list[Edit]:
    text = (root / SRC / "container.py").read_text()
    local = _locals(text, "build_container")
    missing = sorted({"uow", "clock", "session_factory", "settings"} - local)
    if missing:
        raise AnchorMissing(f"container.py: build_container has no {', '.join(missing)}")
    steps = [
        ensure_import(f"app.application.{c.name}", f"{c.Entity}Service"),
        ensure_import(f"app.infrastructure.db.{c.name}", f"{c.Entity}Queries"),
        class_field("Container", f"{c.name}: {c.Entity}Service"),
    ]
    if {"cursors", "page_limits"} <= local:
        queries = f"{c.Entity}Queries(session_factory, cursors, **page_limits)"
    else:
        steps.append(ensure_import("app.infrastructure.db.keyset", "Cursors"))
        limits = "max_page_size=settings.max_page_size, max_filters=settings.max_filters"
        queries = f"{c.Entity}Queries(session_factory, Cursors(settings.secret_key), {limits})"
    service = f"{c.name}={c.Entity}Service(uow, clock, {queries})"
    return [*steps, add_element(_built_container, service, "build_container's Container(...)")]


def _built_container(tree: ast.Module) -> ast.expr:
    function = next(
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build_container"
    )
    returned = function.body[-1]
    assert isinstance(returned, ast.Return) and isinstance(returned.value, ast.Call)
    return returned.value


def _routers(c: Context) -> list[Edit]:
    return [
        ensure_import("app.interfaces.api", c.name),
        add_element(_router_tuple, f"{c.name}.router", "create_app's `for router in (...)`"),
    ]


def _router_tuple(tree: ast.Module) -> ast.expr:
    function = next(
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "create_app"
    )
    return next(
        n.iter
        for n in ast.walk(function)
        if isinstance(n, ast.For) and isinstance(n.target, ast.Name) and n.target.id == "router"
    )


def _grpc_server(c: Context) -> list[Edit]:
    pb, servicer = f"{c.name}_pb2", f"{c.Entities}Servicer"
    add = f"add_{c.name}"
    return [
        ensure_import("app.interfaces.grpc.pb", pb, f"{pb}_grpc"),
        ensure_import(f"app.interfaces.grpc.{c.name}", servicer),
        add_element(_app_services, f'({pb}, "{c.Entities}Service")', "APP_SERVICES' services"),
        in_function(
            "_add_app_services",
            [
                f"{add} = {pb}_grpc.add_{c.Entities}ServiceServicer_to_server",
                f"{add}({servicer}(container.{c.name}), server)  # type: ignore[no-untyped-call]",
            ],
            where="end",
        ),
    ]


def _app_services(tree: ast.Module) -> ast.expr:
    """The (module, service name) pairs APP_SERVICES is made from: `tuple(... for ... in (...))`."""
    value = assigned("APP_SERVICES")(tree)
    assert isinstance(value, ast.Call) and isinstance(value.args[0], ast.GeneratorExp)
    return value.args[0].generators[0].iter


def _handlers(c: Context, text: str) -> list[Edit]:
    event, handler = f'"{c.name}.created.v1"', f"{c.entity}_created"
    steps = [
        ensure_import(f"app.application.{c.name}", f"Note{c.Entity}Created"),
        ensure_import("collections.abc", "Mapping"),
        ensure_import("typing", "Any"),
        ensure_import("uuid", "UUID"),
        ensure_import("pydantic", "TypeAdapter"),
        ensure_import("pydantic.dataclasses", "dataclass as pydantic_dataclass"),
        before_statement("HANDLERS_MAP", render.render("handler.py.mako", c)),
        add_element(assigned("HANDLERS_MAP"), f"{event}: {handler}", "HANDLERS_MAP's entries"),
    ]
    if "HANDLER_DATA" in module_names(text):  # the adapters the AsyncAPI document reads
        adapter = f"_{c.ENTITY}_CREATED"
        steps.append(add_element(assigned("HANDLER_DATA"), f"{event}: {adapter}", "HANDLER_DATA"))
    return steps


def _registry(c: Context) -> list[Edit]:
    """The context's events and their data in the event registry (PUBLISHED)."""
    data = {"created": "CreatedData", "updated": "UpdatedData", "deleted": "Data"}
    pairs = [(f"{c.Entity}{what.capitalize()}", f"{c.Entity}{data[what]}") for what in c.events]
    names = sorted({name for pair in pairs for name in pair})
    entries = [
        add_element(assigned("PUBLISHED"), f"{event}.name: {payload}", "PUBLISHED's entries")
        for event, payload in pairs
    ]
    return [ensure_import(f"app.domain.{c.name}.events", *names), *entries]


def _event_samples(c: Context) -> list[Edit]:
    e, events = c.entity, [f"{c.Entity}{what.capitalize()}" for what in c.events]
    key = f"{e}_id={c.Entity}Id(uuid4())"
    built = {
        "created": f"{key}{', owner_id=uuid4()' if c.owner else ''}, values={c.ENTITY}_VALUES",
        "updated": f"{key}, fields=({c.fields[0].name!r},)",
        "deleted": key,
    }
    entries = [
        add_element(
            assigned("SAMPLES"),
            f"{event}.name: {event}({built[what]}, occurred_at=AT)",
            "SAMPLES' entries",
        )
        for what, event in zip(c.events, events, strict=True)
    ]
    return [
        ensure_import("uuid", "uuid4"),
        ensure_import(f"app.domain.{c.name}.events", *events),
        ensure_import(f"app.domain.{c.name}.values", f"{c.Entity}Id"),
        ensure_import(f"tests.domain.test_{c.name}", f"VALUES as {c.ENTITY}_VALUES"),
        *entries,
    ]


def _fakes(c: Context) -> list[Edit]:
    return [
        ensure_import("collections.abc", "Mapping"),
        ensure_import("copy", "deepcopy"),
        ensure_import("dataclasses", "asdict"),
        ensure_import("typing", "Any"),
        ensure_import("app.application.ports", "ListQuery", "OutgoingMessage", "Page"),
        ensure_import(f"app.application.{c.name}", f"{c.Entity}View"),
        ensure_import(f"app.domain.{c.name}.{c.entity}", c.Entity),
        ensure_import(f"app.domain.{c.name}.values", f"{c.Entity}Id"),
        append(render.render("fakes.py.mako", c)),
    ]


def _toctree(entry: str) -> Edit:
    """`entry` as the last page of the index's table of contents (its ```{toctree} block)."""

    def edit(text: str) -> str:
        lines = text.split("\n")
        try:
            start = next(i for i, line in enumerate(lines) if line.startswith("```{toctree}"))
            end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("```"))
        except StopIteration:
            raise AnchorMissing("a ```{toctree} block") from None
        return "\n".join([*lines[:end], entry, *lines[end:]])

    return edit


def _lines(template: str, c: Context) -> list[str]:
    return render.render(template, c).rstrip("\n").split("\n")


def _locals(text: str, function: str) -> set[str]:
    """The parameters of a top-level function and the names its body assigns."""
    node = next(
        n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name == function
    )
    arguments = node.args
    names = {a.arg for a in [*arguments.args, *arguments.kwonlyargs]}
    return names | {
        target.id
        for statement in ast.walk(node)
        if isinstance(statement, ast.Assign)
        for target in statement.targets
        if isinstance(target, ast.Name)
    }
