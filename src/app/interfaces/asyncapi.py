"""The AsyncAPI 3.0 document of the events: what the service publishes and consumes, and where.

Built from the event registry (the data each published event carries), HANDLERS_MAP (the
adapters the consumer checks data with), the envelope of SPEC §6 and the broker settings.
docs/contracts/asyncapi.yaml is this document for the default settings (`python
scripts/gen_contracts.py`); outside PROD the API serves it for its own at /asyncapi.json.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import TypeAdapter

from app.config.settings import Settings
from app.infrastructure.messaging.contracts import PUBLISHED, data_schema
from app.infrastructure.messaging.delivery import (
    ATTEMPTS_HEADER,
    DETAIL_HEADER,
    ERROR_HEADER,
    MAX_DETAIL,
    DeadLetterReason,
)
from app.infrastructure.messaging.envelope import Envelope
from app.infrastructure.messaging.kafka import dead_letter_topic
from app.infrastructure.messaging.rabbitmq import RabbitNames
from app.infrastructure.telemetry import TRACE_HEADER_MAX
from app.interfaces.consumer.handlers import HANDLER_DATA, HANDLERS_MAP, CeleryRoute

DOCUMENT_VERSION = "1.0.0"
# Sent by POST /api/v1/debug/send-message/ and DebugService/SendMessage (absent in PROD), which
# publish any event: this one is the documented smoke test (SPEC §6).
DEBUG_EVENTS = ("debug.echo.v1",)
DEAD_LETTER = "deadLetter"
SCHEMAS = "#/components/schemas/"
_AMQP, _KAFKA = {"bindingVersion": "0.3.0"}, {"bindingVersion": "0.5.0"}
_DESCRIPTION = (
    "Every message is a JSON envelope (SPEC §6) whose `data` has the schema of its event."
    " Events leave through the transactional outbox: written in the transaction of the change,"
    " published by the relay after it, in order, at least once (the consumer deduplicates by"
    " `id`). The service speaks one broker, MESSAGE_BROKER: RabbitMQ or Kafka. A message its"
    " handler cannot take goes to the dead letters with the reason, after retries with backoff"
    " when it failed. An incompatible change of an event's data is a new event (`.v2`) beside"
    " the old one, never a change of it (docs/contracts.md)."
)


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    data: dict[str, Any]  # the JSON Schema of `data`, its `$defs` hoisted into the components
    published: bool
    consumed: bool


def events() -> list[Event]:
    """Every event on the broker, by name. Raises LookupError for one whose data has no schema."""
    published = {*PUBLISHED, *DEBUG_EVENTS}
    return [
        Event(
            name,
            data_schema(data_type(name), ref_template=SCHEMAS + "{model}"),
            published=name in published,
            consumed=name in HANDLERS_MAP,
        )
        for name in sorted(published | set(HANDLERS_MAP))
    ]


def data_type(name: str) -> type[Mapping[str, object]] | TypeAdapter[Any]:
    """The consumer's adapter when it checks the data (what a sender must meet), else the
    TypedDict the publisher builds."""
    route = HANDLERS_MAP.get(name)
    adapter = route.data if isinstance(route, CeleryRoute) else HANDLER_DATA.get(name)
    if adapter is not None:
        return adapter
    if name in PUBLISHED:
        return PUBLISHED[name]
    raise LookupError(f"{name}: its data has no schema (docs/contracts.md, adding an event)")


def asyncapi_document(settings: Settings) -> dict[str, Any]:
    """The document for these settings: its names, partitions and broker addresses."""
    found = events()
    sent = [event.name for event in found if event.published]
    received = [event.name for event in found if event.consumed]
    schemas: dict[str, Any] = {
        "Envelope": TypeAdapter(Envelope).json_schema(),
        "Headers": _headers(),
        "DeadLetterHeaders": _dead_letter_headers(),
    }
    for event in found:
        data = dict(event.data)
        schemas.update(data.pop("$defs", {}))
        schemas[event.name] = data
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"{settings.project_name} events",
            "version": DOCUMENT_VERSION,
            "description": _DESCRIPTION,
        },
        "defaultContentType": "application/json",
        "servers": _servers(settings),
        "channels": _channels(settings, sent, received),
        "operations": _operations(settings, sent, received),
        "components": {
            "messages": {event.name: _message(event) for event in found}
            | {DEAD_LETTER: _dead_letter()},
            "schemas": schemas,
        },
    }


def _servers(settings: Settings) -> dict[str, Any]:
    amqp = urlsplit(settings.message_broker_url)  # its credentials stay out
    return {
        "rabbitmq": {
            "host": f"{amqp.hostname}:{amqp.port or 5672}",
            "protocol": "amqp",
            "protocolVersion": "0.9.1",
            "description": "MESSAGE_BROKER=rabbitmq, at MESSAGE_BROKER_URL",
        },
        "kafka": {
            "host": settings.kafka_bootstrap_servers.split(",")[0].strip(),
            "protocol": "kafka",
            "description": "MESSAGE_BROKER=kafka, at KAFKA_BOOTSTRAP_SERVERS (the first one)",
        },
    }


def _channels(settings: Settings, sent: list[str], received: list[str]) -> dict[str, Any]:
    names = RabbitNames(settings.default_exchanger, settings.default_queue)
    vhost = unquote(urlsplit(settings.message_broker_url).path[1:]) or "/"
    topic, partitions = settings.default_topic, settings.kafka_topic_partitions
    return {
        "rabbitmqExchange": {
            "address": names.queue,
            "title": "DEFAULT_EXCHANGER, routing key DEFAULT_QUEUE",
            "description": f"The durable direct exchange `{names.exchange}`: the relay publishes"
            f" with routing key `{names.queue}`, persistent, with publisher confirms; a message"
            " no queue takes fails its publication.",
            "servers": [_ref("#/servers/rabbitmq")],
            "messages": _messages(sent),
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {
                        "name": names.exchange,
                        "type": "direct",
                        "durable": True,
                        "autoDelete": False,
                        "vhost": vhost,
                    },
                    **_AMQP,
                }
            },
        },
        "rabbitmqQueue": _amqp_queue(
            names.queue,
            vhost,
            "DEFAULT_QUEUE",
            f"Bound to `{names.exchange}`. A failed attempt waits in `{names.retry_queue}` for"
            " its backoff, then comes back here with `x-attempts`.",
            _messages(received),
        ),
        "rabbitmqDeadLetters": _amqp_queue(
            names.dead_letter_queue,
            vhost,
            "DEFAULT_QUEUE.dlq",
            f"Bound to the exchange `{names.dead_letter_exchange}`: each message the consumer"
            " gave up on, as it arrived, with the reason in its headers.",
            _messages([DEAD_LETTER]),
        ),
        "kafkaTopic": {
            "address": topic,
            "title": "DEFAULT_TOPIC",
            "description": "Keyed by the aggregate's id, so one account's events keep their"
            " order; written with acks=all.",
            "servers": [_ref("#/servers/kafka")],
            "messages": _messages(sorted({*sent, *received})),
            "bindings": {"kafka": {"topic": topic, "partitions": partitions, **_KAFKA}},
        },
        "kafkaDeadLetters": {
            "address": dead_letter_topic(topic),
            "title": "DEFAULT_TOPIC.dlq",
            "description": "Each record the consumer gave up on, as it arrived, with its key"
            " and the reason in its headers.",
            "servers": [_ref("#/servers/kafka")],
            "messages": _messages([DEAD_LETTER]),
            "bindings": {
                "kafka": {"topic": dead_letter_topic(topic), "partitions": partitions, **_KAFKA}
            },
        },
    }


def _amqp_queue(
    name: str, vhost: str, title: str, description: str, messages: dict[str, Any]
) -> dict[str, Any]:
    queue = {"name": name, "durable": True, "exclusive": False, "autoDelete": False}
    return {
        "address": name,
        "title": title,
        "description": description,
        "servers": [_ref("#/servers/rabbitmq")],
        "messages": messages,
        "bindings": {"amqp": {"is": "queue", "queue": {**queue, "vhost": vhost}, **_AMQP}},
    }


def _operations(settings: Settings, sent: list[str], received: list[str]) -> dict[str, Any]:
    group = {"type": "string", "enum": [settings.consumer_group]}
    publish = "The outbox relay publishes each event once its transaction committed."
    consume = "`app consume` hands each event to its HANDLERS_MAP entry; acked once handled."
    dead = "The consumer parks a message it gave up on: malformed, unknown, invalid or failed."
    return {
        "publishRabbitmq": _operation(
            "send",
            "rabbitmqExchange",
            sent,
            publish,
            {"amqp": {"deliveryMode": 2, "mandatory": True, **_AMQP}},
        ),
        "consumeRabbitmq": _operation(
            "receive", "rabbitmqQueue", received, consume, {"amqp": {"ack": True, **_AMQP}}
        ),
        "deadLetterRabbitmq": _operation("send", "rabbitmqDeadLetters", [DEAD_LETTER], dead),
        "publishKafka": _operation("send", "kafkaTopic", sent, publish),
        "consumeKafka": _operation(
            "receive", "kafkaTopic", received, consume, {"kafka": {"groupId": group, **_KAFKA}}
        ),
        "deadLetterKafka": _operation("send", "kafkaDeadLetters", [DEAD_LETTER], dead),
    }


def _operation(
    action: str,
    channel: str,
    messages: Iterable[str],
    summary: str,
    bindings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    operation = {
        "action": action,
        "channel": _ref(f"#/channels/{channel}"),
        "summary": summary,
        "messages": [_ref(f"#/channels/{channel}/messages/{name}") for name in messages],
    }
    return operation | ({"bindings": bindings} if bindings else {})


def _message(event: Event) -> dict[str, Any]:
    this_event = {
        "event": {"type": "string", "const": event.name},
        "data": _ref(SCHEMAS + event.name),
    }
    return {
        "name": event.name,
        "title": event.name,
        "contentType": "application/json",
        "headers": _ref(SCHEMAS + "Headers"),
        "payload": {"allOf": [_ref(SCHEMAS + "Envelope"), {"properties": this_event}]},
        "correlationId": {
            "description": "The request id of the call that caused the event",
            "location": "$message.payload#/correlation_id",
        },
        "bindings": {
            "amqp": {"messageType": event.name, **_AMQP},
            "kafka": {
                "key": {"type": "string", "description": "The aggregate's id, when known"},
                **_KAFKA,
            },
        },
    }


def _dead_letter() -> dict[str, Any]:
    return {
        "name": DEAD_LETTER,
        "title": "A dead letter",
        "summary": "A message the consumer gave up on, kept as it arrived.",
        "contentType": "application/json",
        "headers": _ref(SCHEMAS + "DeadLetterHeaders"),
        "payload": {"description": "The original body: one of the events, or bytes that are none"},
    }


def _headers() -> dict[str, Any]:
    trace = "W3C trace context of the use case that recorded the event (absent when untraced)"
    return {
        "type": "object",
        "properties": {
            name: {"type": "string", "maxLength": limit, "description": trace}
            for name, limit in TRACE_HEADER_MAX.items()
        }
        | {
            "message_id": {
                "type": "string",
                "format": "uuid",
                "description": "Kafka: the envelope's id",
            },
            "event": {"type": "string", "description": "Kafka: the envelope's event"},
            ATTEMPTS_HEADER: {
                "type": "integer",
                "minimum": 1,
                "description": "RabbitMQ: the attempts that failed so far, on a message back"
                " from the retry queue",
            },
        },
    }


def _dead_letter_headers() -> dict[str, Any]:
    return {
        "type": "object",
        "required": [ERROR_HEADER, DETAIL_HEADER, ATTEMPTS_HEADER],
        "properties": {
            ERROR_HEADER: {"type": "string", "enum": [reason.value for reason in DeadLetterReason]},
            DETAIL_HEADER: {
                "type": "string",
                "maxLength": MAX_DETAIL,
                "description": "What was wrong, or the handler's error",
            },
            ATTEMPTS_HEADER: {
                "type": "string",
                "pattern": "^[0-9]+$",
                "description": "How many attempts were made",
            },
        },
    }


def _messages(names: Iterable[str]) -> dict[str, Any]:
    return {name: _ref(f"#/components/messages/{name}") for name in names}


def _ref(pointer: str) -> dict[str, str]:
    return {"$ref": pointer}
