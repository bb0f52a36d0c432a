"""Sphinx configuration: Markdown pages (MyST), generated settings table and OpenAPI document."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path[:0] = [str(DOCS / "_ext"), str(DOCS.parent / "src")]

# Building the app for its OpenAPI document reads settings like any process does. TEST mode
# reads no .env; the key only has to exist (nothing is signed).
os.environ.update(LAUNCH_MODE="TEST", SECRET_KEY="docs-build-only-not-a-secret")

from openapi_doc import write_openapi  # noqa: E402

GENERATED = DOCS / "_build" / "generated"

project = "app"
author = "the app maintainers"
copyright = "the app maintainers"
extensions = ["myst_parser", "settings_table", "openapi_doc"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_ext", "tutorial/orders"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
html_theme = "alabaster"
html_title = "app: service template"
html_extra_path = [str(GENERATED)]
openapi_schema = write_openapi(GENERATED / "openapi.json")
