"""The edits of existing modules: placed by the code's own names, refused when they cannot be."""

import ast

import pytest

from app.interfaces.cli.scaffold.edits import (
    AnchorMissing,
    NameTaken,
    add_element,
    append,
    assigned,
    before_method,
    before_statement,
    class_field,
    ensure_import,
    in_function,
)

MODULE = '''"""A module."""

from __future__ import annotations

import uuid
from typing import Any

from app.domain.shared import DomainError

NAMES = ("a", "b")
TABLE = {
    "a": 1,
}


class Box:
    size: int
    label: str

    # Opens the box.
    async def __aenter__(self) -> Box:
        self.lid = 1
        return self

    def commit(self) -> None:
        """Close it."""
        self.users.sync()
        self.more()


def build(x: int) -> Any:
    return dict(x=x, y=2)
'''


def test_an_import_joins_the_modules_import_of_that_module_or_comes_after_the_last():
    text = ensure_import("typing", "Any", "Protocol")(MODULE)
    assert "from typing import Any, Protocol\n" in text
    text = ensure_import("app.domain.orders", "Order", "seen as Alias")(text)
    lines = text.split("\n")
    assert lines[lines.index("from app.domain.shared import DomainError") + 1] == (
        "from app.domain.orders import Order, seen as Alias"
    )
    assert ensure_import("typing", "Any")(MODULE) == MODULE  # imported already: unchanged


def test_an_import_of_a_name_the_module_uses_otherwise_is_refused():
    with pytest.raises(NameTaken, match="Box"):
        ensure_import("app.other", "Box")(MODULE)
    with pytest.raises(AnchorMissing, match="an import statement"):
        ensure_import("typing", "Any")("x = 1\n")


def test_appended_code_ends_the_module_and_must_bring_new_names():
    text = append("\n\nclass Crate:\n    pass\n")(MODULE)
    assert text.endswith("        return dict(x=x, y=2)\n\n\nclass Crate:\n    pass\n".lstrip(" "))
    ast.parse(text)
    with pytest.raises(NameTaken, match="build"):
        append("\n\ndef build() -> None: ...\n")(MODULE)


def test_code_before_a_statement_goes_above_its_comment():
    text = before_statement("TABLE", "SIZE = 3")(MODULE.replace("TABLE =", "# the table\nTABLE ="))
    assert "SIZE = 3\n\n\n# the table\nTABLE = {" in text


def test_a_class_gets_a_field_after_its_last_and_a_method_before_a_named_one():
    text = class_field("Box", "colour: str")(MODULE)
    assert "    label: str\n    colour: str\n" in text
    text = before_method("Box", "__aenter__", ["    def open(self) -> None: ...", ""])(MODULE)
    assert "    def open(self) -> None: ...\n\n    # Opens the box.\n    async def" in text
    with pytest.raises(AnchorMissing, match=r"method Box\.close"):
        before_method("Box", "close", ["pass"])(MODULE)
    with pytest.raises(AnchorMissing, match="class Crate"):
        class_field("Crate", "x: int")(MODULE)


def test_lines_go_into_a_function_before_its_return_after_its_syncs_or_at_its_end():
    text = in_function("Box.__aenter__", ["self.orders = 2"], where="before-return")(MODULE)
    assert "self.lid = 1\n        self.orders = 2\n        return self" in text
    text = in_function("Box.commit", ["self.orders.sync(self.outbox)"], where="after-sync")(text)
    assert "self.users.sync()\n        self.orders.sync(self.outbox)\n        self.more()" in text
    text = in_function("build", ["# done"], where="end")(MODULE)
    assert text.endswith("return dict(x=x, y=2)\n    # done\n")
    with pytest.raises(AnchorMissing, match=r"return statement that ends Box\.commit"):
        in_function("Box.commit", ["x"], where="before-return")(MODULE)
    with pytest.raises(AnchorMissing, match="sync"):
        in_function("Box.__aenter__", ["x"], where="after-sync")(MODULE)


def test_an_element_joins_a_tuple_a_dict_or_a_call_after_its_last():
    text = add_element(assigned("NAMES"), '"c"', "NAMES")(MODULE)
    assert 'NAMES = ("a", "b", "c")' in text
    text = add_element(assigned("TABLE"), '"b": 2', "TABLE")(text)
    assert ast.literal_eval(text.split("TABLE = ")[1].split("\n\n")[0]) == {"a": 1, "b": 2}

    def returned_call(tree: ast.Module) -> ast.expr:
        function = tree.body[-1]
        assert isinstance(function, ast.FunctionDef)
        return function.body[-1].value  # type: ignore[attr-defined,return-value]

    assert "dict(x=x, y=2, z=3)" in add_element(returned_call, "z=3", "build's dict")(MODULE)
    with pytest.raises(AnchorMissing, match="the assignment of SIZES"):
        add_element(assigned("SIZES"), "1", "SIZES")(MODULE)
