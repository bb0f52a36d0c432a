"""Where forked workers keep their metrics: prometheus-client's PROMETHEUS_MULTIPROC_DIR.

prometheus-client keeps values in per-process files instead of memory when this variable is set
as it is imported. So a supervisor (gunicorn's master, `app api --workers N`, `app worker` with
the prefork pool) calls `prepare` before any of its workers imports it; they inherit the
variable, and a scrape of any one of them adds up the files of all. Nothing here imports
prometheus-client before the variable is set.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_LIVE_GAUGES = "gauge_live*_*.db"  # the files of gauges that count live processes only
_made: dict[int, Path] = {}  # the directory `prepare` made, by the process that made it


def prepare() -> None:
    """Point VARIABLE at an empty directory: a fresh temporary one when it is unset.

    Raises RuntimeError when prometheus-client was imported first: the workers this process
    forks would keep their values in memory, where no scrape adds them up.
    """
    given = os.environ.get(VARIABLE)
    if "prometheus_client" in sys.modules and not given:
        raise RuntimeError(f"{VARIABLE} must be set before prometheus_client is imported")
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        # A previous run's values would be added to this one's.
        for stale in (*path.glob("*.db"), *path.glob("*.json")):
            stale.unlink()
        return
    made = Path(tempfile.mkdtemp(prefix="app-metrics-"))
    _made[os.getpid()] = made
    os.environ[VARIABLE] = str(made)


def cleanup() -> None:
    """Delete the directory `prepare` made in this process (not in a forked worker's), if any."""
    made = _made.pop(os.getpid(), None)
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)


def forget(pid: int) -> None:
    """Take an exited worker's live gauges (requests in flight, pools) out of the sums."""
    if os.environ.get(VARIABLE):
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(pid)  # type: ignore[no-untyped-call]


def forget_dead_workers() -> None:
    """Forget the workers that died without `forget` (killed): each new worker runs it at start."""
    shared = os.environ.get(VARIABLE)
    if not shared:
        return
    for file in Path(shared).glob(_LIVE_GAUGES):
        pid = int(file.stem.rsplit("_", 1)[1])
        if not _alive(pid):
            forget(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
