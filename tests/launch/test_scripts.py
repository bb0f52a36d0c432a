"""The launch scripts answer --help, and the container files pass the static checks."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROOT_SCRIPTS = sorted(ROOT.glob("*.sh"))


def test_the_repository_root_has_the_three_launch_scripts():
    assert {p.name for p in ROOT_SCRIPTS} >= {"local_prepare.sh", "local_run.sh", "beautify.sh"}


@pytest.mark.parametrize(
    "script", [*ROOT_SCRIPTS, ROOT / "scripts" / "check_launch.sh"], ids=lambda p: p.name
)
def test_every_script_answers_help_with_its_usage_and_exit_0(script):
    done = subprocess.run(
        ["bash", str(script), "--help"], capture_output=True, text=True, timeout=20, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "usage" in done.stdout.lower()


@pytest.mark.parametrize("script", ROOT_SCRIPTS, ids=lambda p: p.name)
def test_every_script_is_strict_bash(script):
    assert "set -euo pipefail" in script.read_text()


def test_the_container_files_pass_compose_config_and_hadolint():
    done = subprocess.run(
        ["bash", "scripts/check_launch.sh"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "launch files: ok" in done.stdout
    assert "skipped:" not in done.stdout, done.stdout
