"""The committed modules in pb/ are exactly what scripts/gen_protos.sh makes from the protos."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PB = ROOT / "src/app/interfaces/grpc/pb"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_committed_generated_code_matches_a_fresh_generation(tmp_path):
    subprocess.run(
        ["bash", str(ROOT / "scripts/gen_protos.sh"), str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    fresh, committed = _files(tmp_path), _files(PB)
    stale = sorted(
        name for name in fresh.keys() | committed.keys() if fresh.get(name) != committed.get(name)
    )
    assert not stale, f"regenerate with `bash scripts/gen_protos.sh`; differing files: {stale}"
