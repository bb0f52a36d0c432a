"""Fleet fixtures: several real `app` processes on one queue, one consumer group, one outbox.

Each test gets broker names, a consumer group and a Redis prefix of its own (removed afterwards)
and runs its processes with `tests.conftest.app_process` at LOG_LEVEL=WARNING, so thousands of
messages do not become thousands of log lines on a 2-core machine.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from app.config.settings import MessageBroker, Settings
from app.infrastructure.messaging.kafka import dead_letter_topic
from tests.celery_helpers import own_redis_prefix
from tests.conftest import delete_rabbit_entities, settings_with
from tests.messaging.conftest import Tansu, rabbitmq, tansu

__all__ = ["fleet_settings", "rabbitmq", "tansu"]


@pytest.fixture(params=[MessageBroker.RABBITMQ, MessageBroker.KAFKA], ids=["rabbitmq", "kafka"])
async def fleet_settings(
    request: pytest.FixtureRequest, settings: Settings
) -> AsyncIterator[Settings]:
    """The run's settings on one broker, with names no other test uses; topics of 3 partitions."""
    tag = uuid.uuid4().hex[:10]
    named = settings_with(
        settings,
        default_exchanger=f"test.{tag}.exchange",
        default_queue=f"test.{tag}.queue",
        default_topic=f"test.{tag}.topic",
        consumer_group=f"test.{tag}.group",
        consumer_shutdown_timeout=5.0,
        kafka_topic_partitions=3,
        kafka_session_timeout_ms=3000,  # a killed member's partitions move on after this
    )
    with own_redis_prefix(named, tag) as prefixed:
        if request.param is MessageBroker.KAFKA:
            broker: Tansu = request.getfixturevalue("tansu")
            kafka = settings_with(
                prefixed,
                message_broker=MessageBroker.KAFKA,
                kafka_bootstrap_servers=broker.bootstrap,
            )
            yield kafka
            await _delete_topics(kafka)
        else:
            request.getfixturevalue("rabbitmq")
            rabbit = settings_with(prefixed, message_broker=MessageBroker.RABBITMQ)
            yield rabbit
            await delete_rabbit_entities(rabbit)


async def _delete_topics(settings: Settings) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_topics(
            [settings.default_topic, dead_letter_topic(settings.default_topic)]
        )
    finally:
        await admin.close()
