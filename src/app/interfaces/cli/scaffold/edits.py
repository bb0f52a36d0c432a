"""Edits of existing modules at insertion points found by their syntax, never by line numbers.

Each edit takes a module's text and returns it changed, or raises AnchorMissing naming what it
looked for, so a file changed by hand since still takes the edit (or says why not). An edit
adds code only; `ruff format` and ruff's import sorting then lay it out as the project does.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

Edit = Callable[[str], str]


class AnchorMissing(Exception):
    """The place an edit goes was not found; the message says what was looked for."""


class NameTaken(Exception):
    """The module already binds a name the edit would add."""


def module_names(text: str) -> set[str]:
    """The names a module binds at its top level: imports, classes, functions, assignments."""
    names: set[str] = set()
    for node in ast.parse(text).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def ensure_import(module: str, *names: str) -> Edit:
    """`from module import names` (each `name` or `name as alias`), into the module's import of
    `module` when it has one; a name it imports already is left as it is."""

    def edit(text: str) -> str:
        tree = ast.parse(text)
        found = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == module]
        have = {alias.asname or alias.name for node in found for alias in node.names}
        wanted = [name for name in names if _bound(name) not in have]
        if not wanted:
            return text
        taken = sorted({_bound(name) for name in wanted} & module_names(text))
        if taken:
            raise NameTaken(f"{', '.join(taken)} already means something else there")
        if not found:
            imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
            if not imports:
                raise AnchorMissing("an import statement to add one after")
            line = f"from {module} import {', '.join(wanted)}"
            return _insert_lines(text, imports[-1].end_lineno or 0, [line])
        node = found[0]
        shown = [f"{a.name} as {a.asname}" if a.asname else a.name for a in node.names]
        line = f"from {module} import {', '.join([*shown, *wanted])}"
        return _replace_lines(text, node.lineno, node.end_lineno or node.lineno, [line])

    return edit


def _bound(name: str) -> str:
    """The name an imported `name` (`x` or `x as y`) binds."""
    return name.rpartition(" as ")[2]


def append(fragment: str) -> Edit:
    """`fragment` (top-level code) at the end of the module; its names must be new there."""

    def edit(text: str) -> str:
        _check_new(text, fragment)
        return text.rstrip("\n") + "\n" + fragment.rstrip("\n") + "\n"

    return edit


def before_statement(name: str, fragment: str) -> Edit:
    """`fragment` just before the top-level statement that assigns `name`."""

    def edit(text: str) -> str:
        _check_new(text, fragment)
        node = _assignment(ast.parse(text).body, name)
        at = _above_comments(text, node.lineno - 1)
        return _insert_lines(text, at, [*fragment.rstrip("\n").split("\n"), "", ""])

    return edit


def class_field(class_name: str, line: str) -> Edit:
    """`line` (an annotation or an assignment) after the last one in the class's body."""

    def edit(text: str) -> str:
        body = _class(ast.parse(text), class_name).body
        fields = [n for n in body if isinstance(n, ast.AnnAssign | ast.Assign)]
        if not fields:
            raise AnchorMissing(f"a field of class {class_name}")
        last = fields[-1]
        return _insert_lines(text, last.end_lineno or 0, [_indent_like(text, last) + line])

    return edit


def before_method(class_name: str, method: str, lines: Iterable[str]) -> Edit:
    """`lines` (indented as the class body) just before one of the class's methods."""

    def edit(text: str) -> str:
        node = _method(_class(ast.parse(text), class_name), method)
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        return _insert_lines(text, _above_comments(text, first - 1), list(lines))

    return edit


def in_function(path: str, lines: Iterable[str], *, where: str) -> Edit:
    """`lines` in a function (`name` or `Class.method`): `where` is `before-return` (the last
    statement, a return), `after-sync` (after the last `self.<repository>.sync()` call of its
    first statements) or `end`."""

    def edit(text: str) -> str:
        function = _function(ast.parse(text), path)
        body = function.body
        indent = _indent_like(text, body[-1])
        if where == "before-return":
            if not isinstance(body[-1], ast.Return):
                raise AnchorMissing(f"the return statement that ends {path}")
            at = body[-1].lineno - 1
        elif where == "after-sync":
            syncs = [s for s in body if _is_sync_call(s)]
            if not syncs:
                raise AnchorMissing(f"a `self.<repository>.sync()` call in {path}")
            at = syncs[-1].end_lineno or 0
        else:
            at = body[-1].end_lineno or 0
        return _insert_lines(text, at, [indent + line for line in lines])

    return edit


def add_element(locate: Callable[[ast.Module], ast.expr], element: str, what: str) -> Edit:
    """`element` after the last element of the tuple, list or dict `locate` finds, or as the
    last argument of the call it finds (`element` is then `name=value`)."""

    def edit(text: str) -> str:
        try:
            node = locate(ast.parse(text))
        except (StopIteration, AttributeError, IndexError):
            raise AnchorMissing(what) from None
        items: list[ast.expr | ast.keyword]
        if isinstance(node, ast.Tuple | ast.List):
            items = list(node.elts)
        elif isinstance(node, ast.Dict):
            items = [value for value in node.values if value is not None]
        elif isinstance(node, ast.Call):
            items = [*node.args, *node.keywords]
        else:
            raise AnchorMissing(what)
        if not items:
            raise AnchorMissing(f"{what} (with an element already)")
        last = max(items, key=lambda item: (item.end_lineno or 0, item.end_col_offset or 0))
        return _insert_at(text, last.end_lineno or 0, last.end_col_offset or 0, f", {element}")

    return edit


def assigned(name: str) -> Callable[[ast.Module], ast.expr]:
    """The value assigned to top-level `name` (for add_element)."""
    return lambda tree: _value(_assignment(tree.body, name))


def _assignment(body: list[ast.stmt], name: str) -> ast.Assign | ast.AnnAssign:
    for node in body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            assert isinstance(node, ast.Assign | ast.AnnAssign)
            return node
    raise AnchorMissing(f"the assignment of {name}")


def _value(node: ast.Assign | ast.AnnAssign) -> ast.expr:
    if node.value is None:
        raise AnchorMissing("a value")
    return node.value


def _class(tree: ast.Module, name: str) -> ast.ClassDef:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    raise AnchorMissing(f"class {name}")


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    for node in cls.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    raise AnchorMissing(f"method {cls.name}.{name}")


def _function(tree: ast.Module, path: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    owner, _, name = path.rpartition(".")
    body = _class(tree, owner).body if owner else tree.body
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    raise AnchorMissing(f"function {path}")


def _is_sync_call(node: ast.stmt) -> bool:
    call = node.value if isinstance(node, ast.Expr) else None
    if isinstance(call, ast.Await):
        call = call.value
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "sync"
        and isinstance(call.func.value, ast.Attribute)
        and isinstance(call.func.value.value, ast.Name)
        and call.func.value.value.id == "self"
    )


def _check_new(text: str, fragment: str) -> None:
    taken = sorted(module_names(fragment) & module_names(text))
    if taken:
        raise NameTaken(f"{', '.join(taken)} already defined there")


def _indent_like(text: str, node: ast.AST) -> str:
    line = text.splitlines()[getattr(node, "lineno", 1) - 1]
    return line[: len(line) - len(line.lstrip())]


def _above_comments(text: str, line: int) -> int:
    """The line number before the comment lines that end at `line` (they stay with its code)."""
    old = text.split("\n")
    while line > 0 and old[line - 1].lstrip().startswith("#"):
        line -= 1
    return line


def _insert_lines(text: str, after: int, lines: list[str]) -> str:
    """`lines` after line number `after` (0: at the top)."""
    old = text.split("\n")
    return "\n".join([*old[:after], *lines, *old[after:]])


def _replace_lines(text: str, first: int, last: int, lines: list[str]) -> str:
    old = text.split("\n")
    return "\n".join([*old[: first - 1], *lines, *old[last:]])


def _insert_at(text: str, lineno: int, col: int, addition: str) -> str:
    old = text.split("\n")
    # ast counts columns in UTF-8 bytes.
    line = old[lineno - 1].encode()
    old[lineno - 1] = (line[:col] + addition.encode() + line[col:]).decode()
    return "\n".join(old)
