"""Messaging adapters: the envelope, the RabbitMQ and Kafka publishers, the outbox relay."""

from __future__ import annotations

from app.config.settings import MessageBroker, Settings
from app.infrastructure.messaging.kafka import KafkaPublisher
from app.infrastructure.messaging.rabbitmq import RabbitConnection, RabbitNames, RabbitPublisher

BrokerPublisher = RabbitPublisher | KafkaPublisher


def build_publisher(settings: Settings) -> BrokerPublisher:
    """The publisher of the configured broker; it connects on first use, not here.

    It is also the broker's health probe (named `broker`): `check()` connects and asks the
    broker for something cheap, within MESSAGE_PUBLISH_TIMEOUT_SECONDS.
    """
    timeout = settings.message_publish_timeout_seconds
    if settings.message_broker is MessageBroker.KAFKA:
        return KafkaPublisher(
            settings.kafka_bootstrap_servers,
            settings.default_topic,
            idempotence=settings.kafka_enable_idempotence,
            timeout=timeout,
            partitions=settings.kafka_topic_partitions,
        )
    return RabbitPublisher(
        RabbitConnection(
            settings.message_broker_url,
            timeout,
            name=f"{settings.project_name}:{settings.default_queue}",
        ),
        RabbitNames(settings.default_exchanger, settings.default_queue),
    )
