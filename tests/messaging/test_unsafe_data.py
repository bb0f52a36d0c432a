"""Consumer `data` PostgreSQL or a serializer cannot take is dead-lettered as `invalid-data`.

Bodies are written as raw JSON text: a producer in another language can send `NaN`, `1e400` or
`\\u0000`, which orjson (our own encoder) would refuse to write.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from pydantic import ValidationError as PydanticValidationError

from app.domain.storable import MAX_JSON_DEPTH
from app.infrastructure.messaging.delivery import DeadLetter, DeadLetterReason
from app.infrastructure.tasks import USER_REGISTERED
from app.interfaces.consumer.dispatch import Dispatcher
from app.interfaces.consumer.handlers import HANDLERS_MAP, PUBLISHED_FOR_OTHERS, CeleryRoute
from tests.messaging.conftest import eventually, running_consumer
from tests.messaging.helpers import dead_letters, echo, echo_count, publish_raw, unique
from tests.messaging.test_edges import RecordingSender

# A valid payload of each event of HANDLERS_MAP, as JSON text; a new event needs one here.
_ACCOUNT = f'"user_uuid": "{uuid.uuid4()}", "email": "ada@example.com"'
VALID = {
    "debug.echo.v1": '"key": "unsafe-data", "fail_times": 0',
    "users.registered.v1": _ACCOUNT,
    "users.password_reset_requested.v1": _ACCOUNT,
    # published for other services: acked without a look at their data, unless it is unsafe
    **dict.fromkeys(PUBLISHED_FOR_OTHERS, f'"user_uuid": "{uuid.uuid4()}"'),
}
# One more member that breaks the storable rule, as JSON text.
UNSAFE = {
    "nul-in-value": '"x": "a\\u0000b"',
    "nul-in-key": '"x\\u0000": 1',
    "nan": '"x": NaN',
    "infinity": '"x": [-Infinity]',
    "overflow": '"x": {"y": 1e400}',
    "huge-integer": '"x": ' + "9" * 400,
    "too-deep": '"x": ' + '{"k": ' * MAX_JSON_DEPTH + "1" + "}" * MAX_JSON_DEPTH,
}


def body(event: str, members: str) -> bytes:
    return f'{{"event": "{event}", "id": "{uuid.uuid4()}", "data": {{{members}}}}}'.encode()


def test_every_event_of_handlers_map_has_a_sample_here():
    assert set(VALID) == set(HANDLERS_MAP)


@pytest.mark.parametrize("unsafe", UNSAFE.values(), ids=UNSAFE.keys())
@pytest.mark.parametrize("event", VALID)
async def test_unsafe_data_of_any_event_is_dead_lettered_before_its_handler(
    container, event, unsafe
):
    sender = RecordingSender()
    dispatcher = Dispatcher(
        container, HANDLERS_MAP, max_retries=1, base_delay=0.01, task_sender=sender
    )
    outcome = await dispatcher(body(event, f"{VALID[event]}, {unsafe}"), 1)
    assert isinstance(outcome, DeadLetter), outcome
    assert outcome.reason is DeadLetterReason.INVALID_DATA
    assert "data: " in outcome.detail
    assert sender.sent == []
    assert await echo_count(container, "unsafe-data") == 0


async def test_the_same_data_without_the_unsafe_member_is_handled(container):
    sender = RecordingSender()
    dispatcher = Dispatcher(
        container, HANDLERS_MAP, max_retries=1, base_delay=0.01, task_sender=sender
    )
    for event, members in VALID.items():
        assert not isinstance(await dispatcher(body(event, members), 1), DeadLetter)
    routes = [name for name, entry in HANDLERS_MAP.items() if isinstance(entry, CeleryRoute)]
    assert len(sender.sent) == len(routes)


@pytest.mark.parametrize("email", ["a\x00b@example.com", "a\ud800b@example.com"])
def test_the_users_registered_adapter_refuses_an_email_that_cannot_be_stored(email):
    data: dict[str, Any] = {"user_uuid": str(uuid.uuid4()), "email": email}
    with pytest.raises(PydanticValidationError) as caught:
        USER_REGISTERED.validate_python(data)
    assert [error["loc"] for error in caught.value.errors()] == [("email",)]


async def test_unsafe_data_reaches_the_dlq_as_invalid_data_and_the_queue_keeps_flowing(
    broker_container,
):
    after = unique("after_unsafe")
    email = json.dumps("nul\x00@example.com")
    poison = [
        body("users.registered.v1", f'"user_uuid": "{uuid.uuid4()}", "email": {email}'),
        body("debug.echo.v1", '"key": "k", "x": NaN'),
    ]
    await publish_raw(broker_container, *poison, echo(after))
    async with running_consumer(broker_container):
        await eventually(lambda: echo_count(broker_container, after))
        parked = await dead_letters(broker_container.settings, len(poison))
    assert sorted(parked_body for parked_body, _ in parked) == sorted(poison)
    assert {headers["x-error"] for _, headers in parked} == {"invalid-data"}
