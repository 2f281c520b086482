"""Input drift (`/drift`, its metrics, the log of each change of status) and strict validation: the
monitor against this notebook's profile, and the running service over real HTTP. (The PSI arithmetic and
the settings are the runtime's, unit-tested in nb2prod.)"""

import dataclasses
{%- if cookiecutter._profile and cookiecutter._profile.features %}
import json
{%- endif %}
import logging
{%- if cookiecutter._profile and cookiecutter._profile.features %}
import math
import random
{%- endif %}
{%- if cookiecutter._profile and cookiecutter._profile.features %}
import shutil
{%- endif %}
from collections.abc import Callable, Iterator
{%- if cookiecutter._profile and cookiecutter._profile.features %}
from pathlib import Path
{%- endif %}
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
{%- if cookiecutter._profile and cookiecutter._profile.features %}
from pydantic import TypeAdapter, ValidationError
{%- endif %}

from {{ cookiecutter.package_name }}.app import create_app
{%- if cookiecutter._profile and cookiecutter._profile.features %}
from {{ cookiecutter.package_name }}.runtime import lockfile
from {{ cookiecutter.package_name }}.runtime.drift import DriftMonitor, category, load_profile
{%- endif %}
from {{ cookiecutter.package_name }}.runtime.settings import DriftSettings, Settings
{%- if cookiecutter._profile and cookiecutter._profile.features %}
from {{ cookiecutter.package_name }}.schema import EXAMPLES, PredictRequest
{%- endif %}
from {{ cookiecutter.package_name }}.service import SERVICE

ENV_PREFIX = SERVICE.env_prefix

DRIFT_LOGGER = "{{ cookiecutter.package_name }}.drift"


def with_drift(drift: DriftSettings) -> Settings:
    """The environment's settings, with these of drift."""
    return dataclasses.replace(SERVICE.settings(), drift=drift)


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The JSON fields of a drift log line: `event`, `feature`, `previous`, `status`, `psi`..."""
    return getattr(record, "fields", {})


def metric_samples(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


@pytest.fixture
def drift_log() -> Iterator[list[logging.LogRecord]]:
    """What the service logs about drift while the test runs (it runs in this process)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger(DRIFT_LOGGER)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


{% if cookiecutter._profile and cookiecutter._profile.features %}

# ---- the notebook had a `reference` cell: the service monitors drift against its profile ----

PROFILE: dict[str, Any] = load_profile(SERVICE.package_dir)  # type: ignore[assignment]
FEATURES: dict[str, dict[str, Any]] = PROFILE["features"]
PROPERTIES: dict[str, Any] = PredictRequest.model_json_schema().get("properties", {})
BASE: dict[str, Any] = dict(EXAMPLES[0]["input"]) if EXAMPLES else {}
SETTINGS = DriftSettings(window=300, min_samples=300, check_every=25, check_seconds=3600)
"""PSI is first computed on a full window, whose values have the reference shares (rounded): no chance drift."""
COMPARABLE = [name for name, spec in FEATURES.items() if not spec.get("other")]
"""The features whose reference shares can all be sent: not the categories beyond the profile's top ones."""
CHUNK = min(SERVICE.settings().max_batch_size, 50)


def fits(name: str, value: Any) -> bool:
    """Whether the request schema takes `value` for the field `name`, as it is."""
    try:
        return TypeAdapter(PredictRequest.model_fields[name].annotation).validate_python(value) == value
    except ValidationError:
        return False


def native(name: str, key: str) -> Any:
    """The request value of a category as the profile names it (`"true"` is a bool's, `"3"` an int's)."""
    return key if fits(name, key) else json.loads(key)


def lower_bounds(spec: dict[str, Any]) -> list[Any]:
    """The least reference value each numeric bin can hold: the minimum, then each edge."""
    return [spec["min"], *spec["edges"]]


def value_in_bin(name: str, spec: dict[str, Any], number: int) -> Any:
    """A value of the field in bin `number`: its lower bound (an integer field gets the next whole number,
    which a bin that holds reference values, all whole, also holds)."""
    value = lower_bounds(spec)[number]
    return value if fits(name, value) else math.ceil(value)


def in_distribution(count: int, seed: int = 0) -> list[dict[str, Any]]:
    """`count` inputs whose values have, feature by feature, the reference shares (rounded)."""
    rng = random.Random(seed)
    columns: dict[str, list[Any]] = {}
    for name, spec in FEATURES.items():
        if spec["kind"] == "numeric":
            shares = spec["proportions"]
            values = [value_in_bin(name, spec, number) for number in range(len(shares))]
        else:
            shares = list(spec["frequencies"].values())
            values = [native(name, key) for key in spec["frequencies"]]
        total = sum(shares)
        wanted = [share / total * count for share in shares]
        counts = [int(w) for w in wanted]
        for number in sorted(range(len(wanted)), key=lambda n: counts[n] - wanted[n])[: count - sum(counts)]:
            counts[number] += 1  # the largest remainders
        column = [value for value, times in zip(values, counts, strict=True) for _ in range(times)]
        rng.shuffle(column)
        columns[name] = column
    return [{**BASE, **{name: column[row] for name, column in columns.items()}} for row in range(count)]


def shift_target() -> tuple[str, Any] | None:
    """A feature, and one value of it within the reference range, that together are far from the
    reference: every input in its least common bin (or category)."""
    for name, spec in FEATURES.items():
        if spec["kind"] == "numeric":
            bins = [(share, number) for number, share in enumerate(spec["proportions"]) if share > 0]
            if len(bins) > 1:
                return name, value_in_bin(name, spec, min(bins)[1])
        elif len(spec["frequencies"]) > 1:
            key = min(spec["frequencies"], key=spec["frequencies"].__getitem__)
            return name, native(name, key)
    return None


def shifted(rows: list[dict[str, Any]], name: str, value: Any) -> list[dict[str, Any]]:
    return [{**row, name: value} for row in rows]


def beyond_range(spec: dict[str, Any]) -> Any:
    """A number past the reference maximum by the width of the whole range (and 1)."""
    return spec["max"] + (spec["max"] - spec["min"]) + 1


def unseen_value(name: str) -> Any:
    """A value the request schema takes for a categorical field but the reference never had, or None."""
    candidates = [*PROPERTIES.get(name, {}).get("enum", []), "__never_in_the_reference__"]
    for value in candidates:
        if category(value) not in FEATURES[name]["frequencies"] and fits(name, value):
            return value
    return None


def within_reference(row: dict[str, Any]) -> bool:
    """Whether strict mode takes `row`: each profiled input within the reference range, or one of its categories."""
    strict = DriftSettings(strict=True, enabled=False)
    return DriftMonitor(PROFILE, strict, logging.getLogger(f"{DRIFT_LOGGER}.test-within")).observe([row]) == []


def strict_input() -> dict[str, Any]:
    """A valid input that strict mode takes: the notebook's first example if it lies within the reference data,
    else an input with the reference's most common values (an honest example may lie outside: extrapolating
    can be the point of the model)."""
    return BASE if EXAMPLES and within_reference(BASE) else in_distribution(1)[0]


def send(client: httpx.Client, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        response = client.post("/predict/batch", json={"instances": rows[start : start + CHUNK]})
        assert response.status_code == 200, response.text


def test_monitor() -> None:
    """The monitor alone: too few values, then the reference's own shares (ok), then a shift (alert),
    then the reference again (ok): each change of status logged once, when it happens."""
    records: list[logging.LogRecord] = []
    logger = logging.getLogger(f"{DRIFT_LOGGER}.test-monitor")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        monitor = DriftMonitor(PROFILE, SETTINGS, logger)
        rows = in_distribution(SETTINGS.window)
        monitor.observe(rows[: SETTINGS.min_samples - 1])
        report = monitor.report()
        assert report["available"] and report["status"] == "insufficient_data"
        assert all(f["psi"] is None and f["status"] == "insufficient_data" for f in report["features"].values())

        monitor.observe(rows[SETTINGS.min_samples - 1 :])
        report = monitor.report()
        assert report["rows"] == SETTINGS.window
        for name in COMPARABLE:
            feature = report["features"][name]
            assert feature["status"] == "ok" and feature["psi"] < SETTINGS.warn, (name, feature)
            assert feature["n"] == SETTINGS.window
        assert records == []

        target = shift_target()
        if target is None:
            pytest.skip("no feature of the profile has two bins or categories to shift between")
        name, value = target
        for start in range(0, SETTINGS.window, 10):  # as traffic comes: the monitor checks every 25 inputs
            monitor.observe(shifted(rows[start : start + 10], name, value))
        alerts = [r for r in records if fields(r)["feature"] == name and fields(r)["status"] == "alert"]
        assert len(alerts) == 1, [r.getMessage() for r in records]
        assert alerts[0].levelno == logging.WARNING and fields(alerts[0])["psi"] >= SETTINGS.alert
        assert fields(alerts[0])["event"] == "drift_status_changed"
        assert monitor.report()["features"][name]["status"] == "alert"
        assert monitor.report()["status"] == "alert"
        assert len([r for r in records if fields(r)["status"] == "alert"]) == 1

        monitor.observe(rows)
        back = [r for r in records if fields(r)["feature"] == name][-1]
        assert fields(back)["status"] == "ok" and back.levelno == logging.INFO
        before = len(records)
        monitor.report()
        monitor.observe(rows)
        assert len(records) == before, "an unchanged status is not logged again"
    finally:
        logger.removeHandler(handler)


def test_out_of_range_values_and_unseen_categories_are_counted() -> None:
    monitor = DriftMonitor(PROFILE, SETTINGS, logging.getLogger(f"{DRIFT_LOGGER}.test-counts"))
    row = in_distribution(1)[0]
    numeric = [name for name, spec in FEATURES.items() if spec["kind"] == "numeric"]
    categorical = [name for name, spec in FEATURES.items() if spec["kind"] == "categorical" and not spec["truncated"]]
    odd = dict(row)
    odd.update({name: beyond_range(FEATURES[name]) for name in numeric})
    odd.update({name: "__never_in_the_reference__" for name in categorical})
    assert monitor.observe([row, odd, odd]) == [], "without strict mode nothing is refused"
    report = monitor.report()["features"]
    for name in numeric:
        assert (report[name]["out_of_range"], report[name]["out_of_range_total"]) == (2, 2)
    for name in categorical:
        assert (report[name]["unseen"], report[name]["unseen_total"]) == (2, 2)


def test_strict_monitor_refuses_what_the_reference_never_had() -> None:
    row = in_distribution(1)[0]
    for settings in (DriftSettings(strict=True), DriftSettings(strict=True, enabled=False)):
        monitor = DriftMonitor(PROFILE, settings, logging.getLogger(f"{DRIFT_LOGGER}.test-strict"))
        assert monitor.available is settings.enabled
        assert monitor.observe([row]) == []
        for name, spec in FEATURES.items():
            bad = beyond_range(spec) if spec["kind"] == "numeric" else "__never_in_the_reference__"
            problems = monitor.observe([row, {**row, name: bad}])
            if spec["kind"] == "categorical" and spec["truncated"]:
                assert problems == [], "a category beyond the profile's top ones may have been in the reference"
                continue
            assert [(p["row"], p["field"], p["input"]) for p in problems] == [(1, name, bad)]
            assert name in problems[0]["msg"] and "strict mode" in problems[0]["msg"]


def test_monitoring_can_be_turned_off() -> None:
    monitor = DriftMonitor(PROFILE, DriftSettings(enabled=False), logging.getLogger(f"{DRIFT_LOGGER}.test-off"),
                           env_prefix=ENV_PREFIX)
    assert monitor.observe(in_distribution(5)) == []
    report = monitor.report()
    assert report["available"] is False and f"{ENV_PREFIX}_DRIFT=0" in report["reason"]


def test_drift_over_http_ok_then_alert(serve: Callable[..., str], drift_log: list[logging.LogRecord]) -> None:
    """Traffic with the reference's shares, then shifted traffic, through /predict/batch: the change is
    logged when it happens (before anyone asks /drift), and /drift and /metrics say so."""
    target = shift_target()
    if target is None:
        pytest.skip("no feature of the profile has two bins or categories to shift between")
    name, value = target
    rows = in_distribution(SETTINGS.window, seed=1)
    with httpx.Client(base_url=serve(create_app(settings=with_drift(SETTINGS))), timeout=30, trust_env=False) as client:
        body = client.get("/drift").json()
        assert body["available"] is True and body["status"] == "insufficient_data"
        assert set(body["features"]) == set(FEATURES)
        assert body["thresholds"] == {"warn": SETTINGS.warn, "alert": SETTINGS.alert}

        send(client, rows)
        body = client.get("/drift").json()
        for feature in COMPARABLE:
            assert body["features"][feature]["status"] == "ok", (feature, body["features"][feature])
        assert drift_log == []

        send(client, shifted(rows, name, value))
        alerts = [r for r in drift_log if fields(r)["feature"] == name and fields(r)["status"] == "alert"]
        assert len(alerts) == 1, [r.getMessage() for r in drift_log]

        body = client.get("/drift").json()
        assert body["status"] == "alert"
        assert body["features"][name]["status"] == "alert" and body["features"][name]["psi"] >= SETTINGS.alert
        metrics = metric_samples(client)
        assert metrics[("model_drift_status", (("feature", name),))] == 2
        assert metrics[("model_drift_psi", (("feature", name),))] >= SETTINGS.alert
        assert metrics[("model_drift_window_values", (("feature", name),))] == SETTINGS.window
        assert metrics[("model_drift_threshold", (("level", "alert"),))] == SETTINGS.alert
        for feature in COMPARABLE:
            if feature != name:
                assert metrics[("model_drift_status", (("feature", feature),))] == 0
        assert len([r for r in drift_log if fields(r)["status"] == "alert"]) == 1


def test_strict_mode_over_http(serve: Callable[..., str]) -> None:
    row = strict_input()
    with httpx.Client(base_url=serve(create_app(settings=with_drift(DriftSettings(strict=True)))), timeout=30,
                      trust_env=False) as client:
        assert client.post("/predict", json=row).status_code == 200
        assert client.get("/drift").json()["strict"] is True
        refused = 0
        for name, spec in FEATURES.items():
            if spec["kind"] == "numeric":
                bad, kind, said = beyond_range(spec), "out_of_range", [str(spec["min"]), str(spec["max"])]
            else:
                bad, kind = unseen_value(name), "unseen_category"
                if bad is None or spec["truncated"]:
                    continue
                said = [repr(key) for key in spec["frequencies"]][:5]
            response = client.post("/predict", json={**row, name: bad})
            assert response.status_code == 422, response.text
            (error,) = response.json()["detail"]
            assert error["loc"] == ["body", name] and error["type"] == kind
            assert all(text in error["msg"] for text in said), error["msg"]
            response = client.post("/predict/batch", json={"instances": [row, {**row, name: bad}]})
            assert response.status_code == 422, response.text
            assert [e["loc"] for e in response.json()["detail"]] == [["body", "instances", 1, name]]
            refused += 1
            counter = "model_out_of_range_total" if kind == "out_of_range" else "model_unseen_category_total"
            assert metric_samples(client)[(counter, (("feature", name),))] == 2
        assert refused, "some feature can be refused"
        assert client.get("/ready").status_code == 200


def test_a_changed_profile_keeps_the_service_unready(serve: Callable[..., str], tmp_path: Path) -> None:
    folder = Path(shutil.copytree(SERVICE.package_dir, tmp_path / "package"))
    profile = folder / lockfile.read_lock(SERVICE.package_dir)["profile"]["file"]
    profile.write_text(profile.read_text(encoding="utf-8").replace('"rows"', '"rows" ', 1), encoding="utf-8")
    with httpx.Client(base_url=serve(create_app(folder), ready=False), timeout=30, trust_env=False) as client:
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert "profile" in ready.json()["reason"] and "sha256" in ready.json()["reason"]
        assert client.get("/health").status_code == 200
        assert client.post("/predict", json=in_distribution(1)[0]).status_code == 503


def test_batch_scorer_strict_refuses_what_serve_strict_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from {{ cookiecutter.package_name }} import cli

    inside = dict(strict_input())
    assert within_reference(inside)
    outside = dict(inside)
    far = {n: type(f["max"])(f["max"] + 1000 * (abs(f["max"]) + 1)) for n, f in FEATURES.items() if f["kind"] == "numeric"}
    numeric = [n for n, value in far.items() if fits(n, value)]
    if not numeric:
        pytest.skip("no numeric input of predict to put out of range")
    name = numeric[0]
    outside[name] = far[name]
    source = tmp_path / "rows.jsonl"
    source.write_text(json.dumps(inside) + "\n" + json.dumps(outside) + "\n", encoding="utf-8")

    assert cli.main(["predict", str(source), "--output", str(tmp_path / "loose.jsonl")]) == 0
    assert len((tmp_path / "loose.jsonl").read_text(encoding="utf-8").splitlines()) == 2
    capsys.readouterr()

    assert cli.main(["predict", str(source), "--strict", "--output", str(tmp_path / "strict.jsonl")]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: line 2: {name}: ") and "strict mode" in error
    assert not (tmp_path / "strict.jsonl").exists()

    out = tmp_path / "skipped.jsonl"
    assert cli.main(["predict", str(source), "--strict", "--skip-invalid", "--output", str(out)]) == 0
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert "prediction" in first and second["error"].startswith(f"line 2: {name}: ")


{% else %}

# ---- the notebook had no `reference` cell (or none of predict's inputs is one value): nothing to compare with ----


def test_drift_is_unavailable(client: httpx.Client) -> None:
    response = client.get("/drift")
    assert response.status_code == 200
    body = response.json()
    assert body["available"] is False and body["status"] == "unavailable" and body["features"] == {}
    assert "reference" in body["reason"]
    assert not [name for name, _ in metric_samples(client) if name.startswith("model_drift")]


def test_strict_mode_needs_a_reference(serve: Callable[..., str]) -> None:
    url = serve(create_app(settings=with_drift(DriftSettings(strict=True))), ready=False)
    with httpx.Client(base_url=url, timeout=30, trust_env=False) as client:
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert f"{ENV_PREFIX}_STRICT" in ready.json()["reason"] and "reference" in ready.json()["reason"]
        assert client.get("/health").status_code == 200
{% endif %}


def test_serve_strict_flag_and_bad_settings(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import uvicorn

    from {{ cookiecutter.package_name }} import cli

    started: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append(app))
    monkeypatch.delenv(f"{ENV_PREFIX}_STRICT", raising=False)
    assert cli.main(["serve"]) == 0
    assert cli.main(["serve", "--strict"]) == 0
    assert [app.state.drift.settings.strict for app in started] == [False, True]

    monkeypatch.setenv(f"{ENV_PREFIX}_DRIFT_WINDOW", "many")
    assert cli.main(["serve"]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and f"{ENV_PREFIX}_DRIFT_WINDOW='many'" in error and "\n" not in error
    assert len(started) == 2

