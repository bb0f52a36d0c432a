"""The `openapi-endpoints` directive: the operations of the REST API's OpenAPI document as a
table (conf.py reads the committed docs/contracts/openapi.json into `openapi_schema`).
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

_METHODS = ("get", "post", "put", "patch", "delete")


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for path, item in schema["paths"].items():
        for method in _METHODS:
            if op := item.get(method):
                auth = "bearer" if op.get("security") else "none"
                codes = ", ".join(sorted(op.get("responses", {})))
                rows.append((method.upper(), path, auth, codes, op.get("summary", "")))
    return rows


def _row(cells: list[nodes.Node]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += nodes.paragraph("", "", cell)
        row += entry
    return row


class OpenApiEndpoints(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        schema = self.config.openapi_schema
        table, group = nodes.table(), nodes.tgroup(cols=5)
        table += group
        for width in (1, 4, 1, 2, 4):
            group += nodes.colspec(colwidth=width)
        head, body = nodes.thead(), nodes.tbody()
        titles = ("method", "path", "auth", "documented responses", "summary")
        head += _row([nodes.Text(t) for t in titles])
        for method, path, auth, codes, summary in _operations(schema):
            cells = [nodes.literal(text=method), nodes.literal(text=path)]
            body += _row([*cells, nodes.Text(auth), nodes.Text(codes), nodes.Text(summary)])
        group += head
        group += body
        link = nodes.paragraph()
        link += nodes.Text("The whole document, docs/contracts/openapi.json: ")
        link += nodes.reference("", "openapi.json", refuri="openapi.json")
        link += nodes.Text(
            f" (OpenAPI {schema['openapi']}, API version {schema['info']['version']})."
        )
        return [link, table]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("openapi_schema", {}, "env")
    app.add_directive("openapi-endpoints", OpenApiEndpoints)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
