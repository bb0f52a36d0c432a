"""`app users` as an operator runs it: real processes, the password on stdin or a terminal."""

import asyncio
import fcntl
import os
import pty
import sys
import termios

import pytest

from app.application.auth import SignIn
from app.application.users import RegisterUser
from app.domain.auth.permissions import Role
from app.domain.users.errors import InvalidCredentials
from tests.conftest import app_process, process_env

PASSWORD = "a long enough password"
# Each test starts the command as a process of its own, a few seconds apiece.
pytestmark = pytest.mark.slow


async def run(container, *args: str, stdin: str = "") -> tuple[int, str, str]:
    async with app_process(container.settings, "users", *args, capture=True, stdin=True) as proc:
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def roles_after_sign_in(container, email: str, password: str = PASSWORD) -> frozenset[Role]:
    pair = await container.auth.sign_in(SignIn(email=email, password=password))
    return (await container.auth.authenticate(pair.access)).roles


async def register(container, email: str, password: str = PASSWORD) -> None:
    await container.users.register(RegisterUser(email=email, password=password))


async def test_create_admin_reads_the_password_twice_from_stdin_and_makes_an_admin(container):
    code, out, _ = await run(
        container, "create-admin", "--email", "Root@Example.com", stdin=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert code == 0
    assert "created the account root@example.com" in out
    assert "root@example.com holds the roles: admin, user" in out
    assert await roles_after_sign_in(container, "root@example.com") == {Role.USER, Role.ADMIN}


async def test_create_admin_of_an_existing_account_grants_admin_and_keeps_its_password(container):
    await register(container, "ada@example.com", "her own password")
    code, out, _ = await run(container, "create-admin", "--email", "ada@example.com")
    assert code == 0 and "created" not in out
    roles = await roles_after_sign_in(container, "ada@example.com", "her own password")
    assert roles == {Role.USER, Role.ADMIN}


@pytest.mark.parametrize(
    ("stdin", "reason"),
    [
        (f"{PASSWORD}\n{PASSWORD}!\n", "the password and its confirmation differ"),
        ("short\nshort\n", "must have 8 to 256 characters"),
        (f"{PASSWORD}\n", "standard input must hold the password and its repetition"),
    ],
)
async def test_create_admin_refuses_a_mismatch_a_weak_password_or_a_missing_line(
    container, stdin, reason
):
    code, _, err = await run(container, "create-admin", "--email", "root@example.com", stdin=stdin)
    assert code == 1
    assert f"refused: password: {reason}" in err
    with pytest.raises(InvalidCredentials):
        await container.auth.sign_in(SignIn(email="root@example.com", password=PASSWORD))


async def test_a_password_is_never_taken_as_an_argument(container):
    code, _, err = await run(
        container, "create-admin", "--email", "x@example.com", "--password", "p"
    )
    assert code == 2 and "unrecognized arguments" in err


async def test_grant_and_revoke_change_the_roles_and_refuse_what_the_rules_refuse(container):
    await register(container, "ada@example.com")
    await register(container, "bob@example.com")
    assert (await run(container, "grant", "admin", "--email", "ada@example.com"))[0] == 0
    assert (await run(container, "grant", "admin", "--email", "bob@example.com"))[0] == 0
    code, out, _ = await run(container, "revoke", "admin", "--email", "bob@example.com")
    assert (code, out.strip()) == (0, "bob@example.com holds the roles: user")
    assert await roles_after_sign_in(container, "bob@example.com") == {Role.USER}

    last = await run(container, "revoke", "admin", "--email", "ada@example.com")
    assert last[0] == 1 and "refused: This is the last active admin" in last[2]
    unknown_role = await run(container, "grant", "root", "--email", "ada@example.com")
    assert (
        unknown_role[0] == 1
        and "'root' is not a role; the roles are user, admin" in unknown_role[2]
    )
    nobody = await run(container, "grant", "admin", "--email", "nobody@example.com")
    assert nobody[0] == 1 and "refused: User not found" in nobody[2]


def _read_until(fd: int, marker: bytes, seen: bytearray) -> None:
    while marker not in seen:
        seen.extend(os.read(fd, 1024))


def _as_terminal() -> None:
    # In the child, before exec: a session of its own whose controlling terminal is the pty on
    # stdin, the terminal getpass opens.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


async def test_create_admin_on_a_terminal_asks_twice_without_echoing(container):
    master, terminal = pty.openpty()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.interfaces.cli",
        "users",
        "create-admin",
        "--email",
        "tty@example.com",
        env=process_env(container.settings, LOG_LEVEL="WARNING"),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
        preexec_fn=_as_terminal,
    )
    os.close(terminal)
    seen = bytearray()
    try:

        def converse() -> None:
            # getpass flushes what was typed before its prompt: answer each prompt once shown.
            _read_until(master, b"Password: ", seen)
            os.write(master, f"{PASSWORD}\n".encode())
            _read_until(master, b"Password again: ", seen)
            os.write(master, f"{PASSWORD}\n".encode())
            _read_until(master, b"holds the roles", seen)

        await asyncio.wait_for(asyncio.to_thread(converse), 60)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        os.close(master)
    assert PASSWORD.encode() not in seen  # echo was off while it was typed
    assert await roles_after_sign_in(container, "tty@example.com") == {Role.USER, Role.ADMIN}
