"""runtime/quality.py: live figures from (prediction, outcome) pairs, the baseline from the lock, the status,
the monitor's cache and log, and its gauges."""

from __future__ import annotations

import logging
import math
import random

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, mean_squared_error, recall_score

from nb2prod.service_runtime.quality import (
    QualityCollector,
    QualityMonitor,
    baseline_from_lock,
    evaluate,
    kind_of,
    label_figures,
    number_figures,
    relative_change,
    status_of,
)
from nb2prod.service_runtime.settings import QualitySettings

SETTINGS = QualitySettings(window=500, degraded=0.05, alert=0.15, min_count=30)


def test_label_figures_match_scikit_learn() -> None:
    rng = random.Random(7)
    classes = ["setosa", "versicolor", "virginica", "other"]
    outcomes = [rng.choice(classes[:3]) for _ in range(300)]
    predictions = [o if rng.random() < 0.7 else rng.choice(classes) for o in outcomes]  # "other" is never true
    figures = label_figures(list(zip(predictions, outcomes, strict=True)))
    assert figures["count"] == 300 and figures["unscored"] == 0
    assert figures["metrics"]["accuracy"] == pytest.approx(accuracy_score(outcomes, predictions))
    assert figures["metrics"]["macro_f1"] == pytest.approx(f1_score(outcomes, predictions, average="macro"))
    recalls = recall_score(outcomes, predictions, labels=classes[:3], average=None)
    assert {name: figures["per_class"][name]["recall"] for name in classes[:3]} == pytest.approx(
        dict(zip(classes[:3], recalls, strict=True)))
    assert set(figures["per_class"]) == set(classes[:3])  # recall only of classes that occur as outcomes
    assert sum(entry["support"] for entry in figures["per_class"].values()) == 300


def test_labels_compare_by_kind_and_value() -> None:
    pairs = [(True, True), (True, 1), (1, 1.0), ("1", 1), (2, 2), (False, None), ("a", [1])]
    figures = label_figures(pairs)
    assert figures["count"] == 5 and figures["unscored"] == 2  # null and a list are no labels
    assert figures["metrics"]["accuracy"] == pytest.approx(3 / 5)  # true=true, 1=1.0, 2=2; true!=1, "1"!=1
    assert set(figures["per_class"]) == {"true", "1", "2"}


def test_number_figures() -> None:
    pairs = [(3.0, 1.0), (1.0, 2.0), (2.5, 2.5), (4.0, 1.0), (1.0, None), (2.0, "3"), (2.0, True)]
    figures = number_figures(pairs)
    predictions, outcomes = [3.0, 1.0, 2.5, 4.0], [1.0, 2.0, 2.5, 1.0]
    assert figures["count"] == 4 and figures["unscored"] == 3
    assert figures["metrics"]["mae"] == pytest.approx(mean_absolute_error(outcomes, predictions))
    assert figures["metrics"]["rmse"] == pytest.approx(math.sqrt(mean_squared_error(outcomes, predictions)))
    assert figures["metrics"]["bias"] == pytest.approx((2 - 1 + 0 + 3) / 4)


def test_the_kind_of_predictions() -> None:
    assert kind_of(["a", "b"]) == kind_of([True, False]) == kind_of([1, 2]) == "labels"
    assert kind_of([1.5, 2]) == kind_of([1.0]) == "numbers"
    assert kind_of([{"species": "a"}]) is kind_of(["a", 1.5]) is kind_of([]) is None


def test_relative_change_and_status() -> None:
    assert relative_change("accuracy", 0.9, 1.0) == pytest.approx(0.1)
    assert relative_change("accuracy", 1.0, 0.9) < 0
    assert relative_change("rmse", 1.2, 1.0) == pytest.approx(0.2)
    assert relative_change("mae", 0.5, 0.0) == math.inf and relative_change("mae", 0.0, 0.0) == 0.0
    assert [status_of(c, 0.05, 0.15) for c in (None, -0.2, 0.0, 0.0499, 0.05, 0.1499, 0.15, math.inf)] == [
        "unknown", "ok", "ok", "ok", "degraded", "degraded", "alert", "alert"]


def pairs_with_accuracy(right: int, total: int) -> list[tuple[str, str]]:
    return [("a", "a")] * right + [("a", "b")] * (total - right)


@pytest.mark.parametrize(("right", "status"), [(100, "ok"), (96, "ok"), (95, "degraded"), (86, "degraded"),
                                               (85, "alert"), (10, "alert")])
def test_the_status_is_the_relative_drop_from_the_baseline(right: int, status: str) -> None:
    report = evaluate(pairs_with_accuracy(right, 100), {"accuracy": 1.0}, SETTINGS)
    assert report["metrics"]["accuracy"] == pytest.approx(right / 100)
    assert report["status"] == status and report["reason"] == ""
    assert report["change"]["accuracy"] == pytest.approx(1 - right / 100)


def test_error_metrics_worsen_as_they_rise() -> None:
    pairs = [(1.1, 1.0)] * 40  # MAE and RMSE 0.1
    assert evaluate(pairs, {"mae": 0.1, "rmse": 0.1}, SETTINGS)["status"] == "ok"
    assert evaluate(pairs, {"mae": 0.092}, SETTINGS)["status"] == "degraded"  # +8.7 %
    assert evaluate(pairs, {"mae": 0.1, "rmse": 0.08}, SETTINGS)["status"] == "alert"  # the worst counts: +25 %
    assert evaluate(pairs, {"rmse": 0.2}, SETTINGS)["status"] == "ok"  # better than the notebook


def test_unknown_below_the_minimum_count_or_without_a_baseline_but_figures_shown() -> None:
    few = evaluate(pairs_with_accuracy(10, 29), {"accuracy": 1.0}, SETTINGS)
    assert few["status"] == "unknown" and "29 scored predictions" in few["reason"]
    assert few["metrics"]["accuracy"] == pytest.approx(10 / 29)
    no_baseline = evaluate(pairs_with_accuracy(10, 40), {"mae": 1.0}, SETTINGS)
    assert no_baseline["status"] == "unknown" and "no baseline for accuracy, macro_f1" in no_baseline["reason"]
    assert no_baseline["metrics"]["accuracy"] == pytest.approx(0.25) and no_baseline["baseline"] == {}
    objects = evaluate([({"a": 1}, {"a": 1})] * 40, {"accuracy": 1.0}, SETTINGS)
    assert objects["status"] == "unknown" and objects["kind"] is None and objects["metrics"] == {}
    assert evaluate([], {"accuracy": 1.0}, SETTINGS)["reason"] == "no prediction in the window has feedback yet"
    unscored = evaluate([(1.0, None)] * 40, {"mae": 1.0}, SETTINGS)
    assert unscored["status"] == "unknown" and unscored["unscored"] == 40 and unscored["count"] == 0


def entries(*pairs: tuple[str, float] | tuple[str, float, str]) -> dict[str, object]:
    return {"metrics": [{"name": p[0], "value": p[1], "printed": p[2] if len(p) > 2 else str(p[1])} for p in pairs]}


def test_the_baseline_from_the_lock() -> None:
    assert baseline_from_lock({}) == {} and baseline_from_lock({"metrics": "x"}) == {}
    assert baseline_from_lock(entries(("accuracy", 0.974))) == {"accuracy": 0.974}
    assert baseline_from_lock(entries(("Test Acc", 97.4, "97.4%"))) == {"accuracy": pytest.approx(0.974)}
    assert baseline_from_lock(entries(("acc", 91.0))) == {"accuracy": pytest.approx(0.91)}  # a percentage
    assert baseline_from_lock(entries(("train accuracy", 1.0), ("val accuracy", 0.9), ("test accuracy", 0.93),
                                      ("accuracy", 0.95))) == {"accuracy": 0.93}  # said to be on test data
    assert baseline_from_lock(entries(("f1", 0.8), ("weighted f1", 0.9))) == {"macro_f1": 0.8}
    assert baseline_from_lock(entries(("macro avg f1-score", 0.7))) == {"macro_f1": 0.7}
    assert baseline_from_lock(entries(("MAE", 2.5), ("RMSE", 3.0), ("r2", 0.8))) == {"mae": 2.5, "rmse": 3.0}
    assert baseline_from_lock(entries(("mean squared error", 16.0))) == {"rmse": 4.0}
    assert baseline_from_lock(entries(("root mean squared error", 4.0))) == {"rmse": 4.0}
    assert baseline_from_lock(entries(("accuracy", 0.5), ("accuracy", 0.8))) == {"accuracy": 0.8}  # the last
    assert baseline_from_lock(entries(("mae", -1.0), ("loss", 0.3), ("balanced accuracy", 0.9))) == {}
    # the model card's report of the metrics cells, as an object with its values
    assert baseline_from_lock({"metrics": {"values": entries(("accuracy", 0.9))["metrics"]}}) == {"accuracy": 0.9}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_monitor_caches_logs_each_change_once_and_survives_the_store(
    caplog: pytest.LogCaptureFixture,
) -> None:
    window: list[tuple[str, str]] = pairs_with_accuracy(100, 100)
    reads = []
    down = False

    def read() -> list[tuple[str, str]]:
        reads.append(1)
        if down:
            raise ConnectionError("the database is down")
        return window

    clock = Clock()
    logger = logging.getLogger("toy.quality")
    monitor = QualityMonitor(read, {"accuracy": 1.0}, SETTINGS, logger, cache_seconds=1.0, clock=clock)
    with caplog.at_level(logging.INFO, logger="toy.quality"):
        assert monitor.report()["status"] == "ok"
        window = pairs_with_accuracy(90, 100)
        assert monitor.report()["status"] == "ok" and len(reads) == 1  # cached
        clock.now = 1.5
        assert monitor.report()["status"] == "degraded" and len(reads) == 2
        clock.now = 3.0
        assert monitor.report()["status"] == "degraded"
        window = pairs_with_accuracy(10, 20)  # too few: unknown, not logged, the last known status kept
        monitor.invalidate()
        assert monitor.report()["status"] == "unknown"
        down = True
        monitor.invalidate()
        report = monitor.report()
        assert report["status"] == "unknown" and report["store_up"] is False
        assert report["reason"] == "the prediction store cannot be read: the database is down"
        down, window = False, pairs_with_accuracy(99, 100)
        monitor.invalidate()
        assert monitor.report()["status"] == "ok"
    changes = [record for record in caplog.records if record.name == "toy.quality"]
    assert [record.getMessage() for record in changes] == ["live quality: ok -> degraded",
                                                           "live quality: degraded -> ok"]
    fields = changes[0].fields  # type: ignore[attr-defined]
    assert fields["event"] == "quality_status_changed" and fields["metrics"]["accuracy"] == 0.9
    assert changes[0].levelno == logging.WARNING and changes[1].levelno == logging.INFO


def test_the_gauges() -> None:
    window = [("a", "a")] * 30 + [("b", "a")] * 10 + [("b", "b")] * 10
    monitor = QualityMonitor(lambda: window, {"accuracy": 0.9}, SETTINGS, logging.getLogger("toy.quality"))
    registry = CollectorRegistry()
    registry.register(QualityCollector(monitor))
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(generate_latest(registry).decode())
               for s in family.samples}
    assert samples[("model_quality", (("metric", "accuracy"),))] == pytest.approx(0.8)
    assert ("model_quality", (("metric", "macro_f1"),)) in samples
    assert samples[("model_quality_recall", (("label", "a"),))] == pytest.approx(0.75)
    assert samples[("model_quality_recall", (("label", "b"),))] == pytest.approx(1.0)
    assert samples[("model_quality_baseline", (("metric", "accuracy"),))] == 0.9
    assert samples[("model_quality_window_count", ())] == 50
    assert samples[("model_quality_status", ())] == 1  # 0.8 is 11 % below 0.9: degraded


def test_feedback_reads_the_store_at_most_once_per_cache_period_and_the_next_report_is_fresh() -> None:
    reads = []
    clock = Clock()

    def read() -> list[tuple[str, str]]:
        reads.append(clock.now)
        return pairs_with_accuracy(100, 100)

    monitor = QualityMonitor(read, {"accuracy": 1.0}, SETTINGS, logging.getLogger("toy.quality"), clock=clock)
    monitor.feedback_received()
    assert reads == [0.0]  # nothing cached yet: read now (a change of status is logged at once)
    clock.now = 0.5
    monitor.feedback_received()
    monitor.feedback_received()
    assert reads == [0.0]  # a burst of feedback within a second: no read per request
    monitor.report()
    assert reads == [0.0, 0.5]  # but the next report sees the new feedback
    monitor.report()
    assert reads == [0.0, 0.5]  # and is cached again
    clock.now = 1.6
    monitor.feedback_received()
    assert reads == [0.0, 0.5, 1.6]
