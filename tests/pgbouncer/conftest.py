"""Debian's PgBouncer, started by the tests in transaction pooling mode in front of PostgreSQL.

It listens on a free loopback port with a server pool much smaller than the clients' pools, so
consecutive transactions of one client connection land on different server connections, as
they do in production behind a busy PgBouncer. `bash local_prepare.sh` installs the package.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config.settings import Settings
from tests.conftest import free_port
from tests.messaging.conftest import wait_for_port

PGBOUNCER = Path("/usr/sbin/pgbouncer")
SERVER_POOL = 4  # server connections per database and user: far fewer than the clients hold


class PgBouncer:
    """One PgBouncer process; `stop()` ends it. It logs to `log`."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        self.log = self.directory / "pgbouncer.log"
        self._settings = settings
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        config = self.directory / "pgbouncer.ini"
        users = self.directory / "users.txt"
        config.write_text(self._config(users))
        users.write_text(f'"{self._settings.db_user}" ""\n')
        command = [str(PGBOUNCER), str(config)]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root: it drops to postgres itself
            self._give_to("postgres", config, users)
            command[1:1] = ["-u", "postgres"]
        with self.log.open("ab") as log:  # the child keeps its own copy of the descriptor
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None

    def _config(self, users: Path) -> str:
        upstream = f"host={self._settings.db_host} port={self._settings.db_port}"
        return f"""\
[databases]
* = {upstream}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = transaction
default_pool_size = {SERVER_POOL}
max_client_conn = 200
log_connections = 0
log_disconnections = 0
"""

    def _give_to(self, user: str, *files: Path) -> None:
        account = pwd.getpwnam(user)
        for path in (self.directory, *files):
            os.chown(path, account.pw_uid, account.pw_gid)


@pytest.fixture(scope="module")
def pgbouncer(settings: Settings) -> Iterator[PgBouncer]:
    if not PGBOUNCER.exists():
        pytest.fail(
            f"{PGBOUNCER} is missing: run `bash local_prepare.sh` (apt-get install pgbouncer)"
        )
    bouncer = PgBouncer(settings)
    bouncer.start()
    yield bouncer
    bouncer.stop()
    shutil.rmtree(bouncer.directory, ignore_errors=True)
