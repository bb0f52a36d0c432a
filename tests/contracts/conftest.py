"""The contract scripts as modules, and the documents they write."""

from __future__ import annotations

import importlib.util
import json
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@cache
def script(name: str) -> ModuleType:
    """scripts/<name>.py, imported once."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def documented() -> Any:
    """The settings the committed documents describe."""
    return script("gen_contracts").documented_settings()


@pytest.fixture
def committed_openapi() -> dict[str, Any]:
    return json.loads(script("gen_contracts").OPENAPI.read_text())


@pytest.fixture
def committed_asyncapi() -> dict[str, Any]:
    return yaml.safe_load(script("gen_contracts").ASYNCAPI.read_text())
