"""Write the committed contract documents from the code: docs/contracts/openapi.json (REST) and
docs/contracts/asyncapi.yaml (events). The protos are written by hand (gen_protos.sh compiles them).

Usage: python scripts/gen_contracts.py [--check] [--release]

Both documents describe the default settings in TEST mode (the debug routes included), whatever
the environment says. `--check` writes nothing and exits 1 when a committed document differs.
`--release` also copies both documents and the protos into docs/contracts/released/, the
snapshot the breaking-change gates compare with (scripts/check_contracts.sh, docs/contracts.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = ROOT / "docs" / "contracts"
OPENAPI = CONTRACTS / "openapi.json"
ASYNCAPI = CONTRACTS / "asyncapi.yaml"
RELEASED = CONTRACTS / "released"
PROTOS = ROOT / "src" / "app" / "interfaces" / "grpc" / "protos"
# TEST reads no .env; the key only has to exist (nothing is signed).
DOCUMENTED_ENVIRONMENT = {"LAUNCH_MODE": "TEST", "SECRET_KEY": "contract-documents-not-a-secret"}


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def documented_settings() -> Any:
    """The settings the committed documents describe: every default, in TEST mode."""
    if str(ROOT / "src") not in sys.path:  # this checkout's code, installed or not
        sys.path.insert(0, str(ROOT / "src"))
    from app.config.settings import load_settings

    with _environment(DOCUMENTED_ENVIRONMENT):
        return load_settings()


def openapi_text(settings: Any) -> str:
    from app.interfaces.api.app import create_app

    schema = create_app(settings=settings).openapi()
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # a repeated object is written out again, not as an anchor


def asyncapi_text(settings: Any) -> str:
    from app.interfaces.asyncapi import asyncapi_document

    document = asyncapi_document(settings)
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def documents() -> dict[Path, str]:
    settings = documented_settings()
    return {OPENAPI: openapi_text(settings), ASYNCAPI: asyncapi_text(settings)}


def release() -> None:
    """Make the current documents and protos the snapshot the gates compare with."""
    RELEASED.mkdir(parents=True, exist_ok=True)
    for document in (OPENAPI, ASYNCAPI):
        shutil.copyfile(document, RELEASED / document.name)
    shutil.rmtree(RELEASED / "protos", ignore_errors=True)
    shutil.copytree(PROTOS, RELEASED / "protos")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; 1 when stale")
    parser.add_argument("--release", action="store_true", help="also refresh released/")
    args = parser.parse_args(argv)
    stale = {path: text for path, text in documents().items() if _read(path) != text}
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {os.path.relpath(path, ROOT)}")
    if args.check:
        return 1 if stale else 0
    for path, text in stale.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if args.release:
        release()
    return 0


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


if __name__ == "__main__":
    sys.exit(main())
