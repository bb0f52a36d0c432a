"""The Kubernetes kit as rendered by `kubectl kustomize`: one list of objects per overlay."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from dataclasses import fields
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from app.config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = sorted(path.name for path in (KUBERNETES / "overlays").iterdir() if path.is_dir())
PROD_OVERLAYS = [name for name in OVERLAYS if name.startswith("prod")]
SETTINGS_VARIABLES = {field.name.upper() for field in fields(Settings)}
SECRET = "app-secrets"
Manifest = dict[str, Any]


def generator() -> ModuleType:
    """scripts/gen_deploy_env.py, which writes the ConfigMap's env file from .env.example."""
    spec = importlib.util.spec_from_file_location(
        "gen_deploy_env", ROOT / "scripts/gen_deploy_env.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def _rendered(overlay: str) -> tuple[Manifest, ...]:
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is not installed: it renders the overlays (kubectl kustomize)")
    done = subprocess.run(
        ["kubectl", "kustomize", str(KUBERNETES / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def rendered(overlay: str) -> list[Manifest]:
    return list(_rendered(overlay))


def of_kind(objects: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def workloads(objects: list[Manifest]) -> dict[str, Manifest]:
    """The Deployments and the Job: everything that runs the image."""
    return of_kind(objects, "Deployment") | of_kind(objects, "Job")


def pod_spec(workload: Manifest) -> Manifest:
    spec: Manifest = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: Manifest) -> list[Manifest]:
    """Init containers first, then the process itself."""
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def main_container(workload: Manifest) -> Manifest:
    (container,) = pod_spec(workload)["containers"]
    return container


def by_process(objects: list[Manifest]) -> dict[str, Manifest]:
    """Deployments by the component label: api, grpc, consumer, worker, beat."""
    return {
        d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]: d
        for d in of_kind(objects, "Deployment").values()
    }


def settings_data(objects: list[Manifest]) -> dict[str, str]:
    """The generated ConfigMap every process reads its settings from."""
    (config,) = [o for o in of_kind(objects, "ConfigMap").values()]
    data: dict[str, str] = config["data"]
    return data


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(params=PROD_OVERLAYS)
def prod_overlay(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name
