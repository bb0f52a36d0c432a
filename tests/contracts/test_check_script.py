"""scripts/check_contracts.sh: documented, strict, in CI, with exact tools and no addresses."""

from __future__ import annotations

import json
import re
import subprocess

from tests.contracts.conftest import ROOT

SCRIPT = ROOT / "scripts" / "check_contracts.sh"
TOOLS = ROOT / "scripts" / "contracts"
EXACT = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")


def test_the_contract_check_answers_help_with_its_usage():
    done = subprocess.run(
        ["bash", str(SCRIPT), "--help"], capture_output=True, text=True, timeout=20, check=False
    )

    assert done.returncode == 0, done.stderr
    assert "usage" in done.stdout.lower()


def test_the_contract_check_is_strict_bash_and_runs_in_ci():
    assert "set -euo pipefail" in SCRIPT.read_text()
    assert "bash scripts/check_contracts.sh" in (ROOT / ".ci" / "run").read_text().splitlines()


def test_the_npm_tools_are_exact_versions_locked_without_download_addresses():
    manifest = json.loads((TOOLS / "package.json").read_text())
    lock = json.loads((TOOLS / "package-lock.json").read_text())

    assert all(EXACT.match(version) for version in manifest["dependencies"].values())
    assert lock["packages"][""]["dependencies"] == manifest["dependencies"]
    packages = [p for name, p in lock["packages"].items() if name]
    assert packages and all("resolved" not in p for p in packages)
    # Each download is checked against its digest (a bundled package comes inside another).
    assert all("integrity" in p for p in packages if not p.get("inBundle"))


def test_the_installed_tools_and_the_generated_client_stay_out_of_git():
    ignored = (ROOT / ".gitignore").read_text().splitlines()

    assert {"scripts/contracts/node_modules/", "scripts/contracts/client/"} <= set(ignored)
