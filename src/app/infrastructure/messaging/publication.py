"""What publishing a batch tells the outbox relay: per message, confirmed or refused.

Two failures differ. A broker that is down, stuck or misconfigured (refused connections,
timeouts, a missing queue, a full queue) fails every message alike: the publishers raise
DependencyUnavailable for the whole call. A broker that refuses one message for what it is
(larger than its limit, a body that cannot be encoded) refuses it every time it is sent: that
is a MessageRefused outcome of that message alone, and the others of the batch are unaffected.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.application.ports import OutgoingMessage
from app.infrastructure.messaging.envelope import encode


class MessageRefused(Exception):
    """The broker (or its client's own limit) refuses this message: sent again, it fails again."""


def encoded(message: OutgoingMessage) -> bytes | MessageRefused:
    """The message's body, or its refusal when its data has no JSON form."""
    try:
        return encode(message)
    except TypeError as exc:  # orjson: e.g. an integer beyond 64 bits, which JSONB does store
        return MessageRefused(f"cannot encode the message: {exc}")


def raise_refusal(outcomes: Sequence[MessageRefused | None]) -> None:
    """For callers that need all or nothing: raise the first refusal."""
    for outcome in outcomes:
        if outcome is not None:
            raise outcome
