"""The plan of `app scaffold context`: its files, its edits, and the names it refuses."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.interfaces.cli.scaffold import steps
from app.interfaces.cli.scaffold.edits import AnchorMissing, NameTaken
from app.interfaces.cli.scaffold.plan import make_plan
from app.interfaces.cli.scaffold.spec import Context, SpecError, parse_context

EVERY_TYPE = [
    "title:str:max=40",
    "body:text?",
    "count:int:min=1,max=9",
    "price:decimal:min=0,digits=8,places=3",
    "paid:bool",
    "due:date?",
    "sent_at:datetime?",
    "ref:uuid",
    "extra:json?",
    "kind:enum(small|large)",
]


def plan_of(project: Path, name: str = "orders", fields=None, **options):
    c = parse_context(name, fields or ["title:str"], **options)
    return make_plan(c, project, f"app scaffold context {name}")


def test_a_plan_writes_every_layer_and_edits_the_shared_modules(project):
    plan = plan_of(project, owner=True)
    assert {
        "src/app/domain/orders/order.py",
        "src/app/application/orders.py",
        "src/app/infrastructure/db/orders.py",
        "src/app/interfaces/api/orders.py",
        "src/app/interfaces/grpc/orders.py",
        "src/app/interfaces/grpc/protos/app/v1/orders.proto",
        "tests/domain/test_orders.py",
        "tests/messaging/test_orders.py",
        "docs/contexts/orders.md",
    } <= set(plan.writes)
    migration, *generated = plan.made
    assert re.fullmatch(
        r"src/app/infrastructure/db/migrations/versions/\d{8}_\d{4}_orders\.py", migration
    )
    assert generated == [
        f"src/app/interfaces/grpc/pb/orders{s}" for s in ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")
    ]
    assert {
        "src/app/container.py",
        "src/app/infrastructure/db/tables.py",
        "src/app/infrastructure/db/uow.py",
        "src/app/application/ports.py",
        "src/app/domain/auth/permissions.py",
        "src/app/interfaces/api/app.py",
        "src/app/interfaces/grpc/server.py",
        "src/app/interfaces/consumer/handlers.py",
        "tests/fakes.py",
        "tests/conftest.py",
        "docs/index.md",
    } <= set(plan.edits)


def test_without_grpc_or_consumer_their_files_and_edits_are_left_out(project):
    plan = plan_of(project, grpc=False, consumer=False)
    paths = [*plan.writes, *plan.made, *plan.edits]
    assert not [
        path for path in paths if "grpc" in path or "consumer" in path or "messaging/test" in path
    ]


@pytest.mark.parametrize(
    ("name", "prepare", "says"),
    [
        ("users", None, "clashes with what exists: src/app/domain/users/__init__.py"),
        (
            "orders",
            "tests/api/test_orders.py",
            "clashes with what exists: tests/api/test_orders.py",
        ),
        (
            "orders",
            "src/app/domain/orders.py",
            "clashes with what exists: src/app/domain/orders.py",
        ),
        ("profiles", None, "has its messages already"),  # Profile is a message of users.proto
        ("user_notes", None, None),  # a name may start like another context's
    ],
)
def test_a_context_that_clashes_with_the_project_is_refused(project, name, prepare, says):
    if prepare:
        (project / prepare).parent.mkdir(parents=True, exist_ok=True)
        (project / prepare).write_text("")
    if says is None:
        assert plan_of(project, name).writes
        return
    with pytest.raises(SpecError) as error:
        plan_of(project, name)
    assert says in str(error.value)


def test_a_name_an_edited_module_has_already_is_refused(project):
    # `audits` would add AuditRow to tables.py, which has one already.
    with pytest.raises(NameTaken, match="AuditRow already defined there"):
        plan_of(project, "audits")


def test_a_table_route_or_container_field_of_the_name_is_refused(project):
    tables = project / "src/app/infrastructure/db/tables.py"
    tables.write_text(tables.read_text() + '\n\nclass Other(Base):\n    __tablename__ = "orders"\n')
    with pytest.raises(SpecError, match=r"tables\.py has a table already"):
        plan_of(project)
    container = project / "src/app/container.py"
    container.write_text(
        container.read_text().replace(
            "    settings: Settings\n", "    settings: Settings\n    notes: int\n", 1
        )
    )
    with pytest.raises(SpecError, match=r"container\.py has a field already"):
        plan_of(project, "notes")


def test_a_missing_insertion_point_fails_the_plan_before_anything_is_written(project):
    uow = project / "src/app/infrastructure/db/uow.py"
    uow.write_text(uow.read_text().replace("class SqlUnitOfWork:", "class UnitOfWorkOfSql:"))
    with pytest.raises(AnchorMissing, match=r"uow\.py: class SqlUnitOfWork"):
        plan_of(project)
    assert not (project / "src/app/domain/orders").exists()


def test_writing_never_overwrites_a_file_that_appeared_after_the_plan(project):
    plan = plan_of(project)
    late = project / "src/app/application/orders.py"
    late.write_text("# mine\n")
    with pytest.raises(FileExistsError):
        steps.write(plan, project)
    assert late.read_text() == "# mine\n"


@pytest.mark.parametrize(
    ("name", "fields", "options"),
    [
        ("orders", EVERY_TYPE, {"owner": True}),
        ("categories", EVERY_TYPE[:3], {"grpc": False, "consumer": False, "events": "created"}),
        # The longest names: no line of the generated text may pass ruff's limit.
        (
            "warehouse_stock_adjustments",
            [*EVERY_TYPE, f"{'a' * 40}:decimal"],
            {},
        ),
    ],
)
def test_the_written_python_passes_ruff_once_laid_out(project, name, fields, options):
    plan = plan_of(project, name, fields, **options)
    steps.write(plan, project)
    steps.lay_out(project, list(plan.writes), list(plan.edits))
    python = [path for path in [*plan.writes, *plan.edits] if path.endswith(".py")]
    ruff = [sys.executable, "-m", "ruff"]
    run = {"cwd": project, "capture_output": True, "text": True}
    checked = subprocess.run([*ruff, "check", "--output-format", "concise", *python], **run)
    assert checked.returncode == 0, checked.stdout
    formatted = subprocess.run([*ruff, "format", "--check", *python], **run)
    assert formatted.returncode == 0, formatted.stdout


def test_a_context_is_one_package_in_the_domain_and_one_module_in_each_other_layer(project):
    c: Context = plan_of(project).context
    written = [p for p in plan_of(project).writes if p.startswith("src/")]
    assert [p for p in written if p.startswith(f"src/app/domain/{c.name}/")] == [
        f"src/app/domain/{c.name}/{m}.py"
        for m in ("__init__", c.entity, "values", "events", "errors")
    ]
