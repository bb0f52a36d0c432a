"""`settings-table`: every setting, its default and meaning, generated at build time.

Names and defaults come from `app.config.settings` (the dataclass and what `load_settings`
returns for an empty environment); meanings and groups from `.env.example`. A setting missing
from either side fails the build, so the page cannot drift from the code.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, fields
from enum import Enum
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

from app.config.settings import Settings, load_settings

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"
_GROUP = re.compile(r"^#\s*-+\s*(.+?)\s*-+\s*$")
_VARIABLE = re.compile(r"^([A-Z][A-Z0-9_]*)=(\S*)\s*(?:#\s*(.*))?$")
# Values that have no usable default: shown as what they are, not as a fake value.
_REQUIRED = {"SECRET_KEY": "none: required, shared by every process (PROD: 32+ characters)"}


@dataclass(frozen=True)
class Documented:
    group: str
    name: str
    meaning: str


def documented_variables(path: Path = ENV_EXAMPLE) -> list[Documented]:
    """The variables of .env.example in file order, with their group and comment."""
    group, found = "general", []
    for line in path.read_text().splitlines():
        if header := _GROUP.match(line):
            group = header.group(1)
        elif variable := _VARIABLE.match(line):
            found.append(Documented(group, variable.group(1), variable.group(3) or ""))
    return found


@contextmanager
def _bare_environment():
    """No setting variable and no .env in sight, so load_settings returns the code's defaults."""
    names = {f.name.upper() for f in fields(Settings)}
    saved = {name: os.environ.pop(name) for name in list(os.environ) if name in names}
    cwd = Path.cwd()
    with tempfile.TemporaryDirectory() as empty:
        os.chdir(empty)
        os.environ["SECRET_KEY"] = "x"
        try:
            yield
        finally:
            os.chdir(cwd)
            os.environ.pop("SECRET_KEY", None)
            os.environ.update(saved)


def code_defaults() -> dict[str, str]:
    with _bare_environment():
        settings = load_settings()
    return {f.name.upper(): _shown(getattr(settings, f.name)) for f in fields(settings)}


def _shown(value: Any) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, tuple):
        return ",".join(value) or "(empty)"
    if isinstance(value, bool):
        return str(value).lower()
    return "(empty)" if value == "" else str(value)


def _checked(documented: list[Documented], defaults: dict[str, str]) -> None:
    names = {d.name for d in documented}
    if missing := sorted(set(defaults) - names):
        raise ExtensionError(f".env.example does not document {missing}")
    if unknown := sorted(names - set(defaults)):
        raise ExtensionError(f".env.example lists {unknown}, which Settings does not read")


def _row(*cells: nodes.Node) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += nodes.paragraph("", "", cell)
        row += entry
    return row


def _table(rows: list[tuple[str, str, str]]) -> nodes.table:
    table, group = nodes.table(), nodes.tgroup(cols=3)
    table += group
    for width in (3, 2, 6):
        group += nodes.colspec(colwidth=width)
    head, body = nodes.thead(), nodes.tbody()
    head += _row(nodes.Text("variable"), nodes.Text("default"), nodes.Text("meaning"))
    for name, default, meaning in rows:
        body += _row(nodes.literal(text=name), nodes.literal(text=default), nodes.Text(meaning))
    group += head
    group += body
    return table


class SettingsTable(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(ENV_EXAMPLE))
        documented, defaults = documented_variables(), code_defaults()
        _checked(documented, defaults)
        output: list[nodes.Node] = []
        for group in dict.fromkeys(d.group for d in documented):
            rows = [
                (d.name, _REQUIRED.get(d.name, defaults[d.name]), d.meaning)
                for d in documented
                if d.group == group
            ]
            output += [nodes.rubric(text=group), _table(rows)]
        return output


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("settings-table", SettingsTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
