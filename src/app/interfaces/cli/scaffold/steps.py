"""Carrying out a plan: write the new files, make the edits, then run the project's tools."""

from __future__ import annotations

import sys
from pathlib import Path

from app.interfaces.cli.scaffold.command import run_tool
from app.interfaces.cli.scaffold.migration import reviewed
from app.interfaces.cli.scaffold.plan import CONTRACTS_SCRIPT, Plan, apply_edits, next_revision


class StepFailed(Exception):
    """A tool failed; the message names it and quotes what it said."""


def write(plan: Plan, root: Path) -> None:
    """Each new file (refusing one that exists: mode `x`), then each edit."""
    for path, text in plan.writes.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as file:
            file.write(text)
    for path, edits in plan.edits.items():
        (root / path).write_text(apply_edits(root, path, edits), encoding="utf-8")


def finish(plan: Plan, root: Path) -> None:
    """The generated gRPC modules, the migration, ruff, then the contract documents."""
    if plan.context.grpc:
        _run(root, "the gRPC code generation", ["bash", "scripts/gen_protos.sh"])
    migration = _migration(plan, root)
    lay_out(root, [*plan.writes, migration], list(plan.edits))
    if (root / CONTRACTS_SCRIPT).exists():
        _run(root, "the contract documents", [sys.executable, CONTRACTS_SCRIPT])


def _migration(plan: Plan, root: Path) -> str:
    """Alembic's autogenerate in a process of its own, then its text reviewed; its path."""
    module = "app.interfaces.cli.scaffold.migration"
    command = [sys.executable, "-m", module, str(root), plan.context.name, next_revision(root)]
    printed = _run(root, "Alembic's autogenerate", command)
    # Alembic reports what it generates on stdout too: the path is the last line.
    path = str(Path(printed.splitlines()[-1]).resolve().relative_to(root.resolve()))
    if path != plan.made[0]:
        raise StepFailed(f"the migration is {path}, not {plan.made[0]}")
    target = root / path
    target.write_text(reviewed(target.read_text(), plan.context), encoding="utf-8")
    return path


def lay_out(root: Path, written: list[str], edited: list[str]) -> None:
    """ruff on the Python files: the imports a template spells out but this context does not
    use go, imports are sorted (only the new ones move in an edited file), the code formatted."""
    new = [path for path in written if path.endswith(".py")]
    changed = [path for path in edited if path.endswith(".py")]
    ruff = [sys.executable, "-m", "ruff"]
    _run(root, "ruff", [*ruff, "check", "--fix", "--select", "I,F401", "--quiet", *new])
    _run(root, "ruff", [*ruff, "check", "--fix", "--select", "I", "--quiet", *changed])
    _run(root, "ruff", [*ruff, "format", "--quiet", *new, *changed])


def _run(root: Path, what: str, command: list[str]) -> str:
    print(f"run   {what}")
    done = run_tool(root, command)
    if done.returncode != 0:
        raise StepFailed(
            f"{what} failed ({done.returncode}): {(done.stderr or done.stdout).strip()}"
        )
    return done.stdout
