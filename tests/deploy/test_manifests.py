"""What the rendered overlays mean: processes, ports, probes, labels, shutdown and security."""

import importlib
import re

from fastapi.routing import iter_route_contexts

from app.config.celery import celery_config
from app.interfaces.api.app import create_app
from app.interfaces.cli.main import _parser
from tests.deploy.conftest import (
    ROOT,
    SETTINGS_VARIABLES,
    Manifest,
    by_process,
    containers,
    main_container,
    of_kind,
    pod_spec,
    rendered,
    settings_data,
    workloads,
)

PROCESSES = {"api", "grpc", "consumer", "worker", "beat"}
# Read by a tool in the container, not by Settings: gunicorn's worker count.
TOOL_VARIABLES = {"WEB_CONCURRENCY"}
APP_COMMANDS = set(_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]


def _labels(workload: Manifest) -> dict[str, str]:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def _selected(selector: dict[str, str], objects: list[Manifest]) -> list[str]:
    return [
        name
        for name, workload in workloads(objects).items()
        if selector.items() <= _labels(workload).items()
    ]


def _budgeted(objects: list[Manifest]) -> set[str]:
    """The workloads some PodDisruptionBudget protects."""
    budgets = of_kind(objects, "PodDisruptionBudget").values()
    return {n for b in budgets for n in _selected(b["spec"]["selector"]["matchLabels"], objects)}


def _probes(container: Manifest) -> list[Manifest]:
    kinds = ("startupProbe", "livenessProbe", "readinessProbe")
    return [container[kind] for kind in kinds if kind in container]


def _port(container: Manifest, name: str) -> int:
    (port,) = [p["containerPort"] for p in container["ports"] if p["name"] == name]
    return int(port)


def test_every_overlay_runs_the_five_processes_and_the_migration_job(overlay):
    objects = rendered(overlay)
    assert set(by_process(objects)) == PROCESSES
    assert list(of_kind(objects, "Job")) == ["app-migrate"]


def test_every_variable_in_the_manifests_is_a_setting_or_a_tool_variable(overlay):
    objects = rendered(overlay)
    assert set(settings_data(objects)) <= SETTINGS_VARIABLES
    for name, workload in workloads(objects).items():
        for container in containers(workload):
            variables = {variable["name"] for variable in container.get("env", [])}
            assert variables <= SETTINGS_VARIABLES | TOOL_VARIABLES, (name, variables)


def test_every_process_is_an_app_command_and_the_api_is_gunicorn_with_its_config(overlay):
    processes = by_process(rendered(overlay))
    for name, deployment in processes.items():
        command = main_container(deployment)["command"]
        if name == "api":
            config = command[command.index("-c") + 1]
            assert command[0] == "gunicorn" and (ROOT / config).is_file()
            # gunicorn's worker heartbeat files, with a read-only root filesystem.
            assert command[command.index("--worker-tmp-dir") + 1] == "/dev/shm"
            assert "--no-control-socket" in command  # it would go to the read-only $HOME
        else:
            assert command[0] == "app" and command[1] in APP_COMMANDS, command


def test_only_the_migration_job_migrates_and_every_deployment_waits_for_its_schema(overlay):
    objects = rendered(overlay)
    job = of_kind(objects, "Job")["app-migrate"]
    assert main_container(job)["command"] == ["app", "migrate"]
    assert pod_spec(job)["restartPolicy"] == "Never"
    for name, deployment in of_kind(objects, "Deployment").items():
        assert "migrate" not in main_container(deployment)["command"], name
        (wait,) = pod_spec(deployment)["initContainers"]
        script = " ".join(wait["command"])
        assert "alembic check" in script and "upgrade" not in script, name
        assert wait["image"] == main_container(deployment)["image"] == main_container(job)["image"]


def test_exactly_one_beat_recreated_never_autoscaled(overlay):
    objects = rendered(overlay)
    beats = [
        name
        for name, deployment in of_kind(objects, "Deployment").items()
        if main_container(deployment)["command"][:2] == ["app", "beat"]
    ]
    assert beats == ["app-beat"]
    beat = of_kind(objects, "Deployment")["app-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    scalers = [o["spec"] for o in objects if "scaleTargetRef" in o.get("spec", {})]
    assert "app-beat" not in [scaler["scaleTargetRef"]["name"] for scaler in scalers]
    assert "app-beat" not in _budgeted(objects)


def test_container_ports_are_the_configured_api_grpc_and_metrics_ports(overlay):
    objects = rendered(overlay)
    data, processes = settings_data(objects), by_process(objects)
    api, grpc = main_container(processes["api"]), main_container(processes["grpc"])
    assert _port(api, "http") == int(data["API_PORT"])
    assert _port(grpc, "grpc") == int(data["GRPC_PORT"])
    assert grpc["readinessProbe"]["grpc"]["port"] == int(data["GRPC_PORT"])
    assert [p["name"] for p in api["ports"]] == ["http"]  # the API serves /metrics there
    for name in ("grpc", "consumer", "worker", "beat"):
        container = main_container(processes[name])
        assert _port(container, "metrics") == int(data["METRICS_PORT"]), name
    assert data["METRICS_HOST"] == "0.0.0.0"  # the default, loopback, is out of Prometheus' reach


def test_every_process_tells_prometheus_the_port_that_serves_its_metrics(overlay):
    objects = rendered(overlay)
    for name, deployment in by_process(objects).items():
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert annotations["prometheus.io/path"] == "/metrics", name
        served = "http" if name == "api" else "metrics"
        port = _port(main_container(deployment), served)
        assert annotations["prometheus.io/port"] == str(port), name
        policies = [
            policy["spec"]
            for policy in of_kind(objects, "NetworkPolicy").values()
            if deployment["metadata"]["name"]
            in _selected(policy["spec"]["podSelector"]["matchLabels"], objects)
        ]
        admitted = {r["port"] for p in policies for i in p.get("ingress", []) for r in i["ports"]}
        assert port in admitted, name  # the network policy lets the scrape in


def test_every_service_targets_a_named_port_of_the_pods_it_selects(overlay):
    objects = rendered(overlay)
    for name, service in of_kind(objects, "Service").items():
        (selected,) = _selected(service["spec"]["selector"], objects)
        ports = {p["name"] for p in main_container(workloads(objects)[selected]).get("ports", [])}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports, name


def test_probe_paths_are_routes_of_the_app(overlay, base_settings):
    app = create_app(settings=base_settings)
    routes = {r.path for r in iter_route_contexts(app.routes) if r.methods and "GET" in r.methods}
    paths = {
        probe["httpGet"]["path"]
        for workload in workloads(rendered(overlay)).values()
        for container in containers(workload)
        for probe in _probes(container)
        if "httpGet" in probe
    }
    assert paths == {"/livez", "/readyz"}
    assert paths <= routes


def test_the_api_lives_on_livez_and_takes_traffic_on_readyz(overlay):
    api = main_container(by_process(rendered(overlay))["api"])
    assert api["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert api["startupProbe"]["httpGet"]["path"] == "/livez"
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_selectors_match_the_labels_of_their_pods(overlay):
    objects = rendered(overlay)
    for name, deployment in of_kind(objects, "Deployment").items():
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= _labels(deployment).items(), name
        assert _selected(selector, objects) == [name], name
    for budget in of_kind(objects, "PodDisruptionBudget").values():
        assert len(_selected(budget["spec"]["selector"]["matchLabels"], objects)) == 1
    for policy in of_kind(objects, "NetworkPolicy").values():
        assert _selected(policy["spec"]["podSelector"]["matchLabels"], objects)


def test_termination_grace_outlasts_each_process_shutdown(overlay, base_settings):
    # The config module reads the settings when imported: base_settings has set them.
    gunicorn_config = importlib.import_module("app.interfaces.cli.gunicorn_config")
    objects = rendered(overlay)
    data, processes = settings_data(objects), by_process(objects)

    def grace(name: str) -> int:
        return int(pod_spec(processes[name])["terminationGracePeriodSeconds"])

    def pause(name: str) -> int:
        return int(main_container(processes[name])["lifecycle"]["preStop"]["sleep"]["seconds"])

    assert pause("api") >= 5 and pause("grpc") >= 1
    assert grace("api") > pause("api") + gunicorn_config.graceful_timeout
    assert grace("grpc") > pause("grpc") + float(data["GRPC_GRACE_SECONDS"])
    assert grace("consumer") > float(data["CONSUMER_SHUTDOWN_TIMEOUT"])
    assert grace("worker") > float(data["CELERY_TASK_TIME_LIMIT"])


def test_workers_prefetch_one_task_per_process_and_ack_late(base_settings):
    # The Redis list the worker ScaledObject measures then holds only tasks nobody runs yet.
    config = celery_config(base_settings)
    assert config["worker_prefetch_multiplier"] == 1
    assert config["task_acks_late"] is True


def test_every_pod_runs_under_the_restricted_pod_security_profile(overlay):
    for name, workload in workloads(rendered(overlay)).items():
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        tmp_volumes = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in containers(workload):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, (name, container["name"])
            assert context["readOnlyRootFilesystem"] is True, (name, container["name"])
            assert context["capabilities"] == {"drop": ["ALL"]}, (name, container["name"])
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts.get("/tmp") in tmp_volumes, (name, container["name"])
            resources = container["resources"]
            for bound in ("requests", "limits"):
                assert set(resources[bound]) == {"cpu", "memory"}, (name, container["name"])


def test_pods_run_as_the_user_the_image_creates():
    dockerfile = (ROOT / ".launch" / "Dockerfile").read_text()
    runtime_user = re.search(r"^USER (\d+):(\d+)$", dockerfile, re.MULTILINE)
    assert runtime_user
    for workload in workloads(rendered("prod")).values():
        context = pod_spec(workload)["securityContext"]
        assert (str(context["runAsUser"]), str(context["runAsGroup"])) == runtime_user.groups()


def test_dev_runs_one_pod_of_each_process_without_autoscalers_or_budgets():
    objects = rendered("dev")
    for kind in ("HorizontalPodAutoscaler", "ScaledObject", "TriggerAuthentication"):
        assert of_kind(objects, kind) == {}, kind
    assert of_kind(objects, "PodDisruptionBudget") == {}
    for name, deployment in of_kind(objects, "Deployment").items():
        assert deployment["spec"].get("replicas", 1) == 1, name


def test_prod_autoscales_and_protects_every_process_but_beat(prod_overlay):
    objects = rendered(prod_overlay)
    autoscalers = of_kind(objects, "HorizontalPodAutoscaler")
    scaled = of_kind(objects, "ScaledObject")
    on_cpu = {
        a["spec"]["scaleTargetRef"]["name"]: {m["resource"]["name"] for m in a["spec"]["metrics"]}
        for a in autoscalers.values()
    }
    assert on_cpu == {"app-api": {"cpu"}, "app-grpc": {"cpu"}}
    on_backlog = {o["spec"]["scaleTargetRef"]["name"] for o in scaled.values()}
    assert on_backlog == {"app-consumer", "app-worker"}
    for name in {*on_cpu, *on_backlog}:
        # A replica count in the manifest would undo the autoscaler's on every apply.
        assert "replicas" not in of_kind(objects, "Deployment")[name]["spec"], name
    assert _budgeted(objects) == {"app-api", "app-grpc", "app-consumer", "app-worker"}


def test_the_guide_states_the_connection_budget_of_prod_at_its_maximum_replicas():
    objects = rendered("prod")
    data = settings_data(objects)
    pool = int(data["CONNECTIONS_POOL_MIN_SIZE"]) + int(data["CONNECTIONS_POOL_MAX_OVERFLOW"])
    maximum = {
        a["spec"]["scaleTargetRef"]["name"]: a["spec"]["maxReplicas"]
        for a in of_kind(objects, "HorizontalPodAutoscaler").values()
    }
    maximum |= {
        o["spec"]["scaleTargetRef"]["name"]: o["spec"]["maxReplicaCount"]
        for o in of_kind(objects, "ScaledObject").values()
    }
    per_pod = _processes_per_pod(objects)
    total = sum(maximum[name] * count * pool for name, count in per_pod.items())
    guide = (ROOT / "docs" / "deployment.md").read_text()
    assert f"= {total} connections" in guide


def _processes_per_pod(objects: list[Manifest]) -> dict[str, int]:
    """Processes with a connection pool in one pod of each Deployment that has one."""
    processes = by_process(objects)
    api = {e["name"]: e["value"] for e in main_container(processes["api"])["env"]}
    worker = main_container(processes["worker"])["command"]
    return {
        "app-api": int(api["WEB_CONCURRENCY"]),
        "app-grpc": 1,
        "app-consumer": 1,
        "app-worker": int(worker[worker.index("--concurrency") + 1]),
    }


def test_every_pod_fits_in_db_max_connections_per_pod(overlay):
    objects = rendered(overlay)
    data = settings_data(objects)
    pool = int(data["CONNECTIONS_POOL_MIN_SIZE"]) + int(data["CONNECTIONS_POOL_MAX_OVERFLOW"])
    limit = int(data["DB_MAX_CONNECTIONS_PER_POD"])
    assert limit > 0  # the kit states the budget it was sized for; start refuses past it
    assert {
        name: count * pool
        for name, count in _processes_per_pod(objects).items()
        if count * pool > limit
    } == {}
