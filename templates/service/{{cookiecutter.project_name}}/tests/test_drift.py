"""Input drift (`/drift`, its metrics, the log of each change of status) and strict validation:
the PSI arithmetic, the monitor itself, and the running service over real HTTP."""

{%- if cookiecutter._profile and cookiecutter._profile.features %}
import json
{%- endif %}
import logging
{%- if cookiecutter._profile and cookiecutter._profile.features %}
import math
import random
{%- endif %}
import re
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
{% if cookiecutter._profile and cookiecutter._profile.features %}
from {{ cookiecutter.package_name }} import lockfile
{%- endif %}
from {{ cookiecutter.package_name }}.app import create_app
{%- if cookiecutter._profile and cookiecutter._profile.features %}
from {{ cookiecutter.package_name }}.drift import (
    ENV_PREFIX,
    DriftMonitor,
    DriftSettings,
    category,
    load_profile,
    psi,
    status_of,
)
from {{ cookiecutter.package_name }}.schema import EXAMPLES, MAX_BATCH_SIZE, PredictRequest
{%- else %}
from {{ cookiecutter.package_name }}.drift import ENV_PREFIX, DriftSettings, psi, status_of
{%- endif %}

DRIFT_LOGGER = "{{ cookiecutter.package_name }}.drift"


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


def test_psi_matches_a_hand_computed_value() -> None:
    # (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5) = 0.25 ln 2 + 0.25 ln 1.5 = 0.274653072...
    assert psi([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.2746530722, abs=1e-9)
    # (0.3 - 0.2) ln(0.3 / 0.2) + (0.2 - 0.3) ln(0.2 / 0.3) + 0 = 0.2 ln 1.5 = 0.081093021...
    assert psi([0.2, 0.3, 0.5], [0.3, 0.2, 0.5]) == pytest.approx(0.0810930216, abs=1e-9)
    assert psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0


def test_psi_raises_an_empty_bin_to_epsilon() -> None:
    # (1e-4 - 0.5) ln(1e-4 / 0.5) + (1 - 0.5) ln(1 / 0.5) = 0.4999 ln 5000 + 0.5 ln 2 = 4.604318466...
    assert psi([0.5, 0.5], [0.0, 1.0]) == pytest.approx(4.6043184667, abs=1e-9)
    with pytest.raises(ValueError, match="2 expected shares but 3 actual"):
        psi([0.5, 0.5], [0.2, 0.3, 0.5])


def test_status_follows_the_thresholds() -> None:
    values = [None, 0.0, 0.0999, 0.1, 0.2499, 0.25, 3.0]
    assert [status_of(value, 0.1, 0.25) for value in values] == [
        "insufficient_data", "ok", "ok", "warn", "warn", "alert", "alert"
    ]


def test_settings_come_from_the_environment() -> None:
    assert DriftSettings.from_env({}) == DriftSettings()
    assert DriftSettings() == DriftSettings(
        enabled=True, window=1000, warn=0.1, alert=0.25, min_samples=500, check_every=100, check_seconds=10.0,
        strict=False,
    )
    env = {
        f"{ENV_PREFIX}_DRIFT_WINDOW": "50",
        f"{ENV_PREFIX}_DRIFT_WARN": "0.2",
        f"{ENV_PREFIX}_DRIFT_ALERT": "0.5",
        f"{ENV_PREFIX}_DRIFT_MIN_SAMPLES": "10",
        f"{ENV_PREFIX}_DRIFT_CHECK_EVERY": "5",
        f"{ENV_PREFIX}_DRIFT_CHECK_SECONDS": "2.5",
        f"{ENV_PREFIX}_STRICT": "yes",
        f"{ENV_PREFIX}_DRIFT": "off",
    }
    assert DriftSettings.from_env(env) == DriftSettings(
        enabled=False, window=50, warn=0.2, alert=0.5, min_samples=10, check_every=5, check_seconds=2.5, strict=True
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DRIFT_WINDOW", "many", "_DRIFT_WINDOW='many' is not an integer"),
        ("DRIFT_WARN", "0.5", "0 < warn < alert"),
        ("DRIFT_ALERT", "nan", "_DRIFT_ALERT='nan' is not a finite number"),
        ("DRIFT_MIN_SAMPLES", "5000", "minimum sample size must be from 1 to the window (1000)"),
        ("STRICT", "maybe", "_STRICT='maybe' is neither"),
    ],
)
def test_bad_settings_are_refused_naming_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        DriftSettings.from_env({f"{ENV_PREFIX}_{name}": value})
    assert f"{ENV_PREFIX}_" in str(info.value)
{% if cookiecutter._profile and cookiecutter._profile.features %}

# ---- the notebook had a `reference` cell: the service monitors drift against its profile ----

PROFILE: dict[str, Any] = load_profile()  # type: ignore[assignment]
FEATURES: dict[str, dict[str, Any]] = PROFILE["features"]
PROPERTIES: dict[str, Any] = PredictRequest.model_json_schema().get("properties", {})
BASE: dict[str, Any] = dict(EXAMPLES[0]["input"]) if EXAMPLES else {}
SETTINGS = DriftSettings(window=300, min_samples=300, check_every=25, check_seconds=3600)
"""PSI is first computed on a full window, whose values have the reference shares (rounded): no chance drift."""
COMPARABLE = [name for name, spec in FEATURES.items() if not spec.get("other")]
"""The features whose reference shares can all be sent: not the categories beyond the profile's top ones."""
CHUNK = min(MAX_BATCH_SIZE, 50)


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
    monitor = DriftMonitor(PROFILE, DriftSettings(enabled=False), logging.getLogger(f"{DRIFT_LOGGER}.test-off"))
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
    with httpx.Client(base_url=serve(create_app(drift_settings=SETTINGS)), timeout=30, trust_env=False) as client:
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
    row = in_distribution(1)[0]
    with httpx.Client(base_url=serve(create_app(drift_settings=DriftSettings(strict=True))), timeout=30,
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
    folder = Path(shutil.copytree(lockfile.PACKAGE_DIR, tmp_path / "package"))
    profile = folder / lockfile.read_lock()["profile"]["file"]
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

    inside = dict(BASE)
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
    url = serve(create_app(drift_settings=DriftSettings(strict=True)), ready=False)
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

