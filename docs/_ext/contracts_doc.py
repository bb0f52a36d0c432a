"""The committed contracts in the docs: the REST API on a Redoc page, and the events' schemas.

`publish_contracts` (called by conf.py) puts docs/contracts/openapi.json and asyncapi.yaml
where the HTML build publishes them, with `redoc.html`: Redoc's page over that openapi.json,
its script and favicon copied from the fastapi-offline package, so the page asks no other host
(no CDN, no web fonts). The `event-schemas` directive lists every event of asyncapi.yaml:
who sends and receives it, and the JSON Schema of its `data`; the `published` role links to
one of these files (``{published}`the reference <redoc.html>` ``), which are no Sphinx pages.
"""

from __future__ import annotations

import json
import shutil
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import ReferenceRole, SphinxDirective

REDOC_PAGE = "redoc.html"
_ASSETS = ("redoc.standalone.js", "favicon.png")
_DIRECTIONS = {"send": "published", "receive": "consumed"}


def publish_contracts(contracts: Path, target: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Copy the documents and write the Redoc page into `target`; return both documents."""
    from fastapi.openapi.docs import get_redoc_html

    target.mkdir(parents=True, exist_ok=True)
    for name in ("openapi.json", "asyncapi.yaml"):
        shutil.copyfile(contracts / name, target / name)
    static = files("fastapi_offline") / "static"
    for asset in _ASSETS:
        (target / asset).write_bytes((static / asset).read_bytes())
    openapi = json.loads((contracts / "openapi.json").read_text())
    page = get_redoc_html(
        openapi_url="openapi.json",
        title=f"{openapi['info']['title']} - REST API",
        redoc_js_url=_ASSETS[0],
        redoc_favicon_url=_ASSETS[1],
        with_google_fonts=False,
    )
    (target / REDOC_PAGE).write_bytes(page.body)
    return openapi, yaml.safe_load((contracts / "asyncapi.yaml").read_text())


def _directions(document: dict[str, Any]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for operation in document["operations"].values():
        for message in operation["messages"]:
            name = message["$ref"].rsplit("/", 1)[1]
            found.setdefault(name, set()).add(_DIRECTIONS[operation["action"]])
    return found


class Published(ReferenceRole):
    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        return [nodes.reference(self.rawtext, self.title, refuri=self.target)], []


class EventSchemas(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        document = self.config.asyncapi_document
        schemas = document["components"]["schemas"]
        directions = _directions(document)
        listed: list[nodes.Node] = []
        for name in document["components"]["messages"]:
            if name not in schemas:  # the dead letter: any body, described on this page
                continue
            title = nodes.paragraph()
            title += nodes.strong(text=name)
            title += nodes.Text(f" ({' and '.join(sorted(directions.get(name, ())))})")
            schema = json.dumps(schemas[name], indent=2)
            listed += [title, nodes.literal_block(schema, schema, language="json")]
        return listed


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("asyncapi_document", {}, "env")
    app.add_directive("event-schemas", EventSchemas)
    app.add_role("published", Published())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
