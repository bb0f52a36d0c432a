"""Sphinx configuration: Markdown pages (MyST), generated settings table, the contracts."""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path[:0] = [str(DOCS / "_ext"), str(DOCS.parent / "src")]

from contracts_doc import publish_contracts  # noqa: E402

GENERATED = DOCS / "_build" / "generated"

project = "app"
author = "the app maintainers"
copyright = "the app maintainers"
extensions = ["myst_parser", "settings_table", "openapi_doc", "contracts_doc"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_ext", "tutorial/orders"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
html_theme = "alabaster"
html_title = "app: service template"
html_extra_path = [str(GENERATED)]
# The committed documents (tests hold them to what the code serves), beside a Redoc page.
openapi_schema, asyncapi_document = publish_contracts(DOCS / "contracts", GENERATED)
