"""`app scaffold context` as typed: --dry-run lists and writes nothing; refusals exit with 2."""

from __future__ import annotations

import argparse

import pytest

from app.interfaces.cli.main import main
from app.interfaces.cli.scaffold.command import command_line, project_root
from app.interfaces.cli.scaffold.render import fit

DRY_RUN = ["scaffold", "context", "orders", "--field", "title:str:max=80", "--dry-run"]


def test_a_dry_run_lists_the_files_to_write_and_edit_and_writes_none(capsys):
    assert main(DRY_RUN) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("app scaffold context orders: ")
    assert "write src/app/domain/orders/order.py" in out
    assert "edit  src/app/container.py" in out
    assert not (project_root() / "src/app/domain/orders").exists()


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["users", "--field", "title:str"], "clashes with what exists"),
        (["class", "--field", "title:str"], "is a Python keyword"),
        (["orders", "--field", "def:str"], "is a Python keyword"),
        (["orders", "--field", "title:float"], "unknown type"),
        (["orders"], "at least one --field"),
    ],
)
def test_a_refused_context_exits_with_2_saying_why(capsys, arguments, says):
    assert main(["scaffold", "context", *arguments, "--dry-run"]) == 2
    assert says in capsys.readouterr().err


def test_the_command_line_is_recorded_as_a_shell_would_take_it():
    args = argparse.Namespace(
        name="orders",
        field=["due:date?", "kind:enum(a|b)"],
        singular=None,
        owner=True,
        no_grpc=True,
        no_consumer=False,
        events="created",
    )
    assert command_line(args) == (
        "app scaffold context orders --field 'due:date?' --field 'kind:enum(a|b)'"
        " --owner --no-grpc --events created"
    )


def test_long_comments_and_docstrings_are_wrapped_at_the_line_length():
    long = "word " * 30
    source = f'def f() -> None:\n    """{long}end."""\n    # {long}end\n    x = 1  # short\n'
    fitted = fit(source)
    assert max(len(line) for line in fitted.splitlines()) <= 100
    assert fitted.split().count("word") == source.split().count("word")
    assert '    """word' in fitted and 'end."""\n    # word' in fitted
    assert fit("    indented = 1\n") == "    indented = 1\n"  # a fragment: left as it is
