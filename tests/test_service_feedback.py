"""The production loop of a built service, over real HTTP: prediction ids, feedback, live quality.

The bundled iris example (a classifier: labels) and tests/fixtures/regression/line_fit.ipynb (a
linear regression: numbers) are built for real and served by uvicorn on 127.0.0.1, each test on a
service of its own with a SQLite prediction store in a temporary folder. The test sends
predictions, then the true outcomes for them to `/feedback`, and checks `/performance` and
`/metrics` against the figures it computes by hand from the (prediction, outcome) pairs; label
noise on half the feedback moves the status as the thresholds say; unknown and duplicate ids are
counted; a client's own ids round-trip; `STORE_INPUTS=false` keeps no inputs.

The baseline is what the notebook's `metrics` cells printed, as the build records it in the lock
(and, the same figures, in the model card).
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from _services import RunningService, metric_samples, running_service

from nb2prod.converter import BuildOptions, build
from nb2prod.converter.model_card import parse_metrics

pytestmark = [pytest.mark.slow, pytest.mark.kernel]  # builds notebooks in a real kernel, serves them

ROOT = Path(__file__).resolve().parent.parent
IRIS = ROOT / "examples" / "iris" / "train.ipynb"
LINE_FIT = ROOT / "tests" / "fixtures" / "regression" / "line_fit.ipynb"
STARTUP_SECONDS = 60
STATUS_VALUES = {"unknown": -1, "ok": 0, "degraded": 1, "alert": 2}
DEGRADED, ALERT = 0.05, 0.15  # the defaults of <PREFIX>_QUALITY_DEGRADED and _QUALITY_ALERT


def notebook_figures(package: Path, names: set[str]) -> dict[str, float]:
    """The figures `names` the notebook's metrics cells printed, as the lock records them (the model card
    has the same); name -> value."""
    lock = json.loads((package / "nb2prod.lock.json").read_text(encoding="utf-8"))
    figures = {entry["name"]: entry["value"] for entry in lock.get("metrics", []) if entry["name"] in names}
    assert set(figures) == names, lock.get("metrics")
    card = (package.parent / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert {name: value for name, value, _ in parse_metrics(card) if name in names} == figures
    return figures


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, float]]:
    result = build(BuildOptions(IRIS, tmp_path_factory.mktemp("feedback-builds") / "iris-service", gate=False))
    figures = notebook_figures(result.output / result.package_name, {"accuracy"})
    return result.output, result.package_name, figures


@pytest.fixture(scope="module")
def line_fit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, float]]:
    result = build(BuildOptions(LINE_FIT, tmp_path_factory.mktemp("feedback-builds") / "line-fit", gate=False))
    figures = notebook_figures(result.output / result.package_name, {"mae", "rmse"})
    return result.output, result.package_name, figures


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., RunningService]]:
    """`serve(project, package, store=path, **env)`: the service with its store in `store` (a SQLite file), ready."""
    with ExitStack() as services:

        def start(project: Path, package: str, store: Path, **env: str) -> RunningService:
            prefix = package.upper()
            variables = {f"{prefix}_STORE_URL": f"sqlite:///{store}", **{f"{prefix}_{k}": v for k, v in env.items()}}
            return services.enter_context(running_service(
                project, package, env=variables, log_path=store.with_suffix(".log"),
                timeout=STARTUP_SECONDS, uvicorn_args=["--no-access-log"],
            ))

        yield start


def log_entries(service: RunningService) -> list[dict[str, Any]]:
    entries = []
    for line in service.log().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # uvicorn's own lines
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def predict_all(client: httpx.Client, rows: list[dict[str, Any]], chunk: int = 50) -> tuple[list[str], list[Any]]:
    """Every row's prediction and its id, by /predict/batch."""
    ids: list[str] = []
    predictions: list[Any] = []
    for start in range(0, len(rows), chunk):
        response = client.post("/predict/batch", json={"instances": rows[start : start + chunk]})
        assert response.status_code == 200, response.text
        ids += response.json()["ids"]
        predictions += response.json()["predictions"]
    return ids, predictions


def send_feedback(client: httpx.Client, ids: list[str], outcomes: list[Any], chunk: int = 75) -> dict[str, Any]:
    total: dict[str, Any] = {"matched": 0, "unknown": [], "duplicates": []}
    pairs = [{"id": i, "outcome": o} for i, o in zip(ids, outcomes, strict=True)]
    for start in range(0, len(pairs), chunk):
        response = client.post("/feedback", json={"feedback": pairs[start : start + chunk]})
        assert response.status_code == 200, response.text
        answer = response.json()
        total = {"matched": total["matched"] + answer["matched"], "unknown": total["unknown"] + answer["unknown"],
                 "duplicates": total["duplicates"] + answer["duplicates"]}
    return total


def expected_status(changes: list[float]) -> str:
    """The status the thresholds give to the worst relative change."""
    worst = max(changes)
    return "alert" if worst >= ALERT else "degraded" if worst >= DEGRADED else "ok"


def iris_rows() -> tuple[list[dict[str, float]], list[str]]:
    """The 150 iris flowers as inputs of predict, and their species."""
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True)
    frame = iris.data.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    return frame.to_dict("records"), [str(iris.target_names[t]) for t in iris.target]


def test_feedback_gives_the_accuracy_computed_by_hand_and_label_noise_moves_the_status(
    iris: tuple[Path, str, dict[str, float]], serve: Callable[..., RunningService], tmp_path: Path
) -> None:
    project, package, notebook = iris
    rows, species = iris_rows()
    service = serve(project, package, tmp_path / "store.sqlite3", QUALITY_WINDOW=str(len(rows)))
    with service.client() as client:
        ids, predictions = predict_all(client, rows)
        before = client.get("/performance").json()
        assert before["status"] == "unknown" and before["count"] == 0
        assert before["baseline"] == {"accuracy": notebook["accuracy"]}

        assert send_feedback(client, ids, species) == {"matched": len(rows), "unknown": [], "duplicates": []}
        right = sum(p == s for p, s in zip(predictions, species, strict=True))
        accuracy = right / len(rows)
        recall = {label: sum(p == s == label for p, s in zip(predictions, species, strict=True)) / species.count(label)
                  for label in set(species)}
        status = expected_status([(notebook["accuracy"] - accuracy) / notebook["accuracy"]])
        report = client.get("/performance").json()
        assert report["count"] == len(rows) and report["kind"] == "labels"
        assert report["metrics"]["accuracy"] == pytest.approx(accuracy)
        assert {label: entry["recall"] for label, entry in report["per_class"].items()} == pytest.approx(recall)
        assert report["status"] == status == "ok"  # the flowers it was trained on: better than its test split
        metrics = metric_samples(client)
        assert metrics[("model_quality", (("metric", "accuracy"),))] == pytest.approx(accuracy)
        assert metrics[("model_quality_baseline", (("metric", "accuracy"),))] == notebook["accuracy"]
        assert metrics[("model_quality_recall", (("label", "virginica"),))] == pytest.approx(recall["virginica"])
        assert metrics[("model_quality_window_count", ())] == len(rows)
        assert metrics[("model_quality_status", ())] == STATUS_VALUES[status]
        assert metrics[("model_feedback_total", (("outcome", "matched"),))] == len(rows)

        # the same flowers again, half of the outcomes sent wrong: the window now holds only these
        noisy_ids, noisy_predictions = predict_all(client, rows)
        labels = sorted(set(species))
        noisy = [labels[(labels.index(s) + 1) % 3] if n % 2 == 0 else s for n, s in enumerate(species)]
        assert send_feedback(client, noisy_ids, noisy)["matched"] == len(rows)
        noisy_accuracy = sum(p == o for p, o in zip(noisy_predictions, noisy, strict=True)) / len(rows)
        moved = expected_status([(notebook["accuracy"] - noisy_accuracy) / notebook["accuracy"]])
        assert moved in ("degraded", "alert")
        report = client.get("/performance").json()
        assert report["metrics"]["accuracy"] == pytest.approx(noisy_accuracy) and report["count"] == len(rows)
        assert report["status"] == moved
        assert report["change"]["accuracy"] == pytest.approx((notebook["accuracy"] - noisy_accuracy)
                                                             / notebook["accuracy"])
        assert metric_samples(client)[("model_quality_status", ())] == STATUS_VALUES[moved]
        print(f"iris: accuracy {accuracy:.4f} (notebook {notebook['accuracy']}), with label noise on half the "
              f"feedback {noisy_accuracy:.4f} -> {moved}")
    changes = [entry for entry in log_entries(service) if entry.get("event") == "quality_status_changed"]
    assert [(entry["previous"], entry["status"]) for entry in changes] == [("ok", moved)]
    logged = changes[0]["metrics"]["accuracy"]  # when it changed: maybe after the first part of the noisy feedback
    assert expected_status([(notebook["accuracy"] - logged) / notebook["accuracy"]]) == moved
    assert changes[0]["baseline"] == {"accuracy": notebook["accuracy"]}


def test_unknown_and_duplicate_ids_are_counted_and_a_clients_ids_round_trip(
    iris: tuple[Path, str, dict[str, float]], serve: Callable[..., RunningService], tmp_path: Path
) -> None:
    project, package, _ = iris
    rows, species = iris_rows()
    service = serve(project, package, tmp_path / "store.sqlite3")
    with service.client() as client:
        single = client.post("/predict", json=rows[0], headers={"X-Prediction-Id": "client-42"})
        assert single.json() == {"prediction": "setosa", "id": "client-42"}
        assert single.headers["x-prediction-id"] == "client-42"
        batch = client.post("/predict/batch", json={"instances": rows[50:52], "ids": ["client-a", "client-b"]})
        assert batch.json()["ids"] == ["client-a", "client-b"]
        answer = client.post("/feedback", json={"feedback": [
            {"id": "client-42", "outcome": species[0]}, {"id": "client-a", "outcome": species[50]},
            {"id": "client-42", "outcome": "virginica"}, {"id": "nobody-1", "outcome": "setosa"},
            {"id": "nobody-2", "outcome": "setosa"},
        ]})
        assert answer.json() == {"matched": 2, "unknown": ["nobody-1", "nobody-2"], "duplicates": ["client-42"]}
        again = client.post("/feedback", json={"id": "client-a", "outcome": "setosa"})
        assert again.json() == {"matched": 0, "unknown": [], "duplicates": ["client-a"]}
        wrong_type = client.post("/feedback", json={"id": "client-b", "outcome": 1})
        assert wrong_type.status_code == 422 and wrong_type.json()["detail"][0]["loc"] == ["body", "outcome"]
        metrics = metric_samples(client)
        assert {outcome: metrics[("model_feedback_total", (("outcome", outcome),))]
                for outcome in ("matched", "unknown", "duplicate")} == {"matched": 2, "unknown": 2, "duplicate": 2}
        report = client.get("/performance").json()
        assert report["count"] == 2 and report["status"] == "unknown" and "fewer than the 30" in report["reason"]
        assert report["metrics"]["accuracy"] == 1.0  # the first outcome of each id is kept
    logged = [entry.get("prediction_ids") for entry in log_entries(service)
              if entry.get("logger") == f"{package}.access" and str(entry.get("route")).startswith("/predict")]
    assert logged == [["client-42"], ["client-a", "client-b"]]


def test_store_inputs_false_keeps_no_inputs(iris: tuple[Path, str, dict[str, float]], tmp_path: Path) -> None:
    project, package, _ = iris
    rows, _ = iris_rows()
    for keep in ("true", "false"):
        store = tmp_path / f"inputs-{keep}.sqlite3"
        env = {f"{package.upper()}_STORE_URL": f"sqlite:///{store}", f"{package.upper()}_STORE_INPUTS": keep}
        with running_service(project, package, env=env, log_path=tmp_path / f"{keep}.log",
                             timeout=STARTUP_SECONDS) as service, service.client() as client:
            for number, row in enumerate(rows[:3]):
                assert client.post("/predict", json=row, headers={"X-Prediction-Id": f"row-{number}"}).is_success
        # stopped: the store wrote its queue as the service shut down
        with sqlite3.connect(store) as db:
            stored = {id_: (inputs, output) for id_, inputs, output in
                      db.execute("SELECT id, inputs, output FROM predictions").fetchall()}
        assert sorted(stored) == ["row-0", "row-1", "row-2"], keep
        assert [json.loads(stored[f"row-{n}"][1]) for n in range(3)] == ["setosa"] * 3
        if keep == "true":
            assert [json.loads(stored[f"row-{n}"][0]) for n in range(3)] == rows[:3]
        else:
            assert [stored[f"row-{n}"][0] for n in range(3)] == [None] * 3


def test_a_numeric_model_gives_mae_rmse_and_bias(
    line_fit: tuple[Path, str, dict[str, float]], serve: Callable[..., RunningService], tmp_path: Path
) -> None:
    project, package, notebook = line_fit
    service = serve(project, package, tmp_path / "store.sqlite3")
    xs = [0.25 * n for n in range(40)]
    with service.client() as client:
        ids, predictions = predict_all(client, [{"x": x} for x in xs])
        assert all(abs(p - (3 * x + 2)) < 0.5 for p, x in zip(predictions, xs, strict=True))
        # the truth is off by +-0.4 (and +1.2 for every fifth): errors of prediction - outcome known by hand
        offsets = [1.2 if n % 5 == 0 else (0.4 if n % 2 else -0.4) for n in range(len(xs))]
        outcomes = [p - d for p, d in zip(predictions, offsets, strict=True)]
        assert send_feedback(client, ids, outcomes)["matched"] == len(xs)
        errors = [p - o for p, o in zip(predictions, outcomes, strict=True)]
        mae = sum(abs(e) for e in errors) / len(errors)
        rmse = math.sqrt(sum(e * e for e in errors) / len(errors))
        bias = sum(errors) / len(errors)
        status = expected_status([(mae - notebook["mae"]) / notebook["mae"],
                                  (rmse - notebook["rmse"]) / notebook["rmse"]])
        report = client.get("/performance").json()
        assert report["kind"] == "numbers" and report["count"] == len(xs)
        assert report["metrics"] == pytest.approx({"mae": mae, "rmse": rmse, "bias": bias})
        assert report["baseline"] == notebook and report["status"] == status
        metrics = metric_samples(client)
        for name, value in (("mae", mae), ("rmse", rmse), ("bias", bias)):
            assert metrics[("model_quality", (("metric", name),))] == pytest.approx(value), name
        assert metrics[("model_quality_baseline", (("metric", "rmse"),))] == notebook["rmse"]
        assert metrics[("model_quality_status", ())] == STATUS_VALUES[status]
        print(f"line fit: MAE {mae:.4f} RMSE {rmse:.4f} bias {bias:.4f} (notebook MAE {notebook['mae']} "
              f"RMSE {notebook['rmse']}) -> {status}")
