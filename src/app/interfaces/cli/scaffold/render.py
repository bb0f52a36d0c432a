"""The templates (Mako, in templates/) rendered for a context."""

from __future__ import annotations

import io
import textwrap
import tokenize
from functools import cache
from pathlib import Path
from typing import Any

from mako.template import Template  # type: ignore[import-untyped]

from app.interfaces.cli.scaffold import kinds, samples
from app.interfaces.cli.scaffold.spec import Context

TEMPLATES = Path(__file__).parent / "templates"
WIDTH = 100  # the project's line length (ruff)


def render(name: str, c: Context, **extra: Any) -> str:
    """Template `name` for `c`: `c` is the context, `k` the spellings of its fields' types, `s`
    their sample values. Python comes out with its long comments and docstrings wrapped."""
    text = str(_template(name).render(c=c, k=kinds, s=samples, **extra))
    return fit(text) if name.endswith(".py.mako") else text


def fit(source: str) -> str:
    """Comments and docstrings longer than WIDTH wrapped at WIDTH: ruff formats the code, but
    leaves text as it is (a long name of a context makes a template's line too long)."""
    lines = source.split("\n")
    replaced: dict[int, tuple[int, list[str]]] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):  # a fragment in a class: placed as it is
        return source
    for token in tokens:
        (first, column), (last, _) = token.start, token.end
        if not any(len(lines[n - 1]) > WIDTH for n in range(first, last + 1)):
            continue
        indent = lines[first - 1][:column]
        if token.type == tokenize.COMMENT and not lines[first - 1][:column].strip():
            words = token.string.lstrip("#").strip()
            wrapped = textwrap.wrap(words, WIDTH - len(indent) - 2)
            replaced[first] = (last, [f"{indent}# {line}" for line in wrapped])
        elif token.type == tokenize.STRING and token.string.startswith('"""'):
            replaced[first] = (last, _docstring(token.string, indent))
    for first, (last, new) in sorted(replaced.items(), reverse=True):
        lines[first - 1 : last] = new
    return "\n".join(lines)


def _docstring(string: str, indent: str) -> list[str]:
    """A docstring's text wrapped in the project's layout: closing quotes after the last word."""
    paragraphs = [" ".join(p.split()) for p in string[3:-3].split("\n\n")]
    # The first line holds the opening quotes, the last the closing ones: room for both.
    width = WIDTH - len(indent) - 6
    lines: list[str] = []
    for paragraph in paragraphs:
        lines += [*textwrap.wrap(paragraph, width), ""]
    lines = (
        ['"""' + lines[0], *lines[1:-2], lines[-2] + '"""']
        if len(lines) > 2
        else [f'"""{lines[0]}"""']
    )
    return [indent + line if line else "" for line in lines]


def proto_names(c: Context) -> set[str]:
    """The messages and the service the context's proto declares (one package for all)."""
    e, entities = c.Entity, c.Entities
    rpcs = [f"Create{e}", f"Get{e}", f"List{entities}", f"Update{e}", f"Delete{e}"]
    return {e, f"{entities}Service"} | {
        f"{rpc}{part}" for rpc in rpcs for part in ("Request", "Response")
    }


@cache
def _template(name: str) -> Template:
    # strict_undefined: a name the template does not get is an error, never empty text.
    return Template(filename=str(TEMPLATES / name), strict_undefined=True)
