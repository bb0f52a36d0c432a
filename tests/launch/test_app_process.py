"""`app_process`, the helper every process test starts the service with, leaves nothing behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.conftest import app_process, free_port


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be read


async def test_the_workers_of_a_multi_worker_api_end_with_it(settings):
    port = free_port()
    async with app_process(settings, "api", "--port", str(port), "--workers", "2") as process:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(300):
                try:
                    if (await http.get("/livez")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)  # polling the port while the workers start
        workers = _children(process.pid)
        assert len(workers) >= 2, workers
    for _ in range(50):
        if not any(_running(pid) for pid in workers):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"workers left running: {sorted(p for p in workers if _running(p))}")
