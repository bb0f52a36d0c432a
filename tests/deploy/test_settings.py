"""The ConfigMap and the Secret together are every setting, and make a process start in PROD."""

import secrets
from urllib.parse import urlsplit

import pytest

from app.config.settings import LaunchMode, SettingsError, load_settings
from tests.deploy.conftest import (
    ROOT,
    SECRET,
    SETTINGS_VARIABLES,
    containers,
    generator,
    of_kind,
    rendered,
    settings_data,
    workloads,
)

GEN = generator()
SECRET_NAMES = GEN.secret_names(GEN.example_values())


def _secret_values() -> dict[str, str]:
    """What an operator puts in the Secret: a real key and password, URLs with a login."""
    values = {}
    for name, example in GEN.example_values().items():
        if name not in SECRET_NAMES:
            continue
        token = secrets.token_urlsafe(32)
        if "://" in example:
            url = urlsplit(example)
            values[name] = url._replace(netloc=f"app:{token}@{url.hostname}:{url.port}").geturl()
        else:
            values[name] = token
    return values


def _environment(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_the_committed_settings_env_is_what_the_generator_makes_from_env_example():
    # Stale after a change to .env.example: run `python scripts/gen_deploy_env.py`.
    assert GEN.SETTINGS_ENV.read_text() == GEN.render(GEN.example_values())


def test_the_generator_keeps_the_secret_key_passwords_and_urls_out_of_the_configmap():
    assert {"SECRET_KEY", "DB_PASSWORD", "MESSAGE_BROKER_URL", "CELERY_BROKER_URL"} <= set(
        SECRET_NAMES
    )


def test_the_generator_check_fails_on_a_stale_file_and_passes_once_written(tmp_path, monkeypatch):
    target = tmp_path / "settings.env"
    target.write_text("API_PORT=1\n")
    monkeypatch.setattr(GEN, "SETTINGS_ENV", target)
    assert GEN.main(["--check"]) == 1
    assert GEN.main([]) == 0
    assert GEN.main(["--check"]) == 0


def test_the_configmap_and_the_secret_together_hold_every_setting_once(overlay):
    data = settings_data(rendered(overlay))
    assert not set(data) & set(SECRET_NAMES)
    assert not [name for name, value in data.items() if GEN.is_secret(name, value)]
    assert set(data) | set(SECRET_NAMES) == SETTINGS_VARIABLES


def test_the_configmap_alone_cannot_start_a_process_it_needs_the_secret(overlay, monkeypatch):
    _environment(monkeypatch, settings_data(rendered(overlay)))
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings()


def test_the_configmap_with_the_secret_loads_as_prod_settings(overlay, monkeypatch):
    _environment(monkeypatch, settings_data(rendered(overlay)) | _secret_values())
    settings = load_settings()
    assert settings.launch_mode is LaunchMode.PROD
    assert (settings.api_host, settings.grpc_host) == ("0.0.0.0", "0.0.0.0")
    assert settings.log_json
    assert settings.show_api_docs is (overlay == "dev")


def test_every_container_reads_the_configmap_and_the_secret_it_cannot_start_without(overlay):
    objects = rendered(overlay)
    (config_name,) = of_kind(objects, "ConfigMap")
    for name, workload in workloads(objects).items():
        for container in containers(workload):
            sources = container.get("envFrom", [])
            assert {"configMapRef": {"name": config_name}} in sources, (name, container["name"])
            # Not optional: a pod without the Secret stays in CreateContainerConfigError.
            assert {"secretRef": {"name": SECRET}} in sources, (name, container["name"])


def test_the_deployment_guide_names_every_key_of_the_secret():
    guide = (ROOT / "docs" / "deployment.md").read_text()
    assert f"create secret generic {SECRET}" in guide
    assert [name for name in SECRET_NAMES if f"--from-literal={name}=" not in guide] == []
