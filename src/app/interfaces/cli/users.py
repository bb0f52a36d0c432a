"""`app users`: bootstrap an admin and grant or revoke roles, without SQL.

    app users create-admin --email E   create the account if it does not exist (the password
                                       is asked for twice), then grant it `admin`
    app users grant ROLE --email E     give the account ROLE (its sessions end)
    app users revoke ROLE --email E    take ROLE from it (never `admin` from the last admin)

A password is never an argument, which would stay in the shell's history and show in `ps`: on
a terminal it is asked for with getpass, twice; otherwise standard input holds it and its
confirmation, one per line. Whoever runs this holds the service's settings, database
included, so no signed-in admin is needed. Exit status 1 when a rule refuses the change (a
mismatch, a weak password, an unknown role or account, the last admin), with the reason.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from app.domain.auth.permissions import Role
from app.domain.shared import DomainError
from app.domain.users.errors import InvalidField, UserNotFound

if TYPE_CHECKING:
    from app.application.users import UserView
    from app.config.settings import Settings
    from app.container import Container

_Action = Callable[["Container", argparse.Namespace], Awaitable["UserView"]]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = commands.add_parser("users", help="create an admin, grant or revoke roles")
    actions = users.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create-admin", help="create the account if needed, grant admin")
    create.add_argument("--email", required=True)
    create.set_defaults(run=_run(_create_admin))
    roles = ", ".join(Role)
    for name, action in (("grant", _grant), ("revoke", _revoke)):
        parser = actions.add_parser(name, help=f"{name} a role ({roles})")
        parser.add_argument("role", metavar="ROLE")
        parser.add_argument("--email", required=True)
        parser.set_defaults(run=_run(action))


def _run(action: _Action) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from app.config.settings import load_settings
        from app.infrastructure.logging import configure_logging

        settings = load_settings()
        configure_logging(settings)
        return asyncio.run(_main(action, settings, args))

    return run


async def _main(action: _Action, settings: Settings, args: argparse.Namespace) -> int:
    from app.container import build_container
    from app.infrastructure.errors import UNAVAILABLE_ERRORS

    container = build_container(settings)
    try:
        view = await action(container, args)
    except DomainError as exc:
        print(f"refused: {exc.detail}", file=sys.stderr)
        return 1
    except UNAVAILABLE_ERRORS as exc:
        print(f"a dependency is unavailable: {exc}", file=sys.stderr)
        return 1
    finally:
        await container.aclose()
    print(f"{view.email} holds the roles: {', '.join(view.roles)}")
    return 0


async def _create_admin(container: Container, args: argparse.Namespace) -> UserView:
    from app.application.users import RegisterUser

    try:
        return await container.admin.grant(args.email, Role.ADMIN)
    except UserNotFound:
        pass
    password = await asyncio.to_thread(_new_password)
    await container.users.register(RegisterUser(email=args.email, password=password))
    print(f"created the account {args.email.strip().lower()}")
    return await container.admin.grant(args.email, Role.ADMIN)


async def _grant(container: Container, args: argparse.Namespace) -> UserView:
    return await container.admin.grant(args.email, args.role)


async def _revoke(container: Container, args: argparse.Namespace) -> UserView:
    return await container.admin.revoke(args.email, args.role)


def _new_password() -> str:
    """The new account's password, asked for twice; InvalidField when the two differ."""
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        again = getpass.getpass("Password again: ")
    else:
        password, again = _line(), _line()
    if password != again:
        raise InvalidField("password", "the password and its confirmation differ")
    return password


def _line() -> str:
    line = sys.stdin.readline()
    if not line:
        raise InvalidField("password", "standard input must hold the password and its repetition")
    return line.removesuffix("\n").removesuffix("\r")
