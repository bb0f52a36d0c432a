"""Settings of sessions, attempt limits, the hashing queue and trusted proxies."""

from __future__ import annotations

import pytest

from app.config.settings import SettingsError, load_settings

_OURS = (
    "TRUSTED_PROXIES",
    "SESSION_MAX_LIFETIME_DAYS",
    "REFRESH_TOKEN_EXPIRES_DAYS",
    "SIGN_UP_ATTEMPTS_PER_MINUTE",
    "PASSWORD_HASH_QUEUE_LIMIT",
)


@pytest.fixture
def env(monkeypatch):
    for key in _OURS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LAUNCH_MODE", "TEST")
    monkeypatch.setenv("SECRET_KEY", "x")
    return monkeypatch


def test_the_defaults_trust_no_proxy_and_limit_sign_up_to_at_most_20_a_minute(env):
    settings = load_settings()
    assert settings.trusted_proxies == ()
    assert 1 <= settings.sign_up_attempts_per_minute <= 20
    assert settings.session_max_lifetime_days >= settings.refresh_token_expires_days
    assert settings.password_hash_queue_limit >= 1


def test_trusted_proxies_take_addresses_and_networks_trimmed(env):
    env.setenv("TRUSTED_PROXIES", " 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,")
    assert load_settings().trusted_proxies == ("10.0.0.0/8", "192.0.2.7", "2001:db8::/32")


@pytest.mark.parametrize("value", ["proxy.internal", "10.0.0.0/33", "10.0.0.1-10.0.0.9"])
def test_a_trusted_proxy_that_is_no_address_stops_the_start_naming_the_variable(env, value):
    env.setenv("TRUSTED_PROXIES", f"10.0.0.1,{value}")
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings()


def test_a_session_lifetime_below_the_refresh_token_lifetime_stops_the_start(env):
    env.setenv("REFRESH_TOKEN_EXPIRES_DAYS", "7")
    env.setenv("SESSION_MAX_LIFETIME_DAYS", "6")
    with pytest.raises(SettingsError, match="SESSION_MAX_LIFETIME_DAYS"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"), [("PASSWORD_HASH_QUEUE_LIMIT", "-1"), ("SIGN_UP_ATTEMPTS_PER_MINUTE", "0")]
)
def test_a_limit_out_of_range_stops_the_start_naming_it(env, name, value):
    env.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()
