"""Consumer metrics: each delivery's outcome under its event, its duration, inbox duplicates.

The dispatcher is the real one over the real container (Redis counts the echoes); the brokers
only carry the bodies, and the real-process scrape test covers that path.
"""

from __future__ import annotations

import uuid

import orjson

from app.interfaces.consumer.dispatch import Dispatcher
from app.interfaces.consumer.handlers import HANDLERS_MAP
from tests.metrics.helpers import value

ECHO = "debug.echo.v1"


def _echo_handlers():
    return {ECHO: HANDLERS_MAP[ECHO]}


def _echo(message_id: uuid.UUID, **data: object) -> bytes:
    payload = {"key": f"metrics-{uuid.uuid4().hex[:8]}", **data}
    return orjson.dumps({"event": ECHO, "id": str(message_id), "data": payload})


async def test_outcomes_are_counted_by_event_and_dead_letters_by_reason(container):
    dispatch = Dispatcher(container, _echo_handlers(), max_retries=1, base_delay=0.01)
    handled = value("app_consumer_messages_handled_total", event=ECHO)
    retried = value("app_consumer_messages_retried_total", event=ECHO)
    failed = value("app_consumer_messages_dead_lettered_total", event=ECHO, reason="handler-failed")
    invalid = value("app_consumer_messages_dead_lettered_total", event=ECHO, reason="invalid-data")
    timed = value("app_consumer_handler_duration_seconds_count", event=ECHO)

    await dispatch(_echo(uuid.uuid4()), 1)
    flaky = _echo(uuid.uuid4(), fail_times=5)
    await dispatch(flaky, 1)  # fails, retried
    await dispatch(flaky, 2)  # fails past CONSUMER_MAX_RETRIES: dead-lettered
    await dispatch(_echo(uuid.uuid4(), fail_times=-1), 1)

    assert value("app_consumer_messages_handled_total", event=ECHO) == handled + 1
    assert value("app_consumer_messages_retried_total", event=ECHO) == retried + 1
    assert (
        value("app_consumer_messages_dead_lettered_total", event=ECHO, reason="handler-failed")
        == failed + 1
    )
    assert (
        value("app_consumer_messages_dead_lettered_total", event=ECHO, reason="invalid-data")
        == invalid + 1
    )
    assert value("app_consumer_handler_duration_seconds_count", event=ECHO) == timed + 4


async def test_an_event_outside_handlers_map_and_a_malformed_body_count_as_unknown(container):
    dispatch = Dispatcher(container, _echo_handlers(), max_retries=1, base_delay=0.01)
    stranger = f"made.up.{uuid.uuid4().hex}"
    unknown = value(
        "app_consumer_messages_dead_lettered_total", event="unknown", reason="unknown-event"
    )
    malformed = value(
        "app_consumer_messages_dead_lettered_total", event="unknown", reason="malformed"
    )

    await dispatch(orjson.dumps({"event": stranger, "data": {}}), 1)
    await dispatch(b"{not json", 1)

    assert (
        value("app_consumer_messages_dead_lettered_total", event="unknown", reason="unknown-event")
        == unknown + 1
    )
    assert (
        value("app_consumer_messages_dead_lettered_total", event="unknown", reason="malformed")
        == malformed + 1
    )
    assert (
        value("app_consumer_messages_dead_lettered_total", event=stranger, reason="unknown-event")
        == 0
    )


async def test_a_redelivered_message_id_counts_as_a_duplicate_skipped(container):
    dispatch = Dispatcher(container, _echo_handlers(), max_retries=1, base_delay=0.01)
    duplicates = value("app_inbox_duplicates_total", handler=ECHO)
    handled = value("app_consumer_messages_handled_total", event=ECHO)
    body = _echo(uuid.uuid4())

    await dispatch(body, 1)
    assert value("app_inbox_duplicates_total", handler=ECHO) == duplicates
    await dispatch(body, 1)  # the broker delivered it again

    assert value("app_inbox_duplicates_total", handler=ECHO) == duplicates + 1
    assert value("app_consumer_messages_handled_total", event=ECHO) == handled + 2
