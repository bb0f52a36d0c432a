"""The shipped alert rules and Grafana dashboard speak of metrics the service exposes.

`scripts/check_alerts.sh` (in CI) runs promtool on the rules and their unit tests; these tests
check what promtool cannot know: that every alert has a case that fires and one that does not,
and that every name in an expression is one of ours.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client.metrics import MetricWrapperBase

from app.infrastructure import metrics

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy/prometheus/alerts.yml"
ALERT_TESTS = ROOT / "deploy/prometheus/alerts_test.yml"
DASHBOARD = ROOT / "deploy/grafana/dashboard.json"
_NAME = re.compile(r"\b(app_[a-z0-9_]+|up)\b")
_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "gauge": ("",),
}


def _families() -> dict[str, str]:
    """Every metric family the service declares, with its type."""
    declared = [m for m in vars(metrics).values() if isinstance(m, MetricWrapperBase)]
    families = [f for m in declared for f in m.describe()] + metrics.OUTBOX_GAUGES.describe()
    return {family.name: family.type for family in families}


def _sample_names() -> set[str]:
    return {name + suffix for name, kind in _families().items() for suffix in _SUFFIXES[kind]}


def _alerts() -> dict[str, str]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}


def _dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


def test_every_alert_has_a_case_that_fires_and_a_case_that_stays_quiet():
    cases = [
        case
        for test in yaml.safe_load(ALERT_TESTS.read_text())["tests"]
        for case in test["alert_rule_test"]
    ]
    firing = {case["alertname"] for case in cases if case["exp_alerts"]}
    quiet = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert firing == set(_alerts())
    assert quiet == set(_alerts())


def test_the_alert_rules_name_only_metrics_the_service_exposes():
    for alert, expression in _alerts().items():
        names = set(_NAME.findall(expression))
        assert names, alert
        assert names <= _sample_names() | {"up"}, alert


def test_the_dashboard_is_grafana_json_whose_panels_query_our_metrics():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"]
    graphs = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    assert graphs
    for panel in graphs:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert ref_ids and len(ref_ids) == len(set(ref_ids)), panel["title"]
    for expression in _dashboard_expressions():
        assert set(_NAME.findall(expression)) <= _sample_names() | {"up"}, expression


def test_the_dashboard_shows_every_metric_the_service_declares():
    shown = {name for e in _dashboard_expressions() for name in _NAME.findall(e)}
    missing = [
        family
        for family, kind in _families().items()
        if not any(family + suffix in shown for suffix in _SUFFIXES[kind])
    ]
    assert missing == []
