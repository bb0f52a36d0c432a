"""Settings, the container and a user print no secret, password or hash (logs, tracebacks)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.config.settings import Settings, mask_url_password
from app.container import build_container
from app.domain.users.user import User
from app.domain.users.values import Email
from tests.conftest import settings_with

SECRETS = {
    "secret_key": "the-signing-key-nobody-may-read-0123456789",
    "db_password": "database-password-1",
    "message_broker_url": "amqp://app:broker-password-2@rabbitmq:5672/vhost",
    "redis_url": "redis://:redis-password-3@redis:6379/0",
    "celery_broker_url": "redis://celery:celery-password-4@redis:6379/1",
    "celery_result_backend": "redis://celery:backend-password-5@redis:6379/2",
}
LEAKS = ("nobody-may-read", *(f"password-{n}" for n in range(1, 6)))


@pytest.fixture
def secret_settings(settings: Settings) -> Settings:
    return settings_with(settings, **SECRETS)


def test_the_settings_repr_masks_secrets_and_url_passwords(secret_settings):
    shown = repr(secret_settings)
    assert not [leak for leak in LEAKS if leak in shown]
    assert "secret_key='***'" in shown
    assert "amqp://app:***@rabbitmq:5672/vhost" in shown  # the rest stays readable
    assert "redis://:***@redis:6379/0" in shown
    assert str(secret_settings) == shown


async def test_the_container_repr_masks_them_too(secret_settings):
    container = build_container(secret_settings)
    try:
        shown = repr(container)
    finally:
        await container.aclose()
    assert not [leak for leak in LEAKS if leak in shown]
    assert "Settings(" in shown


def test_a_user_repr_shows_no_password_hash():
    hashed = "$bcrypt-sha256$v=2,t=2b,r=12$somesalt$somehashvalue"
    user = User.register(Email.parse("ada@example.com"), hashed, datetime.now(UTC))
    assert "somehashvalue" not in repr(user)
    assert "ada@example.com" in repr(user)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("amqp://u:p@h:5672/", "amqp://u:***@h:5672/"),
        ("redis://h:6379/0", "redis://h:6379/0"),
        ("amqp://u@h/", "amqp://u@h/"),
        ("not a url", "not a url"),
    ],
)
def test_mask_url_password_changes_only_the_password(url, shown):
    assert mask_url_password(url) == shown
