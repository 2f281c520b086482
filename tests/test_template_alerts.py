"""The generated service's alert rules, PrometheusRule and Grafana dashboard, checked with the real tools.

The iris project is baked as in `test_template.py`. The rules are checked by Debian's `promtool`
(`check rules`, and `test rules` with unit tests of every alert written below), and a real
Prometheus (Debian's `prometheus`) scrapes the running service every second and evaluates the
shipped rules: shifted traffic moves the drift status to `alert` and the drift alert fires.
Both programs are skipped when absent, except in CI (`CI=true`), where `.ci/run` installs them
and their absence is a failure.

Neither `kubernetes-validate` nor Grafana publishes a schema these tests can use offline:
kubernetes-validate ships the built-in kinds only (a PrometheusRule is a custom resource:
SchemaNotFoundError) and Grafana has no standalone JSON schema for dashboards. So the
PrometheusRule is checked field by field against what the Prometheus Operator's CRD
(monitoring.coreos.com/v1, operator v0.76) declares, its `spec` is given to `promtool`, and the
dashboard is checked for what a provisioning load needs (title, uid, schemaVersion, panels with
type, gridPos and targets, a datasource variable and no hard-coded datasource uid). Every
metric that a rule or a dashboard query names must be in the running service's `/metrics`.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _services import RunningService, free_port, running_service
from test_template import PACKAGE, TEMPLATE, Baked, bake_example, run_notebook

pytestmark = pytest.mark.slow  # bakes the iris project; serves it, runs promtool and Prometheus

yaml = pytest.importorskip("yaml")

NAME = "iris-service"
"""The project's name: the scrape job, the `service` label and the dashboard's default job."""
PREFIX = PACKAGE.upper() + "_"
SEVERITIES = {"warning", "critical"}
PROMETHEUS_OWN = {"up"}
"""Series Prometheus makes itself for each target: not in `/metrics`."""
DURATION = re.compile(r"0|([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?")
"""Prometheus's duration syntax (the pattern the CRD puts on `for` and `interval`)."""
RULE_KEYS = {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}
GROUP_KEYS = {"name", "interval", "limit", "partial_response_strategy", "query_offset", "rules"}
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
UID = re.compile(r"[a-zA-Z0-9_-]{1,40}")
PANEL_TYPES = {"row", "timeseries", "stat", "state-timeline", "gauge", "bargauge", "table", "text", "heatmap"}
GRID_COLUMNS = 24
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or",
                "unless", "inf", "nan"}
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}
SETTLE_SECONDS = 90
"""How long Prometheus may take to scrape, evaluate and fire (it scrapes and evaluates every second)."""


# -- the tools ------------------------------------------------------------------------------------------


def tool(name: str) -> str:
    """The path of Debian's `name` (promtool, prometheus); skip without it, except in CI."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").is_file() else None)
    if path is None:
        message = f"{name} is not installed (Debian's prometheus package)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; .ci/run installs it")
        pytest.skip(message)
    return path


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("promtool"), *map(str, args)], capture_output=True, text=True, timeout=120)


# -- PromQL ---------------------------------------------------------------------------------------------


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression (or Grafana's `label_values(selector, label)`) selects.

    Strings, label matchers, ranges and `by (...)`-like label lists are removed first; what is left
    that is a name and not a function call, keyword or number is a metric.
    """
    values = re.fullmatch(r"\s*label_values\((.*),\s*[a-zA-Z_]\w*\s*\)\s*", expr, flags=re.DOTALL)
    text = values.group(1) if values else expr
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', text)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w:.$])([a-zA-Z_:][\w:]*)(\s*\()?", text):
        if match.group(2) is None and match.group(1).lower() not in PROMQL_WORDS:
            names.add(match.group(1))
    return names


def test_metric_names_of_promql() -> None:
    assert metric_names('sum by (route, status) (rate(http_requests_total{job="$job", route!~"/a|/b"}[5m]))') == {
        "http_requests_total"}
    assert metric_names(
        "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{x='y'}[$__rate_interval])))"
        " > 1e3 and on (job) up offset 5m"
    ) == {"http_request_duration_seconds_bucket", "up"}
    assert metric_names("a / ignoring (b) group_left (c) d:recorded == bool 2") == {"a", "d:recorded"}
    assert metric_names('label_values(model_build_info{job="$job"}, instance)') == {"model_build_info"}
    assert metric_names("max(model_ready)") == {"model_ready"}


def exposed_families(text: str) -> dict[str, str]:
    """The metric families of a text exposition, by the name its `# TYPE` line gives: name -> type."""
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, flags=re.MULTILINE))


def missing_metrics(names: set[str], families: dict[str, str]) -> list[str]:
    """The names not in `families`: a counter or gauge by its own name, a histogram's or summary's series
    only by its suffixed names (`_bucket`, `_sum`, `_count`), which is how Prometheus stores them."""

    def exposed(name: str) -> bool:
        if families.get(name) not in (None, "histogram", "summary"):
            return True
        return any(name.endswith(suffix) and suffix in SUFFIXES.get(families.get(name[: -len(suffix)], ""), ())
                   for suffix in ("_bucket", "_sum", "_count"))

    return sorted(name for name in names - PROMETHEUS_OWN if not exposed(name))


def test_missing_metrics_knows_histogram_suffixes() -> None:
    families = {"h": "histogram", "c_total": "counter", "g": "gauge", "s": "summary"}
    names = {"h_bucket", "h_sum", "h_count", "h", "c_total", "c", "g", "g_bucket", "s_sum", "s_bucket", "up"}
    assert missing_metrics(names, families) == ["c", "g_bucket", "h", "s_bucket"]


# -- the baked project -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def notebook() -> dict[str, Any]:
    return run_notebook()


@pytest.fixture(scope="module")
def baked(notebook: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Baked:
    return bake_example(tmp_path_factory.mktemp("bake-alerts"), notebook)


@pytest.fixture(scope="module")
def rules_file(baked: Baked) -> Path:
    return baked.project / "deploy" / "prometheus" / "rules.yml"


@pytest.fixture(scope="module")
def rules(rules_file: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(rules_file.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def alerts(rules: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (group,) = rules["groups"]
    found = {rule["alert"]: rule for rule in group["rules"]}
    assert len(found) == len(group["rules"]), "an alert name is repeated"
    return found


@pytest.fixture(scope="module")
def prometheus_rule(baked: Baked) -> dict[str, Any]:
    documents = list(yaml.safe_load_all((baked.project / "deploy/prometheus/prometheusrule.yaml").read_text("utf-8")))
    assert len(documents) == 1
    return documents[0]


@pytest.fixture(scope="module")
def dashboard(baked: Baked) -> dict[str, Any]:
    return json.loads((baked.project / "deploy" / "grafana" / "dashboard.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def deploy_readme(baked: Baked) -> str:
    return (baked.project / "deploy" / "README.md").read_text(encoding="utf-8")


# -- the rules ---------------------------------------------------------------------------------------------


def test_promtool_checks_the_rules(rules_file: Path, alerts: dict[str, dict[str, Any]]) -> None:
    result = promtool("check", "rules", rules_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alerts)} rules found" in result.stdout


def test_the_rules_cover_the_production_loop(alerts: dict[str, dict[str, Any]]) -> None:
    expected = {
        "ModelInputDrift": "model_drift_status", "ModelQualityDegraded": "model_quality_status",
        "ModelQualityAlert": "model_quality_status", "ModelServiceErrors": "http_requests_total",
        "ModelServiceSlow": "http_request_duration_seconds_bucket", "ModelServiceNotReady": "model_ready",
        "ModelServiceDown": "up", "ModelStoreDown": "model_store_up",
        "ModelStoreDroppingWrites": "model_store_writes_dropped_total",
    }
    assert {name: metric_names(rule["expr"]) for name, rule in alerts.items()} == {
        name: {metric} for name, metric in expected.items()}


def test_every_alert_names_the_service_and_says_what_to_do(
    alerts: dict[str, dict[str, Any]], deploy_readme: str
) -> None:
    sections = set(re.findall(r"^### (\w+)$", deploy_readme, flags=re.MULTILINE))
    for name, rule in alerts.items():
        assert DURATION.fullmatch(rule["for"]) and rule["for"] != "0", name
        assert rule["labels"] == {"severity": rule["labels"]["severity"], "service": NAME}, name
        assert rule["labels"]["severity"] in SEVERITIES, name
        annotations = rule["annotations"]
        assert set(annotations) == {"summary", "description", "runbook"}, name
        assert annotations["summary"].startswith(f"{NAME}: ") and NAME in annotations["description"], name
        assert f"section {name}." in annotations["runbook"] and name in sections, f"{name} has no runbook section"
        # Every selector of the expression is this service's job (Prometheus's templates are not used:
        # the generated files keep no `{{`, and the alert's labels carry the feature, job and instance).
        selectors = re.findall(r"[a-zA-Z_:][\w:]*\{([^{}]*)\}", rule["expr"])
        assert selectors and all(f'job="{NAME}"' in selector for selector in selectors), name
        assert len(selectors) == len(re.findall(r"[a-zA-Z_:][\w:]*(?=\s*\{)", rule["expr"])), name
    assert sections == set(alerts), "deploy/README.md's runbook sections should be the alerts"


def test_the_environment_variables_the_rules_name_are_the_services(rules_file: Path) -> None:
    named = set(re.findall(rf"\b{PREFIX}([A-Z_]+)\b", rules_file.read_text(encoding="utf-8")))
    assert named == {"DRIFT_ALERT", "QUALITY_DEGRADED", "QUALITY_ALERT", "STORE_QUEUE"}


def unit_tests(alerts: dict[str, dict[str, Any]], rules_file: Path) -> dict[str, Any]:
    """promtool unit tests of every alert: the series that fire it, others that must not, and the exact
    alerts (labels and annotations) expected before and after its `for:`."""
    job = f'job="{NAME}"'
    other = 'job="other-service"'

    def fired(name: str, **labels: str) -> dict[str, Any]:
        rule = alerts[name]
        return {"exp_labels": {"job": NAME, **labels, **rule["labels"]}, "exp_annotations": rule["annotations"]}

    def check(name: str, before: str, after: str, *expected: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"eval_time": before, "alertname": name, "exp_alerts": []},
                {"eval_time": after, "alertname": name, "exp_alerts": list(expected)}]

    predict = 'method="POST", route="/predict"'
    tests = [
        {  # drift: only the input at level 2 of this job
            "interval": "1m",
            "input_series": [
                {"series": f'model_drift_status{{{job}, instance="a", feature="petal_length"}}', "values": "2x30"},
                {"series": f'model_drift_status{{{job}, instance="a", feature="sepal_width"}}', "values": "1x30"},
                {"series": f'model_drift_status{{{job}, instance="a", feature="unit"}}', "values": "-1x30"},
                {"series": f'model_drift_status{{{other}, instance="z", feature="petal_length"}}', "values": "2x30"},
            ],
            "alert_rule_test": check("ModelInputDrift", "14m", "16m", fired("ModelInputDrift", instance="a",
                                                                               feature="petal_length")),
        },
        {  # quality: degraded (1) and alert (2) apart; unknown (-1) and ok (0) never
            "interval": "1m",
            "input_series": [
                {"series": f'model_quality_status{{{job}, instance="{instance}"}}', "values": f"{value}x40"}
                for instance, value in (("a", 1), ("b", 2), ("c", -1), ("d", 0))
            ],
            "alert_rule_test": [
                *check("ModelQualityDegraded", "29m", "31m", fired("ModelQualityDegraded", instance="a")),
                *check("ModelQualityAlert", "9m", "11m", fired("ModelQualityAlert", instance="b")),
            ],
        },
        {  # 5xx: 6 of 66 answers (9%) on a; 1 of 61 (1.6%) on b; c's 503s are /ready's, left out
            "interval": "1m",
            "input_series": [
                {"series": f'http_requests_total{{{job}, instance="a", {predict}, status="200"}}', "values": "0+60x20"},
                {"series": f'http_requests_total{{{job}, instance="a", {predict}, status="500"}}', "values": "0+6x20"},
                {"series": f'http_requests_total{{{job}, instance="b", {predict}, status="200"}}', "values": "0+60x20"},
                {"series": f'http_requests_total{{{job}, instance="b", {predict}, status="500"}}', "values": "0+1x20"},
                {"series": f'http_requests_total{{{job}, instance="c", {predict}, status="200"}}', "values": "0+60x20"},
                {"series": f'http_requests_total{{{job}, instance="c", method="GET", route="/ready", status="503"}}',
                 "values": "0+60x20"},
            ],
            "alert_rule_test": check("ModelServiceErrors", "4m", "10m", fired("ModelServiceErrors", instance="a")),
        },
        {  # latency: a's answers take 1 to 2.5 s; b's are fast but its /metrics is slow, and left out
            "interval": "1m",
            "input_series": [
                *({"series": f'http_request_duration_seconds_bucket{{{job}, instance="a", {predict}, status="200", '
                             f'le="{le}"}}', "values": values}
                  for le, values in (("0.5", "0x30"), ("1.0", "0x30"), ("2.5", "0+60x30"), ("+Inf", "0+60x30"))),
                *({"series": f'http_request_duration_seconds_bucket{{{job}, instance="b", {predict}, status="200", '
                             f'le="{le}"}}', "values": "0+60x30"} for le in ("0.5", "1.0", "2.5", "+Inf")),
                *({"series": f'http_request_duration_seconds_bucket{{{job}, instance="b", method="GET", '
                             f'route="/metrics", status="200", le="{le}"}}', "values": values}
                  for le, values in (("0.5", "0x30"), ("1.0", "0x30"), ("2.5", "0x30"), ("+Inf", "0+60x30"))),
            ],
            "alert_rule_test": check("ModelServiceSlow", "5m", "15m", fired("ModelServiceSlow", instance="a")),
        },
        {  # readiness, scrapes and the store: instance a fails each, b does not
            "interval": "1m",
            "input_series": [
                {"series": f'model_ready{{{job}, instance="a"}}', "values": "0x20"},
                {"series": f'model_ready{{{job}, instance="b"}}', "values": "1x20"},
                {"series": f'up{{{job}, instance="a"}}', "values": "0x20"},
                {"series": f'up{{{job}, instance="b"}}', "values": "1x20"},
                {"series": f'up{{{other}, instance="z"}}', "values": "0x20"},
                {"series": f'model_store_up{{{job}, instance="a"}}', "values": "0x20"},
                {"series": f'model_store_up{{{job}, instance="b"}}', "values": "1x20"},
                {"series": f'model_store_writes_dropped_total{{{job}, instance="a"}}', "values": "0+5x20"},
                {"series": f'model_store_writes_dropped_total{{{job}, instance="b"}}', "values": "7x20"},
            ],
            "alert_rule_test": [
                *check("ModelServiceNotReady", "4m", "6m", fired("ModelServiceNotReady", instance="a")),
                *check("ModelServiceDown", "4m", "6m", fired("ModelServiceDown", instance="a")),
                *check("ModelStoreDown", "9m", "11m", fired("ModelStoreDown", instance="a")),
                *check("ModelStoreDroppingWrites", "4m", "10m", fired("ModelStoreDroppingWrites", instance="a")),
            ],
        },
    ]
    tested = {item["alertname"] for test in tests for item in test["alert_rule_test"]}
    assert tested == set(alerts), "every alert has a unit test"
    return {"rule_files": [str(rules_file)], "evaluation_interval": "1m", "tests": tests}


def test_promtool_unit_tests_of_every_alert(
    alerts: dict[str, dict[str, Any]], rules_file: Path, tmp_path: Path
) -> None:
    tests = tmp_path / "alerts_test.yml"
    tests.write_text(yaml.safe_dump(unit_tests(alerts, rules_file), sort_keys=False), encoding="utf-8")
    result = promtool("test", "rules", tests)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_a_unit_test_fails_when_an_alert_is_wrong(
    alerts: dict[str, dict[str, Any]], rules: dict[str, Any], tmp_path: Path
) -> None:
    """The unit tests can fail: with the drift alert's level changed to warn (1), promtool reports it."""
    changed = copy.deepcopy(rules)
    for rule in changed["groups"][0]["rules"]:
        if rule["alert"] == "ModelInputDrift":
            rule["expr"] = rule["expr"].replace("== 2", "== 1")
    wrong = tmp_path / "wrong.yml"
    wrong.write_text(yaml.safe_dump(changed), encoding="utf-8")
    tests = tmp_path / "alerts_test.yml"
    tests.write_text(yaml.safe_dump(unit_tests(alerts, wrong), sort_keys=False), encoding="utf-8")
    result = promtool("test", "rules", tests)
    assert result.returncode != 0 and "ModelInputDrift" in result.stdout + result.stderr


# -- the PrometheusRule ----------------------------------------------------------------------------------


def test_prometheus_rule_has_the_same_rules(prometheus_rule: dict[str, Any], rules: dict[str, Any],
                                            tmp_path: Path) -> None:
    assert prometheus_rule["apiVersion"] == "monitoring.coreos.com/v1" and prometheus_rule["kind"] == "PrometheusRule"
    assert prometheus_rule["metadata"]["name"] == NAME
    assert prometheus_rule["metadata"]["labels"]["app.kubernetes.io/name"] == NAME
    assert prometheus_rule["spec"] == rules
    spec = tmp_path / "spec.yml"
    spec.write_text(yaml.safe_dump(prometheus_rule["spec"]), encoding="utf-8")
    result = promtool("check", "rules", spec)
    assert result.returncode == 0, result.stdout + result.stderr


def crd_problems(resource: dict[str, Any]) -> list[str]:
    """What the PrometheusRule CRD (monitoring.coreos.com/v1) would refuse in `resource`: `spec` required;
    groups with a unique non-empty `name` and only the fields a group has; rules with an `expr` (string or
    integer), exactly one of `alert` and `record`, durations in Prometheus's syntax, string-to-string
    `labels` and `annotations`, and only the fields a rule has."""
    problems = []
    if not isinstance(resource.get("spec"), dict):
        return ["spec is required and must be an object"]
    if set(resource["spec"]) - {"groups"}:
        problems.append(f"unknown spec fields {sorted(set(resource['spec']) - {'groups'})}")
    groups = resource["spec"].get("groups", [])
    names = [group.get("name") for group in groups]
    if len(set(names)) != len(names):
        problems.append("group names must be unique (the list is a map keyed by name)")
    for group in groups:
        where = f"group {group.get('name')!r}"
        if not isinstance(group.get("name"), str) or not group["name"]:
            problems.append(f"{where}: name must be a non-empty string")
        if set(group) - GROUP_KEYS:
            problems.append(f"{where}: unknown fields {sorted(set(group) - GROUP_KEYS)}")
        if "interval" in group and not (isinstance(group["interval"], str) and DURATION.fullmatch(group["interval"])):
            problems.append(f"{where}: interval is not a duration")
        for index, rule in enumerate(group.get("rules", [])):
            at = f"{where} rule {index}"
            if set(rule) - RULE_KEYS:
                problems.append(f"{at}: unknown fields {sorted(set(rule) - RULE_KEYS)}")
            if not isinstance(rule.get("expr"), (str, int)) or isinstance(rule.get("expr"), bool):
                problems.append(f"{at}: expr is required, a string or an integer")
            if ("alert" in rule) == ("record" in rule):
                problems.append(f"{at}: exactly one of alert and record")
            for key in ("alert", "record"):
                if key in rule and not isinstance(rule[key], str):
                    problems.append(f"{at}: {key} must be a string")
            for key in ("for", "keep_firing_for"):
                if key in rule and not (isinstance(rule[key], str) and rule[key] and DURATION.fullmatch(rule[key])):
                    problems.append(f"{at}: {key} is not a duration")
            for key in ("labels", "annotations"):
                mapping = rule.get(key, {})
                if not isinstance(mapping, dict) or not all(
                    isinstance(k, str) and LABEL_NAME.fullmatch(k) and isinstance(v, str) for k, v in mapping.items()
                ):
                    problems.append(f"{at}: {key} must map label names to strings")
    return problems


def test_prometheus_rule_is_valid_for_the_crd(prometheus_rule: dict[str, Any]) -> None:
    assert crd_problems(prometheus_rule) == []
    broken = copy.deepcopy(prometheus_rule)
    rule = broken["spec"]["groups"][0]["rules"][0]
    rule["for"], rule["record"], rule["labels"]["severity"] = "15 minutes", "x", 3
    del broken["spec"]["groups"][0]["rules"][1]["expr"]
    broken["spec"]["groups"].append({"name": NAME, "rules": []})
    assert len(crd_problems(broken)) == 5, crd_problems(broken)
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    try:  # kubernetes-validate knows the built-in kinds only; were it to know this one, it must pass too
        kubernetes_validate.validate(prometheus_rule, kubernetes_validate.latest_version(), strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        pass


# -- the dashboard -----------------------------------------------------------------------------------------


def panels_of(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])  # a collapsed row holds its panels


def datasources(value: Any) -> Iterator[Any]:
    """Every `datasource` value anywhere in the dashboard."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "datasource":
                yield item
            yield from datasources(item)
    elif isinstance(value, list):
        for item in value:
            yield from datasources(item)


def dashboard_exprs(dashboard: dict[str, Any]) -> list[str]:
    exprs = [target["expr"] for panel in panels_of(dashboard) for target in panel.get("targets", [])]
    exprs += [variable["query"] for variable in dashboard["templating"]["list"] if variable["type"] == "query"]
    return exprs


def test_dashboard_has_what_provisioning_needs(dashboard: dict[str, Any]) -> None:
    assert isinstance(dashboard["title"], str) and NAME in dashboard["title"]
    assert UID.fullmatch(dashboard["uid"]) and dashboard["uid"] == f"nb2prod-{NAME}"
    assert "id" not in dashboard or dashboard["id"] is None, "a provisioned dashboard gets its id from Grafana"
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36
    assert isinstance(dashboard["panels"], list) and dashboard["panels"]
    ids = [panel["id"] for panel in panels_of(dashboard)]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids), "panel ids must be unique integers"
    cells: set[tuple[int, int]] = set()
    for panel in panels_of(dashboard):
        assert panel["type"] in PANEL_TYPES and isinstance(panel["title"], str) and panel["title"], panel
        grid = panel["gridPos"]
        assert set(grid) == {"h", "w", "x", "y"} and all(isinstance(v, int) and v >= 0 for v in grid.values())
        assert grid["w"] >= 1 and grid["h"] >= 1 and grid["x"] + grid["w"] <= GRID_COLUMNS, panel["title"]
        covered = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                   for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not covered & cells, f"{panel['title']} overlaps another panel"
        cells |= covered
        if panel["type"] == "row":
            continue
        targets = panel["targets"]
        assert targets and all(target["expr"].strip() for target in targets), panel["title"]
        refs = [target["refId"] for target in targets]
        assert len(refs) == len(set(refs)), panel["title"]
        assert panel["datasource"] == DATASOURCE and all(t["datasource"] == DATASOURCE for t in targets)
        for override in panel["fieldConfig"]["overrides"]:
            if override["matcher"]["id"] == "byFrameRefID":
                assert override["matcher"]["options"] in refs, panel["title"]


def test_dashboard_picks_its_data_source_with_a_variable(dashboard: dict[str, Any]) -> None:
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert variables["job"]["current"]["value"] == NAME
    found = list(datasources(dashboard))
    assert found and all(value == DATASOURCE for value in found), "a data source uid is hard-coded"
    used = {name for expr in dashboard_exprs(dashboard) for name in re.findall(r"\$(\w+)", expr)}
    assert used - {"__rate_interval"} <= set(variables)


def test_dashboard_shows_the_production_loop(dashboard: dict[str, Any]) -> None:
    names = {name for expr in dashboard_exprs(dashboard) for name in metric_names(expr)}
    assert {
        "http_requests_total", "http_request_duration_seconds_bucket", "model_predictions_total",
        "model_prediction_errors_total", "model_drift_psi", "model_drift_status", "model_quality",
        "model_quality_baseline", "model_quality_recall", "model_quality_window_count", "model_quality_status",
        "model_feedback_total", "model_store_up", "model_store_writes_dropped_total", "model_store_queue",
        "model_ready",
    } <= names
    exprs = dashboard_exprs(dashboard)
    assert any("histogram_quantile(0.5," in e for e in exprs) and any("histogram_quantile(0.99," in e for e in exprs)
    assert all('job="$job"' in selector for expr in exprs for selector in re.findall(r"\{([^{}]*)\}", expr))


def test_grafana_provisioning_file(baked: Baked) -> None:
    provisioning = yaml.safe_load((baked.project / "deploy" / "grafana" / "dashboards.yaml").read_text("utf-8"))
    assert provisioning["apiVersion"] == 1
    (provider,) = provisioning["providers"]
    assert provider["type"] == "file" and provider["name"] == NAME
    assert provider["options"]["path"].endswith(f"/{NAME}")


def test_deploy_files_render_for_any_title(tmp_path: Path) -> None:
    """A title with quotes, backslashes and markup still renders valid JSON and YAML (they are escaped)."""
    from cookiecutter.environment import StrictEnvironment
    from jinja2 import FileSystemLoader

    project = TEMPLATE / "{{cookiecutter.project_name}}"
    context = {"cookiecutter": {**json.loads((TEMPLATE / "cookiecutter.json").read_text("utf-8")),
                                "project_name": "odd-name", "package_name": "odd_name",
                                "title": 'It\'s "odd" \\ <b>&</b> {x}'}}
    env = StrictEnvironment(context=context, keep_trailing_newline=True)
    env.loader = FileSystemLoader([str(project)])
    rendered = {path: env.get_template(path).render(**context) for path in (
        "deploy/grafana/dashboard.json", "deploy/grafana/dashboards.yaml", "deploy/prometheus/rules.yml",
        "deploy/prometheus/prometheusrule.yaml")}
    board = json.loads(rendered["deploy/grafana/dashboard.json"])
    assert board["title"] == 'It\'s "odd" \\ <b>&</b> {x} (odd-name)' and board["uid"] == "nb2prod-odd-name"
    rules = yaml.safe_load(rendered["deploy/prometheus/rules.yml"])
    assert yaml.safe_load(rendered["deploy/prometheus/prometheusrule.yaml"])["spec"] == rules
    assert all('job="odd-name"' in rule["expr"] for rule in rules["groups"][0]["rules"])
    assert yaml.safe_load(rendered["deploy/grafana/dashboards.yaml"])["providers"][0]["name"] == "odd-name"


# -- against the running service ------------------------------------------------------------------------

DRIFT_ENV = {f"{PREFIX}DRIFT_WINDOW": "300", f"{PREFIX}DRIFT_MIN_SAMPLES": "200", f"{PREFIX}DRIFT_CHECK_EVERY": "50"}
"""A smaller drift window than the default (1000 values, 500 needed), so the test sends hundreds, not
thousands; the PSI and its thresholds are the defaults."""


@pytest.fixture(scope="module")
def service(baked: Baked, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    log = tmp_path_factory.mktemp("alerts-service") / "service.log"
    with running_service(baked.project, PACKAGE, log_path=log, env=DRIFT_ENV) as running:
        yield running


def send(client: httpx.Client, instances: list[dict[str, Any]]) -> None:
    for start in range(0, len(instances), 100):
        response = client.post("/predict/batch", json={"instances": instances[start : start + 100]})
        assert response.status_code == 200, response.text


def in_distribution(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    names = ("sepal_length", "sepal_width", "petal_length", "petal_width")
    return [dict(zip(names, map(float, row), strict=True)) for row in notebook["X_train"].tolist()]


def test_every_metric_queried_is_in_the_services_metrics(
    service: RunningService, notebook: dict[str, Any], dashboard: dict[str, Any], alerts: dict[str, dict[str, Any]]
) -> None:
    """Each metric a dashboard query or a rule names is a family of `/metrics` (a histogram by its
    `_bucket` series), after the service made predictions and was given feedback for them."""
    with service.client() as client:
        rows = in_distribution(notebook)[:40]
        response = client.post("/predict/batch", json={"instances": rows})
        assert response.status_code == 200, response.text
        ids = response.json().get("ids")
        if ids:  # feedback, so that the quality gauges have values (the ids and /feedback are issue 16's)
            feedback = [{"id": i, "outcome": p} for i, p in zip(ids, response.json()["predictions"], strict=True)]
            answer = client.post("/feedback", json={"feedback": feedback})
            assert answer.status_code == 200 and answer.json()["matched"] == len(ids), answer.text
        exposition = client.get("/metrics").text
    families = exposed_families(exposition)
    assert families.get("http_requests_total") == "counter", exposition[:2000]
    queried = {name for expr in dashboard_exprs(dashboard) for name in metric_names(expr)}
    assert missing_metrics(queried, families) == [], "the dashboard queries metrics /metrics does not have"
    ruled = {name for rule in alerts.values() for name in metric_names(rule["expr"])}
    assert missing_metrics(ruled, families) == [], "the rules query metrics /metrics does not have"


def prometheus_config(tmp_path: Path, service: RunningService, rules: dict[str, Any]) -> Path:
    """prometheus.yml scraping the service as job `iris-service` every second, with the shipped rules;
    their `for:` durations (15 minutes for drift) are set to 0s in this copy, so the alert fires as
    soon as a rule evaluation sees the drift status at 2. Everything else is as shipped."""
    quick = copy.deepcopy(rules)
    for rule in quick["groups"][0]["rules"]:
        rule["for"] = "0s"
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(quick), encoding="utf-8")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": ["rules.yml"],
        "scrape_configs": [{"job_name": NAME, "static_configs": [{"targets": [f"127.0.0.1:{service.port}"]}]}],
    }
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = promtool("check", "config", path)
    assert result.returncode == 0, result.stdout + result.stderr
    return path


def until(what: str, check: Any, prometheus: subprocess.Popen[bytes], log: Path, timeout: float = SETTLE_SECONDS
          ) -> Any:
    """Poll `check()` until it returns something truthy; fail after `timeout` seconds with Prometheus's log."""
    deadline = time.monotonic() + timeout
    while True:
        assert prometheus.poll() is None, f"prometheus exited:\n{log.read_text()[-4000:]}"
        try:
            result = check()
        except httpx.TransportError:
            result = None
        if result:
            return result
        assert time.monotonic() < deadline, f"{what} within {timeout}s:\n{log.read_text()[-4000:]}"
        time.sleep(0.5)


def test_real_prometheus_fires_the_drift_alert_after_shifted_traffic(
    service: RunningService, notebook: dict[str, Any], rules: dict[str, Any], alerts: dict[str, dict[str, Any]],
    tmp_path: Path,
) -> None:
    binary = tool("prometheus")
    config = prometheus_config(tmp_path, service, rules)
    port = free_port()
    log = tmp_path / "prometheus.log"
    command = [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
               f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h"]
    with log.open("wb") as out:
        prometheus = subprocess.Popen(command, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5, trust_env=False)
    try:
        until("prometheus is ready", lambda: api.get("/-/ready").status_code == 200, prometheus, log)

        def target_up() -> bool:
            targets = api.get("/api/v1/targets").json()["data"]["activeTargets"]
            return any(t["labels"]["job"] == NAME and t["health"] == "up" for t in targets)

        until("the service is scraped", target_up, prometheus, log)

        def drift(feature: str) -> float | None:
            query = f'model_drift_status{{job="{NAME}", feature="{feature}"}}'
            result = api.get("/api/v1/query", params={"query": query}).json()["data"]["result"]
            return float(result[0]["value"][1]) if result else None

        def drift_alerts() -> list[dict[str, Any]]:
            found = api.get("/api/v1/alerts").json()["data"]["alerts"]
            return [alert for alert in found if alert["labels"]["alertname"] == "ModelInputDrift"]

        with service.client() as client:
            send(client, in_distribution(notebook) * 3)  # 336 values of each input from the training data
            until("drift is ok on traffic like the training data", lambda: drift("petal_length") == 0, prometheus,
                  log)
            time.sleep(3)  # a few more evaluations of the rules
            assert drift_alerts() == []
            shifted = [{**row, "petal_length": row["petal_length"] + 30.0} for row in in_distribution(notebook)]
            send(client, (shifted * 3)[:300])  # the whole window: petal_length far above the reference's max
            report = client.get("/drift").json()["features"]["petal_length"]
            assert report["status"] == "alert", report
        until("the drift status reaches Prometheus", lambda: drift("petal_length") == 2, prometheus, log)
        firing = until("the drift alert fires",
                       lambda: [a for a in drift_alerts() if a["state"] == "firing"], prometheus, log)
        assert [alert["labels"] for alert in firing] == [{
            "alertname": "ModelInputDrift", "feature": "petal_length", "instance": f"127.0.0.1:{service.port}",
            "job": NAME, "severity": "warning", "service": NAME,
        }]
        assert firing[0]["annotations"] == alerts["ModelInputDrift"]["annotations"]
        assert float(firing[0]["value"]) == 2
    finally:
        api.close()
        prometheus.terminate()
        try:
            prometheus.wait(timeout=10)
        except subprocess.TimeoutExpired:
            prometheus.kill()
            prometheus.wait()
