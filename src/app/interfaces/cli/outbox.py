"""`app outbox`: the outbox rows the broker kept refusing, which the relay parked.

    app outbox [list]        the parked rows: id, message id, event, attempts, failed at, error
    app outbox retry ID      queue one again (exit status 1 when no parked row has this id)
    app outbox retry --all   queue every parked row again

A row queued again starts afresh: no attempts counted, due now. The younger rows of its key
went out while it was parked, so it reaches the consumers after them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable

from app.config.settings import Settings, load_settings
from app.infrastructure.clock import SystemClock
from app.infrastructure.db.engine import create_engine, create_session_factory
from app.infrastructure.db.outbox_admin import FailedRow, ParkedOutbox
from app.infrastructure.errors import UNAVAILABLE_ERRORS
from app.infrastructure.logging import configure_logging

COLUMNS = ("id", "message_id", "event", "attempts", "failed_at", "last_error")


def run_outbox(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings)
    try:
        action = _ACTIONS[args.action or "list"]  # `app outbox` alone lists
        return asyncio.run(_main(settings, action, args))
    except UNAVAILABLE_ERRORS as exc:
        print(f"the database is unavailable: {exc}", file=sys.stderr)
        return 1


async def _main(settings: Settings, action: _Action, args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    try:
        return await action(ParkedOutbox(create_session_factory(engine), SystemClock()), args)
    finally:
        await engine.dispose()


async def _list(parked: ParkedOutbox, args: argparse.Namespace) -> int:
    rows = await parked.list()
    if not rows:
        print("no parked outbox rows")
        return 0
    print("\t".join(COLUMNS))
    for row in rows:
        print("\t".join(_cells(row)))
    return 0


async def _retry(parked: ParkedOutbox, args: argparse.Namespace) -> int:
    if args.all:
        print(f"{await parked.retry_all()} parked outbox rows queued again")
        return 0
    if not await parked.retry(args.id):
        print(f"no parked outbox row has id {args.id}", file=sys.stderr)
        return 1
    print(f"outbox row {args.id} queued again")
    return 0


def _cells(row: FailedRow) -> list[str]:
    error = " ".join((row.last_error or "").split())  # one line per row, whatever the error says
    return [
        str(row.id),
        str(row.message_id),
        row.event,
        str(row.attempts),
        str(row.failed_at),
        error,
    ]


_Action = Callable[[ParkedOutbox, argparse.Namespace], Awaitable[int]]
_ACTIONS: dict[str, _Action] = {"list": _list, "retry": _retry}
