import re
import subprocess
from pathlib import Path

import pytest

from app.config.settings import LaunchMode, SettingsError, load_settings

ROOT = Path(__file__).parents[2]
STRONG = "k" * 48
# Variables a PROD test sets itself; anything else comes from its default.
_CLEARED = (
    "LAUNCH_MODE",
    "SECRET_KEY",
    "DEBUG",
    "CORS_ORIGIN_WHITELIST",
    "API_PORT",
    "JWT_ALGORITHMS",
    "DB_PASSWORD",
    "MESSAGE_BROKER",
    "MESSAGE_BROKER_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "PASSWORD_RESET_URL",
)


@pytest.fixture
def env(monkeypatch):
    for key in _CLEARED:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LAUNCH_MODE", "TEST")
    monkeypatch.setenv("SECRET_KEY", "x")
    return monkeypatch


@pytest.fixture
def prod_env(env):
    """A PROD environment that starts: a real key, a database password, broker credentials."""
    env.setenv("LAUNCH_MODE", "PROD")
    env.setenv("SECRET_KEY", STRONG)
    env.setenv("DB_PASSWORD", "a-real-database-password")
    env.setenv("MESSAGE_BROKER_URL", "amqp://app:a-real-broker-password@rabbitmq:5672/")
    env.setenv("PASSWORD_RESET_URL", "https://app.example.com/reset?token={token}")
    return env


def test_defaults_match_the_spec(env):
    settings = load_settings()
    assert (settings.api_port, settings.grpc_port) == (8081, 50051)
    assert (settings.access_token_expires_minutes, settings.refresh_token_expires_days) == (5, 5)
    assert (settings.max_page_size, settings.max_filters) == (100, 20)
    assert settings.jwt_algorithms == ("HS256",)
    assert settings.launch_mode is LaunchMode.TEST


def test_cors_whitelist_is_comma_separated(env):
    env.setenv("CORS_ORIGIN_WHITELIST", "https://a.example,https://b.example")
    assert load_settings().cors_origin_whitelist == ("https://a.example", "https://b.example")


def test_cors_entries_are_trimmed_and_empty_entries_dropped(env):
    env.setenv("CORS_ORIGIN_WHITELIST", " https://a.example , ,https://b.example, ")
    assert load_settings().cors_origin_whitelist == ("https://a.example", "https://b.example")


def test_jwt_algorithms_are_trimmed_too(env):
    env.setenv("JWT_ALGORITHMS", " HS512 , HS256 ")
    assert load_settings().jwt_algorithms == ("HS512", "HS256")


@pytest.mark.parametrize("value", ["", " ", ",", " , "])
def test_an_empty_jwt_algorithms_stops_naming_the_variable(env, value):
    env.setenv("JWT_ALGORITHMS", value)
    with pytest.raises(SettingsError, match="JWT_ALGORITHMS"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("API_PORT", "eighty"),
        ("API_PORT", "70000"),
        ("LAUNCH_MODE", "STAGING"),
        ("DEBUG", "maybe"),
        ("MESSAGE_BROKER", "zeromq"),
        ("JWT_ALGORITHMS", "none"),
        ("JWT_ALGORITHMS", "RS256"),
        ("PASSWORD_HASH_ROUNDS", "3"),
        ("LOG_LEVEL", "LOUD"),
        ("OUTBOX_RELAY_INTERVAL_SECONDS", "0"),
        ("METRICS_PORT", "-1"),
        ("METRICS_PORT", "65536"),
    ],
)
def test_an_invalid_value_stops_with_a_message_naming_the_variable(env, name, value):
    env.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_a_secret_key_is_required_everywhere(env):
    env.setenv("SECRET_KEY", "")
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings()


@pytest.mark.parametrize("key", ["", "short-key", "dev-secret-key-change-me", "changeme" * 5])
def test_prod_refuses_a_missing_short_or_placeholder_secret(env, key):
    env.setenv("LAUNCH_MODE", "PROD")
    env.setenv("SECRET_KEY", key)
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"), [("DEBUG", "true"), ("CORS_ORIGIN_WHITELIST", "https://a.example,*")]
)
def test_prod_refuses_debug_and_wildcard_cors(env, name, value):
    env.setenv("LAUNCH_MODE", "PROD")
    env.setenv("SECRET_KEY", STRONG)
    env.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_prod_hides_the_api_docs_and_logs_json_by_default(prod_env):
    settings = load_settings()
    assert settings.is_prod and not settings.show_api_docs and settings.log_json


def _committed_secret_keys() -> set[str]:
    """Every SECRET_KEY value written in the repository's examples, compose files and scripts."""
    assignment = re.compile(r"SECRET_KEY[\"']?[\s=:,]+[\"']?([A-Za-z0-9-]{8,})")
    files = [ROOT / ".env.example", ROOT / "docs" / "conf.py", ROOT / "tests" / "conftest.py"]
    files += ROOT.glob("docker-compose*.yml")
    # The tracked files only: scripts/ also holds the contract tools' installed node_modules.
    tracked = subprocess.run(
        ["git", "ls-files", ".launch", "scripts", "deploy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    files += (ROOT / name for name in tracked.stdout.splitlines())
    texts = (path.read_text(errors="replace") for path in files)
    return {key for text in texts for key in assignment.findall(text)}


def test_the_committed_secret_keys_are_found():
    assert {
        "dev-secret-key-change-me",  # .env.example
        "local-compose-secret-key-not-for-production",  # .launch/docker-compose.yml
        "test-secret-key-that-is-long-enough-0123456789",  # tests/conftest.py
    } <= _committed_secret_keys()


@pytest.mark.parametrize("key", sorted(_committed_secret_keys()))
def test_prod_refuses_every_secret_key_committed_in_the_repository(prod_env, key):
    prod_env.setenv("SECRET_KEY", key)
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MESSAGE_BROKER_URL", "amqp://guest:guest@rabbitmq:5672/"),
        ("MESSAGE_BROKER_URL", "amqps://rabbitmq:5671/"),  # no credentials: the client sends guest
        ("MESSAGE_BROKER_URL", "amqp://guest@rabbitmq/"),
        ("CELERY_BROKER_URL", "amqp://guest:guest@rabbitmq:5672//"),
        ("CELERY_BROKER_URL", "pyamqp://rabbitmq//"),
        ("CELERY_RESULT_BACKEND", "rpc://guest:guest@rabbitmq//"),
        ("DB_PASSWORD", ""),
        ("PASSWORD_RESET_URL", "http://app.example.com/reset?token={token}"),
    ],
)
def test_prod_refuses_default_broker_credentials_and_an_empty_database_password(
    prod_env, name, value
):
    prod_env.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_prod_starts_with_real_credentials(prod_env):
    prod_env.setenv("CELERY_BROKER_URL", "amqp://celery:a-real-password@rabbitmq:5672//")
    assert load_settings().is_prod


def test_prod_on_kafka_ignores_the_unused_rabbitmq_url(prod_env):
    prod_env.delenv("MESSAGE_BROKER_URL")
    prod_env.setenv("MESSAGE_BROKER", "kafka")
    assert load_settings().message_broker_url.startswith("amqp://guest:guest@")


@pytest.mark.parametrize("mode", ["LOCAL", "TEST"])
def test_outside_prod_the_local_defaults_start(env, mode, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # LOCAL reads ./.env: a developer's file must not count here
    env.setenv("LAUNCH_MODE", mode)
    settings = load_settings()
    assert settings.db_password == ""
    assert settings.message_broker_url == "amqp://guest:guest@127.0.0.1:5672/"


def test_the_app_command_reports_bad_settings_and_exits_2(env, capsys):
    from app.interfaces.cli.main import main

    env.setenv("API_PORT", "eighty")
    assert main(["migrate"]) == 2
    assert "API_PORT" in capsys.readouterr().err


def test_env_example_lists_every_setting():
    from dataclasses import fields
    from pathlib import Path

    from app.config.settings import Settings

    example = (Path(__file__).parents[2] / ".env.example").read_text()
    lines = [line for line in example.splitlines() if "=" in line and not line.startswith("#")]
    names = {line.split("=", 1)[0] for line in lines}
    assert {f.name.upper() for f in fields(Settings)} <= names


@pytest.mark.parametrize("url", ["https://app.example.com/reset", "https://x/{token}/{token}"])
def test_the_reset_link_holds_the_token_once(env, url):
    env.setenv("PASSWORD_RESET_URL", url)
    with pytest.raises(SettingsError, match="PASSWORD_RESET_URL"):
        load_settings()
