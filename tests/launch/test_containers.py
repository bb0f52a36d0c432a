"""The Dockerfile and the compose files agree with each other, the `app` command and Settings."""

import re
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from app.config.settings import Settings
from app.interfaces.cli.main import _parser

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = ROOT / ".launch"
DOCKERFILE = (LAUNCH / "Dockerfile").read_text()
COMPOSE_FILES = sorted(LAUNCH.glob("docker-compose*.yml"))
PROCESS_TARGETS = ("api", "grpc", "consume", "celery", "beat", "migrate")
SETTINGS_VARIABLES = {field.name.upper() for field in fields(Settings)}
# Variables of the tools in the images, not of the service.
TOOL_VARIABLES = {
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    "PIP_NO_CACHE_DIR",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "UV_NO_CACHE",
    "VIRTUAL_ENV",
    "PATH",
}


def _targets() -> set[str]:
    return set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", DOCKERFILE, re.MULTILINE | re.IGNORECASE))


def _stage(target: str) -> str:
    start = re.search(rf"^FROM\s+\S+\s+AS\s+{target}\s*$", DOCKERFILE, re.MULTILINE)
    assert start, f"no stage {target}"
    rest = DOCKERFILE[start.end() :]
    following = re.search(r"^FROM\s", rest, re.MULTILINE)
    return rest[: following.start()] if following else rest


def _compose(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _our_services(path: Path) -> dict[str, dict]:
    return {
        name: service
        for name, service in _compose(path)["services"].items()
        if isinstance(service.get("build"), dict)
    }


def test_the_dockerfile_has_a_target_per_process_and_one_for_the_tests():
    assert _targets() >= {*PROCESS_TARGETS, "tests"}


@pytest.mark.parametrize("target", [t for t in PROCESS_TARGETS if t != "api"])
def test_each_process_target_runs_a_command_the_app_command_knows(target):
    command = re.search(r'^CMD \["app", "([a-z]+)"', _stage(target), re.MULTILINE)
    assert command, f"{target} does not start with `app <command>`"
    known = _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert command.group(1) in known, f"`app {command.group(1)}` does not exist"


def test_the_api_target_serves_with_gunicorn_and_the_repository_config():
    cmd = re.search(r"^CMD (.+)$", _stage("api"), re.MULTILINE)
    assert cmd and '"gunicorn", "-c", "src/app/interfaces/cli/gunicorn_config.py"' in cmd.group(1)
    assert (ROOT / "src/app/interfaces/cli/gunicorn_config.py").is_file()


def test_runtime_images_run_as_a_non_root_user_without_dev_requirements():
    runtime = _stage("runtime") + _stage("runtime-deps")
    assert re.search(r"^USER 10001", runtime, re.MULTILINE)
    assert "requirements/main.txt" in runtime
    assert "dev.txt" not in runtime


def test_every_env_in_the_dockerfile_is_a_setting_or_a_tool_variable():
    instructions = DOCKERFILE.replace("\\\n", " ").splitlines()
    env_lines = [line for line in instructions if line.startswith("ENV ")]
    names = {name for line in env_lines for name in re.findall(r"([A-Z][A-Z0-9_]*)=", line)}
    assert names, "no ENV found"
    assert names - SETTINGS_VARIABLES - TOOL_VARIABLES == set()


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_every_build_target_in_a_compose_file_exists_in_the_dockerfile(path):
    services = _our_services(path)
    assert services
    for name, service in services.items():
        build = service["build"]
        assert (path.parent / build["context"] / build["dockerfile"]).resolve() == (
            LAUNCH / "Dockerfile"
        )
        assert build.get("target") in _targets(), f"{path.name}: {name}"


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_every_variable_given_to_our_processes_is_a_setting(path):
    for name, service in _our_services(path).items():
        unknown = set(service.get("environment", {})) - SETTINGS_VARIABLES
        assert not unknown, f"{path.name}: {name} sets {unknown}, which Settings does not read"


def test_in_development_every_process_waits_for_the_one_shot_migration():
    services = _our_services(LAUNCH / "docker-compose.yml")
    assert services["migrate"]["restart"] == "no"
    assert {"api", "grpc", "consume", "celery", "beat"} <= set(services)
    for name, service in services.items():
        if name != "migrate":
            waits = service["depends_on"]["migrate"]["condition"]
            assert waits == "service_completed_successfully", name


def test_development_compose_runs_the_backing_services_local_prepare_starts():
    services = _compose(LAUNCH / "docker-compose.yml")["services"]
    assert {"postgres", "redis", "rabbitmq", "kafka"} <= set(services)
    started = re.search(r"up -d --wait (.+)", (ROOT / "local_prepare.sh").read_text())
    assert started and set(started.group(1).split()) <= set(services)


def test_the_test_compose_gates_the_suite_on_health_checks_and_never_sleeps():
    path = LAUNCH / "docker-compose-tests.yml"
    services = _compose(path)["services"]
    backing = {name for name in services if name != "tests"}
    assert backing == {"postgres", "redis", "rabbitmq", "kafka"}
    assert all("healthcheck" in services[name] for name in backing)
    gates = services["tests"]["depends_on"]
    assert {name: gate["condition"] for name, gate in gates.items()} == dict.fromkeys(
        backing, "service_healthy"
    )
    assert "sleep" not in yaml.safe_dump(services)


def test_published_ports_listen_on_loopback_only():
    for path in COMPOSE_FILES:
        for name, service in _compose(path)["services"].items():
            for port in service.get("ports", []):
                assert str(port).startswith("127.0.0.1:"), f"{path.name}: {name} {port}"
