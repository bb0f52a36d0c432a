"""scripts/check_deploy.sh: documented, strict, and part of CI."""

import subprocess

from tests.deploy.conftest import ROOT

SCRIPT = ROOT / "scripts" / "check_deploy.sh"


def test_the_deploy_check_answers_help_with_its_usage():
    done = subprocess.run(
        ["bash", str(SCRIPT), "--help"], capture_output=True, text=True, timeout=20, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "usage" in done.stdout.lower()


def test_the_deploy_check_is_strict_bash_and_runs_in_ci():
    assert "set -euo pipefail" in SCRIPT.read_text()
    assert "bash scripts/check_deploy.sh" in (ROOT / ".ci" / "run").read_text().splitlines()
