"""A copy of the project's source tree for the scaffold to plan in and write to."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What a plan reads and edits: the code, the shared tests, the docs' index, the tools' configs.
COPIED = (
    "src",
    "pyproject.toml",
    "alembic.ini",
    "tests/fakes.py",
    "tests/conftest.py",
    "tests/contracts/test_events.py",
    "docs/index.md",
    "scripts/gen_contracts.py",
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in COPIED:
        source, target = ROOT / name, tmp_path / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    return tmp_path
