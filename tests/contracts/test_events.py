"""Every event on the broker has one schema, derived from the code that builds or checks it."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import jsonschema_rs
import pytest

from app.domain.audit.entry import AUDIT_RECORDED, ActorKind, AuditAction, AuditEntry
from app.domain.users.events import (
    UserDeactivated,
    UserPasswordChanged,
    UserPasswordResetRequested,
    UserProfileUpdated,
    UserReactivated,
    UserRegistered,
    UserRolesChanged,
)
from app.domain.users.values import UserId
from app.infrastructure.messaging.contracts import EVENT_NAME, PUBLISHED, data_schema
from app.infrastructure.messaging.delivery import DeadLetterReason
from app.interfaces.asyncapi import asyncapi_document, data_type, events
from app.interfaces.consumer.handlers import HANDLER_DATA, HANDLERS_MAP
from tests.contracts.conftest import ROOT

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
ADA = UserId(uuid4())
# One of each published event, as the domain records it: what its payload() really builds.
SAMPLES: dict[str, Any] = {
    UserRegistered.name: UserRegistered(user_id=ADA, email="ada@example.com", occurred_at=AT),
    UserProfileUpdated.name: UserProfileUpdated(user_id=ADA, fields=("city",), occurred_at=AT),
    UserDeactivated.name: UserDeactivated(user_id=ADA, occurred_at=AT),
    UserReactivated.name: UserReactivated(user_id=ADA, occurred_at=AT),
    UserRolesChanged.name: UserRolesChanged(user_id=ADA, roles=("admin",), occurred_at=AT),
    UserPasswordChanged.name: UserPasswordChanged(user_id=ADA, occurred_at=AT),
    UserPasswordResetRequested.name: UserPasswordResetRequested(
        user_id=ADA, email="ada@example.com", occurred_at=AT
    ),
    AUDIT_RECORDED: AuditEntry(
        action=AuditAction.ROLES_CHANGED,
        actor_kind=ActorKind.ADMIN,
        occurred_at=AT,
        actor_id=uuid4(),
        target_id=ADA,
        request_id="3f0c5b0e9d7a4c1f8e2b6a9d0c4e7f12",
        client_address="203.0.113.7",
        detail={"roles": ["admin", "user"]},
    ),
}
# An event name as the code writes it: "users.registered.v1" (not "grpc.health.v1.Health").
_SPELLED_OUT = re.compile(r"[\"'`]([a-z_]+(?:\.[a-z_]+)+\.v[0-9]+)[\"'`]")


def test_every_event_name_the_code_spells_out_has_a_schema(committed_asyncapi):
    spelled = {
        name
        for path in (ROOT / "src" / "app").rglob("*.py")
        for name in _SPELLED_OUT.findall(path.read_text())
    }

    assert spelled, "the pattern finds no event name at all"
    assert spelled <= committed_asyncapi["components"]["messages"].keys()


def test_every_event_and_handler_has_a_versioned_name():
    names = [event.name for event in events()]

    assert set(HANDLERS_MAP) <= set(names)
    assert [name for name in names if not EVENT_NAME.match(name)] == []


def test_every_published_event_has_a_sample_here():
    assert set(SAMPLES) == set(PUBLISHED), "add one for a new event to SAMPLES"


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_each_payload_is_exactly_its_declared_type(name):
    payload = json.loads(json.dumps(SAMPLES[name].payload()))  # as the outbox stores it
    declared = PUBLISHED[name]
    validator = jsonschema_rs.validator_for(data_schema(declared))

    assert set(payload) == declared.__required_keys__ | declared.__optional_keys__
    assert [error.message for error in validator.iter_errors(payload)] == []


def _adapters() -> dict[str, Any]:
    """The consumer's adapter of each event it checks the data of."""
    found = {name: getattr(route, "data", None) for name, route in HANDLERS_MAP.items()}
    return {name: a for name, a in (found | dict(HANDLER_DATA)).items() if a is not None}


@pytest.mark.parametrize("name", sorted(set(PUBLISHED) & set(_adapters())))
def test_the_consumer_takes_what_the_service_publishes(name):
    """The document shows the consumer's schema for these: what the service builds passes it."""
    _adapters()[name].validate_python(SAMPLES[name].payload())


def test_a_consumed_event_without_a_schema_stops_the_document():
    with pytest.raises(LookupError, match="no schema"):
        data_type("nobody.knows.v1")


def test_a_message_is_the_envelope_with_the_events_data(committed_asyncapi):
    components = committed_asyncapi["components"]
    message = components["messages"][UserRegistered.name]
    envelope, this_event = message["payload"]["allOf"]

    assert envelope == {"$ref": "#/components/schemas/Envelope"}
    assert this_event["properties"]["event"]["const"] == UserRegistered.name
    assert this_event["properties"]["data"] == {"$ref": "#/components/schemas/users.registered.v1"}
    assert components["schemas"]["Envelope"]["required"] == ["event", "data"]
    assert {"id", "occurred_at", "correlation_id"} <= components["schemas"]["Envelope"][
        "properties"
    ].keys()


def test_the_headers_name_the_trace_context_and_the_dead_letter_reasons(committed_asyncapi):
    schemas = committed_asyncapi["components"]["schemas"]

    assert {"traceparent", "tracestate", "x-attempts"} <= schemas["Headers"]["properties"].keys()
    dead = schemas["DeadLetterHeaders"]
    assert dead["required"] == ["x-error", "x-error-detail", "x-attempts"]
    assert dead["properties"]["x-error"]["enum"] == [reason.value for reason in DeadLetterReason]


def test_the_document_follows_the_broker_settings(documented):
    settings = replace(
        documented,
        default_exchanger="shop.exchange",
        default_queue="shop.queue",
        default_topic="shop.topic",
        kafka_topic_partitions=12,
        message_broker_url="amqp://someone:s3cret@rabbit.internal:5673/shop",
        kafka_bootstrap_servers="kafka-1.internal:9092,kafka-2.internal:9092",
    )
    document = asyncapi_document(settings)
    channels = document["channels"]

    assert channels["rabbitmqExchange"]["bindings"]["amqp"]["exchange"]["name"] == "shop.exchange"
    assert channels["rabbitmqExchange"]["bindings"]["amqp"]["exchange"]["vhost"] == "shop"
    assert channels["rabbitmqQueue"]["address"] == "shop.queue"
    assert channels["rabbitmqDeadLetters"]["address"] == "shop.queue.dlq"
    assert channels["kafkaTopic"]["bindings"]["kafka"] == {
        "topic": "shop.topic",
        "partitions": 12,
        "bindingVersion": "0.5.0",
    }
    assert channels["kafkaDeadLetters"]["address"] == "shop.topic.dlq"
    assert document["servers"]["rabbitmq"]["host"] == "rabbit.internal:5673"
    assert document["servers"]["kafka"]["host"] == "kafka-1.internal:9092"
    assert "s3cret" not in json.dumps(document)


def test_each_operation_lists_the_messages_of_its_channel(committed_asyncapi):
    for name, operation in committed_asyncapi["operations"].items():
        channel = operation["channel"]["$ref"].rsplit("/", 1)[1]
        listed = committed_asyncapi["channels"][channel]["messages"]
        for message in operation["messages"]:
            prefix = f"#/channels/{channel}/messages/"
            assert message["$ref"].startswith(prefix), name
            assert message["$ref"].removeprefix(prefix) in listed, name
