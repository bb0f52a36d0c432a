"""Typed, frozen settings read once from the environment (and `.env` in LOCAL)."""

from __future__ import annotations

import os
from dataclasses import Field, dataclass, field, fields
from enum import StrEnum
from ipaddress import ip_network
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from environs import Env, EnvError
from marshmallow import ValidationError
from marshmallow.validate import OneOf, Range
from sqlalchemy import URL


class LaunchMode(StrEnum):
    LOCAL = "LOCAL"
    TEST = "TEST"
    PROD = "PROD"


class MessageBroker(StrEnum):
    RABBITMQ = "rabbitmq"
    KAFKA = "kafka"


class SmtpSecurity(StrEnum):
    NONE = "none"  # plain SMTP: a relay on the same host or in the same pod only
    STARTTLS = "starttls"  # connect plain, then upgrade (port 587)
    TLS = "tls"  # TLS from the first byte (port 465)


class SettingsError(Exception):
    """A variable is missing or invalid; the message names it."""


# Keys anyone can read: generic placeholders and every key committed in this repository
# (.env.example, the development compose file, the test suite, the benchmarks).
_PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "secret",
        "dev-secret-key-change-me",
        "local-compose-secret-key-not-for-production",
        "test-secret-key-that-is-long-enough-0123456789",
        "bench-secret-key-0123456789abcdef0123456789",
    }
)
MIN_PROD_SECRET_LENGTH = 32
# The AMQP clients (aio-pika, Celery's kombu) log in as guest:guest when the URL names no one.
_AMQP_SCHEMES = frozenset({"amqp", "amqps", "pyamqp", "librabbitmq"})
_HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Settings:
    project_name: str
    secret_key: str = field(repr=False)
    launch_mode: LaunchMode
    debug: bool
    log_level: str
    log_json: bool
    api_host: str
    api_port: int
    show_api_docs: bool
    cors_origin_whitelist: tuple[str, ...]
    grpc_host: str
    grpc_port: int
    grpc_max_message_bytes: int
    grpc_grace_seconds: float
    grpc_keepalive_seconds: float
    metrics_host: str
    metrics_port: int
    access_token_expires_minutes: int
    refresh_token_expires_days: int
    jwt_algorithms: tuple[str, ...]
    password_hash_rounds: int
    db_host: str
    db_port: int
    db_name: str
    db_user: str
    db_password: str = field(repr=False)
    connections_pool_min_size: int
    connections_pool_max_overflow: int
    db_max_connections_per_pod: int
    db_pgbouncer: bool
    redis_url: str
    redis_key_prefix: str
    celery_broker_url: str
    celery_result_backend: str
    celery_task_soft_time_limit: float
    celery_task_time_limit: float
    celery_retry_backoff_max_seconds: int
    celery_visibility_timeout: float
    message_broker: MessageBroker
    message_broker_url: str
    kafka_bootstrap_servers: str
    default_exchanger: str
    default_queue: str
    default_topic: str
    consumer_group: str
    consumer_prefetch: int
    consumer_max_retries: int
    consumer_shutdown_timeout: float
    consumer_retry_base_delay_ms: int
    message_publish_timeout_seconds: float
    kafka_enable_idempotence: bool
    kafka_session_timeout_ms: int
    kafka_topic_partitions: int
    outbox_relay_interval_seconds: float
    outbox_retention_days: int
    outbox_max_attempts: int
    max_page_size: int
    max_filters: int
    sign_in_attempts_per_minute: int
    sign_up_attempts_per_minute: int
    session_max_lifetime_days: int
    password_hash_queue_limit: int
    trusted_proxies: tuple[str, ...]
    tracing_enabled: bool
    smtp_host: str
    smtp_port: int
    smtp_security: SmtpSecurity
    smtp_username: str
    smtp_password: str = field(repr=False)
    smtp_from: str
    smtp_timeout_seconds: float
    password_reset_url: str
    password_reset_token_minutes: int
    password_reset_attempts_per_minute: int

    @property
    def is_prod(self) -> bool:
        return self.launch_mode is LaunchMode.PROD

    @property
    def database_url(self) -> URL:
        """The asyncpg URL, any password character allowed; str() of it hides the password."""
        return URL.create(
            "postgresql+asyncpg",
            username=self.db_user,
            password=self.db_password or None,
            host=self.db_host,
            port=self.db_port,
            database=self.db_name,
        )

    def __repr__(self) -> str:
        # Settings end up in logs and tracebacks: secrets and passwords inside URLs stay out.
        shown = ", ".join(f"{f.name}={_shown(f, getattr(self, f.name))!r}" for f in fields(self))
        return f"Settings({shown})"


def _shown(setting: Field[Any], value: object) -> object:
    if not setting.repr:
        return "***" if value else value
    return mask_url_password(value) if isinstance(value, str) else value


def mask_url_password(value: str) -> str:
    """The URL with its password replaced by ***; any other text unchanged."""
    parts = urlsplit(value) if "://" in value else None
    if parts is None or parts.password is None:
        return value
    user, _, host = parts.netloc.rpartition("@")
    return parts._replace(netloc=f"{user.partition(':')[0]}:***@{host}").geturl()


def load_settings() -> Settings:
    """Parse the environment once; raise SettingsError naming every bad variable."""
    env = Env(eager=False)
    if os.environ.get("LAUNCH_MODE", "LOCAL").upper() == LaunchMode.LOCAL:
        env.read_env(str(Path.cwd() / ".env"), recurse=False)
    values = _read(env)
    try:
        env.seal()  # raises once, naming every invalid variable
    except EnvError as exc:
        raise SettingsError(f"invalid settings: {exc}") from None
    settings = Settings(
        **values
        | {
            "log_level": values["log_level"].upper(),
            "cors_origin_whitelist": _entries(values["cors_origin_whitelist"]),
            "jwt_algorithms": _entries(values["jwt_algorithms"]),
            "trusted_proxies": _entries(values["trusted_proxies"]),
        }
    )
    _check(settings)
    return settings


def _read(env: Env) -> dict[str, Any]:
    launch_mode = env.enum("LAUNCH_MODE", default=LaunchMode.LOCAL, enum=LaunchMode, by_value=True)
    is_prod = launch_mode == LaunchMode.PROD
    positive = _at_least(1)
    return dict(
        project_name=env.str("PROJECT_NAME", "app"),
        secret_key=env.str("SECRET_KEY", ""),
        launch_mode=launch_mode,
        debug=env.bool("DEBUG", False),
        log_level=env.str("LOG_LEVEL", "INFO", validate=_one_of_levels),
        log_json=env.bool("LOG_JSON", is_prod),
        api_host=env.str("API_HOST", "127.0.0.1"),
        api_port=env.int("API_PORT", 8081, validate=_port),
        show_api_docs=env.bool("SHOW_API_DOCS", not is_prod),
        cors_origin_whitelist=env.list("CORS_ORIGIN_WHITELIST", [], subcast=str.strip),
        grpc_host=env.str("GRPC_HOST", "127.0.0.1"),
        grpc_port=env.int("GRPC_PORT", 50051, validate=_port),
        grpc_max_message_bytes=env.int(
            "GRPC_MAX_MESSAGE_BYTES", 4 * 1024 * 1024, validate=positive
        ),
        grpc_grace_seconds=env.float("GRPC_GRACE_SECONDS", 10.0, validate=_at_least(0)),
        grpc_keepalive_seconds=env.float("GRPC_KEEPALIVE_SECONDS", 60.0, validate=_above(0)),
        metrics_host=env.str("METRICS_HOST", "127.0.0.1"),
        metrics_port=env.int("METRICS_PORT", 0, validate=_between(0, 65535)),
        access_token_expires_minutes=env.int("ACCESS_TOKEN_EXPIRES_MINUTES", 5, validate=positive),
        refresh_token_expires_days=env.int("REFRESH_TOKEN_EXPIRES_DAYS", 5, validate=positive),
        jwt_algorithms=env.list(
            "JWT_ALGORITHMS", ["HS256"], subcast=str.strip, validate=_hmac_algorithms
        ),
        password_hash_rounds=env.int("PASSWORD_HASH_ROUNDS", 12, validate=_between(4, 31)),
        db_host=env.str("DB_HOST", "127.0.0.1"),
        db_port=env.int("DB_PORT", 5432, validate=_port),
        db_name=env.str("DB_NAME", "app"),
        db_user=env.str("DB_USER", "postgres"),
        db_password=env.str("DB_PASSWORD", ""),
        connections_pool_min_size=env.int("CONNECTIONS_POOL_MIN_SIZE", 32, validate=positive),
        connections_pool_max_overflow=env.int(
            "CONNECTIONS_POOL_MAX_OVERFLOW", 8, validate=_at_least(0)
        ),
        db_max_connections_per_pod=env.int("DB_MAX_CONNECTIONS_PER_POD", 0, validate=_at_least(0)),
        db_pgbouncer=env.bool("DB_PGBOUNCER", False),
        redis_url=env.str("REDIS_URL", "redis://127.0.0.1:6379/0"),
        redis_key_prefix=env.str("REDIS_KEY_PREFIX", "app:"),
        celery_broker_url=env.str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/1"),
        celery_result_backend=env.str("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/2"),
        celery_task_soft_time_limit=env.float(
            "CELERY_TASK_SOFT_TIME_LIMIT", 240.0, validate=_above(0)
        ),
        celery_task_time_limit=env.float("CELERY_TASK_TIME_LIMIT", 300.0, validate=_above(0)),
        celery_retry_backoff_max_seconds=env.int(
            "CELERY_RETRY_BACKOFF_MAX_SECONDS", 300, validate=positive
        ),
        celery_visibility_timeout=env.float(
            "CELERY_VISIBILITY_TIMEOUT", 3600.0, validate=_above(0)
        ),
        message_broker=env.enum(
            "MESSAGE_BROKER", default=MessageBroker.RABBITMQ, enum=MessageBroker, by_value=True
        ),
        message_broker_url=env.str("MESSAGE_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        kafka_bootstrap_servers=env.str("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        default_exchanger=env.str("DEFAULT_EXCHANGER", "app.events"),
        default_queue=env.str("DEFAULT_QUEUE", "app.events"),
        default_topic=env.str("DEFAULT_TOPIC", "app.events"),
        consumer_group=env.str("CONSUMER_GROUP", "app"),
        consumer_prefetch=env.int("CONSUMER_PREFETCH", 32, validate=positive),
        consumer_max_retries=env.int("CONSUMER_MAX_RETRIES", 3, validate=_at_least(0)),
        consumer_shutdown_timeout=env.float(
            "CONSUMER_SHUTDOWN_TIMEOUT", 30.0, validate=_at_least(0)
        ),
        consumer_retry_base_delay_ms=env.int(
            "CONSUMER_RETRY_BASE_DELAY_MS", 1000, validate=_at_least(1)
        ),
        message_publish_timeout_seconds=env.float(
            "MESSAGE_PUBLISH_TIMEOUT_SECONDS", 5.0, validate=_above(0)
        ),
        kafka_enable_idempotence=env.bool("KAFKA_ENABLE_IDEMPOTENCE", True),
        kafka_session_timeout_ms=env.int(
            "KAFKA_SESSION_TIMEOUT_MS", 10000, validate=_between(1000, 300000)
        ),
        kafka_topic_partitions=env.int("KAFKA_TOPIC_PARTITIONS", 6, validate=positive),
        outbox_relay_interval_seconds=env.float(
            "OUTBOX_RELAY_INTERVAL_SECONDS", 2.0, validate=_above(0)
        ),
        outbox_retention_days=env.int("OUTBOX_RETENTION_DAYS", 7, validate=positive),
        outbox_max_attempts=env.int("OUTBOX_MAX_ATTEMPTS", 10, validate=positive),
        max_page_size=env.int("MAX_PAGE_SIZE", 100, validate=positive),
        max_filters=env.int("MAX_FILTERS", 20, validate=positive),
        sign_in_attempts_per_minute=env.int("SIGN_IN_ATTEMPTS_PER_MINUTE", 10, validate=positive),
        sign_up_attempts_per_minute=env.int("SIGN_UP_ATTEMPTS_PER_MINUTE", 10, validate=positive),
        session_max_lifetime_days=env.int("SESSION_MAX_LIFETIME_DAYS", 30, validate=positive),
        password_hash_queue_limit=env.int("PASSWORD_HASH_QUEUE_LIMIT", 32, validate=_at_least(0)),
        trusted_proxies=env.list("TRUSTED_PROXIES", [], subcast=str.strip, validate=_networks),
        tracing_enabled=env.bool("TRACING_ENABLED", False),
        smtp_host=env.str("SMTP_HOST", "127.0.0.1"),
        smtp_port=env.int("SMTP_PORT", 1025, validate=_port),
        smtp_security=env.enum(
            "SMTP_SECURITY", default=SmtpSecurity.NONE, enum=SmtpSecurity, by_value=True
        ),
        smtp_username=env.str("SMTP_USERNAME", ""),
        smtp_password=env.str("SMTP_PASSWORD", ""),
        smtp_from=env.str("SMTP_FROM", "no-reply@example.com"),
        smtp_timeout_seconds=env.float("SMTP_TIMEOUT_SECONDS", 10.0, validate=_above(0)),
        password_reset_url=env.str(
            "PASSWORD_RESET_URL",
            "http://localhost:3000/reset-password?token={token}",
            validate=_reset_url,
        ),
        password_reset_token_minutes=env.int(
            "PASSWORD_RESET_TOKEN_MINUTES", 30, validate=_between(1, 1440)
        ),
        password_reset_attempts_per_minute=env.int(
            "PASSWORD_RESET_ATTEMPTS_PER_MINUTE", 5, validate=positive
        ),
    )


_port = Range(min=1, max=65535)
_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL")


def _at_least(minimum: float) -> Range:
    return Range(min=minimum)


def _above(minimum: float) -> Range:
    return Range(min=minimum, min_inclusive=False)


def _between(low: int, high: int) -> Range:
    return Range(min=low, max=high)


def _one_of_levels(value: str) -> None:
    OneOf(_LOG_LEVELS)(value.upper())


def _entries(values: list[str]) -> tuple[str, ...]:
    """A comma-separated list's entries, already trimmed, without the empty ones."""
    return tuple(value for value in values if value)


def _networks(values: list[str]) -> None:
    for value in _entries(values):
        try:
            ip_network(value, strict=False)
        except ValueError:
            raise ValidationError(f"{value!r} is not an IP address or CIDR network.") from None


def _reset_url(value: str) -> None:
    if value.count("{token}") != 1:
        raise ValidationError("Must contain {token} once: the link the reset e-mail carries.")


def _hmac_algorithms(values: list[str]) -> None:
    # Only shared-secret algorithms make sense with SECRET_KEY; "none" is never accepted.
    if not _entries(values):
        raise ValidationError(f"At least one of {', '.join(_HMAC_ALGORITHMS)} is required.")
    for value in _entries(values):
        OneOf(_HMAC_ALGORITHMS)(value)


def _check(settings: Settings) -> None:
    _check_celery(settings)
    if settings.session_max_lifetime_days < settings.refresh_token_expires_days:
        raise SettingsError(
            "SESSION_MAX_LIFETIME_DAYS: must be at least REFRESH_TOKEN_EXPIRES_DAYS"
        )
    if settings.is_prod:
        _check_prod(settings)
    elif not settings.secret_key:
        raise SettingsError("SECRET_KEY: required (every process of a deployment must share it)")


def _check_prod(settings: Settings) -> None:
    _check_secret_key(settings.secret_key)
    if settings.debug:
        raise SettingsError("DEBUG: must be false in PROD")
    if "*" in settings.cors_origin_whitelist:
        raise SettingsError("CORS_ORIGIN_WHITELIST: '*' is refused in PROD")
    if not settings.db_password:
        raise SettingsError("DB_PASSWORD: PROD needs a database password")
    for name, url in _broker_urls(settings).items():
        if _logs_in_as_guest(url):
            raise SettingsError(f"{name}: PROD refuses RabbitMQ's default guest:guest login")
    if not settings.password_reset_url.startswith("https://"):
        raise SettingsError("PASSWORD_RESET_URL: PROD sends reset links over https only")


def _check_secret_key(key: str) -> None:
    if key.strip().lower() in _PLACEHOLDER_SECRETS or "change" in key.lower():
        raise SettingsError("SECRET_KEY: PROD needs a real secret, not a placeholder")
    if len(key) < MIN_PROD_SECRET_LENGTH:
        raise SettingsError(f"SECRET_KEY: PROD needs at least {MIN_PROD_SECRET_LENGTH} characters")


def _broker_urls(settings: Settings) -> dict[str, str]:
    urls = {
        "CELERY_BROKER_URL": settings.celery_broker_url,
        "CELERY_RESULT_BACKEND": settings.celery_result_backend,
    }
    if settings.message_broker is MessageBroker.RABBITMQ:  # with Kafka the URL is not used
        urls["MESSAGE_BROKER_URL"] = settings.message_broker_url
    return urls


def _logs_in_as_guest(url: str) -> bool:
    parts = urlsplit(url)
    default = "guest" if parts.scheme in _AMQP_SCHEMES else ""
    user, password = unquote(parts.username or default), unquote(parts.password or default)
    return (user, password) == ("guest", "guest")


def _check_celery(settings: Settings) -> None:
    if settings.celery_task_soft_time_limit >= settings.celery_task_time_limit:
        raise SettingsError("CELERY_TASK_SOFT_TIME_LIMIT: must be below CELERY_TASK_TIME_LIMIT")
    # The Redis broker hands an unacknowledged task to another worker after this timeout: a
    # task still running then would run twice.
    if settings.celery_visibility_timeout <= settings.celery_task_time_limit:
        raise SettingsError("CELERY_VISIBILITY_TIMEOUT: must exceed CELERY_TASK_TIME_LIMIT")
