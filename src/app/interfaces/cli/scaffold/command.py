"""`app scaffold context NAME --field ...`: a bounded context through every layer, with its tests.

It writes the files of the plan (never over an existing one), makes the edits, then runs what
the project runs by hand after such a change: the gRPC code generation, Alembic's autogenerate
(against a scratch database), ruff's layout and import order, and the contract documents.
Exit status: 0 done, 2 refused (a bad field, a taken name), 1 failed (an edit or a tool).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import app
from app.interfaces.cli.scaffold.spec import TYPES, SpecError

if TYPE_CHECKING:  # the plan and its steps are imported when the command runs, not for --help
    from app.interfaces.cli.scaffold.plan import Plan

REFUSED, FAILED = 2, 1


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scaffold = commands.add_parser("scaffold", help="write new code into this project")
    what = scaffold.add_subparsers(dest="what", required=True)
    context = what.add_parser(
        "context",
        help="a bounded context through every layer (REST, gRPC, consumer), with its tests",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    context.add_argument("name", help="the plural, snake_case: orders, line_items")
    context.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME:TYPE[?][:KEY=VALUE,...]",
        help=f"a field; types: {', '.join(TYPES[:-1])}, enum(a|b|c); `?` makes it optional;"
        " constraints min=, max= (str, text, int, decimal), digits=, places= (decimal)",
    )
    context.add_argument("--singular", help="the record's name when NAME is no regular plural")
    context.add_argument("--owner", action="store_true", help="each record belongs to its creator")
    context.add_argument("--events", help="some of created,updated,deleted (default: all)")
    context.add_argument("--no-grpc", action="store_true", help="no proto, servicer, RPC tests")
    context.add_argument("--no-consumer", action="store_true", help="no handler of `created`")
    context.add_argument("--dry-run", action="store_true", help="list the files, change nothing")
    context.set_defaults(run=run_context)


def run_context(args: argparse.Namespace) -> int:
    from app.interfaces.cli.scaffold.edits import AnchorMissing, NameTaken
    from app.interfaces.cli.scaffold.plan import make_plan
    from app.interfaces.cli.scaffold.spec import parse_context

    root = project_root()
    try:
        c = parse_context(
            args.name,
            args.field,
            singular=args.singular,
            owner=args.owner,
            events=args.events,
            grpc=not args.no_grpc,
            consumer=not args.no_consumer,
        )
        plan = make_plan(c, root, command_line(args))
    except SpecError as exc:
        return _fail(REFUSED, str(exc))
    except NameTaken as exc:
        return _fail(REFUSED, f"{args.name!r} is taken: {exc}")
    except AnchorMissing as exc:
        return _fail(FAILED, f"cannot place an edit, so nothing was written: {exc}")
    written, edited = len(plan.writes) + len(plan.made), len(plan.edits) + len(plan.regenerated)
    print(f"app scaffold context {c.name}: {written} files to write, {edited} to edit")
    print("\n".join(listing(plan)))
    if args.dry_run:
        return 0
    return _carry_out(plan, root)


def listing(plan: Plan) -> list[str]:
    """`write PATH` for each new file, `edit PATH` for each existing one, in the plan's order."""
    return [
        *(f"write {path}" for path in [*plan.writes, *plan.made]),
        *(f"edit  {path}" for path in [*plan.edits, *plan.regenerated]),
    ]


def project_root() -> Path:
    """The source tree the `app` package is imported from (an editable install's checkout)."""
    root = Path(app.__file__).resolve().parents[2]
    if not (root / "pyproject.toml").exists():
        raise SystemExit("app scaffold: run it from the project's checkout (an editable install)")
    return root


def command_line(args: argparse.Namespace) -> str:
    """The command as typed, for the context's documentation page."""
    words = ["app", "scaffold", "context", args.name]
    words += [word for spec in args.field for word in ("--field", spec)]
    words += ["--singular", args.singular] if args.singular else []
    words += ["--owner"] * args.owner + ["--no-grpc"] * args.no_grpc
    words += ["--no-consumer"] * args.no_consumer
    words += ["--events", args.events] if args.events else []
    return shlex.join(words)


def _carry_out(plan: Plan, root: Path) -> int:
    from app.interfaces.cli.scaffold import steps

    try:
        steps.write(plan, root)
    except FileExistsError as exc:
        return _fail(REFUSED, f"{exc.filename} appeared meanwhile: nothing more was written")
    try:
        steps.finish(plan, root)
    except steps.StepFailed as exc:
        return _fail(FAILED, f"{exc}; the files listed are written, finish the step by hand")
    return 0


def _fail(status: int, message: str) -> int:
    print(f"app scaffold: {message}", file=sys.stderr)
    return status


def tool_environment(root: Path) -> dict[str, str]:
    """The environment of the tools run: this project's `src` first on the import path."""
    path = os.pathsep.join([str(root / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])
    return {**os.environ, "PYTHONPATH": path}


def run_tool(root: Path, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command), cwd=root, env=tool_environment(root), capture_output=True, text=True
    )
