import pytest

from app.config.settings import LaunchMode, SettingsError, load_settings

STRONG = "k" * 48


@pytest.fixture
def env(monkeypatch):
    for key in ("LAUNCH_MODE", "SECRET_KEY", "DEBUG", "CORS_ORIGIN_WHITELIST", "API_PORT"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LAUNCH_MODE", "TEST")
    monkeypatch.setenv("SECRET_KEY", "x")
    return monkeypatch


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


def test_prod_hides_the_api_docs_and_logs_json_by_default(env):
    env.setenv("LAUNCH_MODE", "PROD")
    env.setenv("SECRET_KEY", STRONG)
    settings = load_settings()
    assert settings.is_prod and not settings.show_api_docs and settings.log_json


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
