"""Live quality: the model's recent predictions against the true outcomes clients sent to `/feedback`.

`evaluate(pairs)` takes (prediction, outcome) pairs, newest first, as the prediction store's
`labelled()` gives them, and computes:

- for labels (predictions that are strings, booleans or integers): `accuracy`, `macro_f1`
  (the mean over every class seen in the predictions or the outcomes of 2TP / (2TP + FP + FN),
  scikit-learn's `f1_score(average="macro")`) and each class's recall (TP / outcomes of the class);
- for numbers (floats): `mae`, `rmse` and `bias`, the mean of prediction - outcome (positive:
  the model predicts too high).

A label is compared by type and value: `true` is not `1`, `"1"` is not `1`, and `1.0` is `1`.
Pairs that cannot be scored (an outcome of `null`, or one that is not a number for a numeric
model) are left out and counted as `unscored`.

The baseline is what the notebook's `metrics` cells printed when it was built, read from the
lock's `metrics` entries (`baseline_from_lock`): names such as `accuracy`/`acc`/`test accuracy`,
`f1`/`macro f1`/`f1 score`, `mae`/`mean absolute error`, `rmse`, and `mse` (its square root is an
RMSE); names about training data (`train accuracy`) are not baselines, nor are weighted or micro
F1s; `r2` and others are not used. A figure printed as a percentage (`97%`, or an accuracy above
1) is divided by 100.

The status compares each live figure that has a baseline with it: the relative drop for
accuracy and F1, ((baseline - live) / baseline), the relative rise for MAE and RMSE
((live - baseline) / baseline). The worst change of all is the status: below `degraded` (0.05)
`ok`, below `alert` (0.15) `degraded`, else `alert`; `unknown` with fewer than `min_count`
scored pairs, or when no figure has a baseline (the figures are still reported).

`QualityMonitor` reads the store's window when asked (`/performance`, `/metrics`, after
feedback), keeps the report for `cache_seconds` (1) so that scrapes and bursts of feedback
do not query the store each time (a report asked for after new feedback reads it again),
and logs each change of status once, as a JSON line of the logger `<package>.quality`
(event `quality_status_changed`), as drift.py does for input drift.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .settings import QualitySettings

LABEL_METRICS = ("accuracy", "macro_f1")
NUMBER_METRICS = ("mae", "rmse", "bias")
ERROR_METRICS = frozenset({"mae", "rmse"})
"""Figures where higher is worse: their change is a relative rise, not a drop."""
STATUS_VALUES = {"unknown": -1, "ok": 0, "degraded": 1, "alert": 2}
"""The value of the `model_quality_status` gauge for each status."""
MAX_CLASSES = 100
"""Classes reported by name in `per_class` and `model_quality_recall`, at most (the most frequent outcomes)."""
MAX_LABEL_LENGTH = 100

_WORDS = re.compile(r"[a-z0-9]+")
_NOT_A_BASELINE = frozenset({"train", "training", "weighted", "micro", "samples", "std"})
_PREFERENCE = ("test", "holdout", "eval", "evaluation", "valid", "validation", "val")


def label_key(value: Any) -> tuple[str, Any] | None:
    """What a label is compared by: its kind and value (`true` is not `1`, `1.0` is `1`); None for a value that
    is not a label (null, a list, an object, a float with a fraction)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, int):
        return ("number", value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return ("number", int(value))
    return None


def label_name(key: tuple[str, Any]) -> str:
    """A label as it is shown (`true`, `setosa`, `3`), like the labels of `model_prediction_class_total`."""
    kind, value = key
    if kind == "bool":
        return "true" if value else "false"
    return str(value)[:MAX_LABEL_LENGTH]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def kind_of(predictions: Sequence[Any]) -> str | None:
    """`labels` when every prediction is a label (string, boolean, integer), `numbers` when every one is a number
    and one at least a float, None otherwise (an object, a list, or a mix)."""
    if not predictions:
        return None
    if all(isinstance(p, (str, int)) for p in predictions):  # bool is an int
        return "labels"
    if all(_number(p) is not None for p in predictions):
        return "numbers"
    return None


def label_figures(pairs: Sequence[tuple[Any, Any]]) -> dict[str, Any]:
    """Accuracy, macro F1 and per-class recall of (prediction, outcome) label pairs."""
    scored = [(label_key(p), label_key(o)) for p, o in pairs]
    usable = [(p, o) for p, o in scored if p is not None and o is not None]
    count = len(usable)
    if not count:
        return {"count": 0, "unscored": len(pairs), "metrics": {}, "per_class": {}}
    true_positive: Counter[tuple[str, Any]] = Counter()
    predicted: Counter[tuple[str, Any]] = Counter()
    actual: Counter[tuple[str, Any]] = Counter()
    for prediction, outcome in usable:
        predicted[prediction] += 1
        actual[outcome] += 1
        if prediction == outcome:
            true_positive[outcome] += 1
    classes = set(predicted) | set(actual)
    f1s = [2 * true_positive[c] / (predicted[c] + actual[c]) for c in classes]  # 2TP / (2TP + FP + FN)
    shown = sorted(actual, key=lambda c: (-actual[c], label_name(c)))[:MAX_CLASSES]
    per_class = {
        label_name(c): {"recall": true_positive[c] / actual[c], "support": actual[c]}
        for c in sorted(shown, key=label_name)
    }
    return {
        "count": count,
        "unscored": len(pairs) - count,
        "metrics": {"accuracy": sum(true_positive.values()) / count, "macro_f1": sum(f1s) / len(f1s)},
        "per_class": per_class,
    }


def number_figures(pairs: Sequence[tuple[Any, Any]]) -> dict[str, Any]:
    """MAE, RMSE and bias (mean of prediction - outcome) of (prediction, outcome) number pairs."""
    errors = []
    for prediction, outcome in pairs:
        p, o = _number(prediction), _number(outcome)
        if p is not None and o is not None:
            errors.append(p - o)
    count = len(errors)
    if not count:
        return {"count": 0, "unscored": len(pairs), "metrics": {}, "per_class": {}}
    metrics = {
        "mae": math.fsum(abs(e) for e in errors) / count,
        "rmse": math.sqrt(math.fsum(e * e for e in errors) / count),
        "bias": math.fsum(errors) / count,
    }
    return {"count": count, "unscored": len(pairs) - count, "metrics": metrics, "per_class": {}}


def relative_change(metric: str, live: float, baseline: float) -> float:
    """How much worse `live` is than `baseline`, relative to it (negative: better). An error figure (MAE, RMSE)
    whose baseline is 0 is infinitely worse as soon as it is above 0."""
    worse = live - baseline if metric in ERROR_METRICS else baseline - live
    if baseline == 0:
        return 0.0 if worse <= 0 else math.inf
    return worse / abs(baseline)


def status_of(change: float | None, degraded: float, alert: float) -> str:
    """`ok`, `degraded` or `alert` for the worst relative change; `unknown` for None."""
    if change is None:
        return "unknown"
    return "alert" if change >= alert else "degraded" if change >= degraded else "ok"


def evaluate(
    pairs: Sequence[tuple[Any, Any]], baseline: Mapping[str, float], settings: QualitySettings
) -> dict[str, Any]:
    """The quality report of (prediction, outcome) pairs against `baseline` (see the module's docstring)."""
    kind = kind_of([prediction for prediction, _ in pairs])
    if kind == "labels":
        figures = label_figures(pairs)
    elif kind == "numbers":
        figures = number_figures(pairs)
    else:
        figures = {"count": 0, "unscored": len(pairs), "metrics": {}, "per_class": {}}
    metrics: dict[str, float] = figures["metrics"]
    changes = {name: relative_change(name, metrics[name], baseline[name]) for name in metrics if name in baseline}
    reason = ""
    if not pairs:
        reason = "no prediction in the window has feedback yet"
    elif kind is None:
        reason = "the predictions are neither all labels nor all numbers: quality is not computed"
    elif figures["count"] < settings.min_count:
        reason = f"{figures['count']} scored predictions in the window, fewer than the {settings.min_count} needed"
    elif not changes:
        reason = "the notebook's metrics give no baseline for " + ", ".join(metrics)
    worst = None if reason else max(changes.values())
    return {
        "status": status_of(worst, settings.degraded, settings.alert),
        "reason": reason,
        "kind": kind,
        "count": figures["count"],
        "unscored": figures["unscored"],
        "metrics": metrics,
        "baseline": {name: value for name, value in baseline.items() if kind is None or name in metrics},
        "change": changes,
        "per_class": figures["per_class"],
    }


# ---- the baseline, from the lock ---------------------------------------------------------------


def _metric_of(name: str) -> str | None:
    """The live figure a notebook's metric name is a baseline of (`Test accuracy` -> accuracy), or None."""
    words = _WORDS.findall(name.lower())
    if not words or _NOT_A_BASELINE & set(words):
        return None
    joined = " ".join(words)
    if "rmse" in words or "root mean squared error" in joined or "root mean square error" in joined:
        return "rmse"
    if "mse" in words or "mean squared error" in joined or "mean square error" in joined:
        return "mse"
    if "mae" in words or "mean absolute error" in joined:
        return "mae"
    if "accuracy" in words or "acc" in words:
        return None if "balanced" in words or "top" in words else "accuracy"
    if any(word in ("f1", "f1score", "fscore") for word in words) or "f1 score" in joined:
        return "macro_f1"
    return None


def _preference(name: str) -> int:
    """Which of several metrics of the same figure is the baseline: one said to be on test data first."""
    words = _WORDS.findall(name.lower())
    for rank, word in enumerate(_PREFERENCE):
        if word in words:
            return rank
    return len(_PREFERENCE)


def lock_metrics(lock: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The lock's metric entries (`{"name", "value", "printed"}`): its `metrics` list, or the `values` of a
    `metrics` object (the model card's report of the metrics cells)."""
    metrics = lock.get("metrics")
    if isinstance(metrics, Mapping):
        metrics = metrics.get("values")
    if not isinstance(metrics, list):
        return []
    return [entry for entry in metrics if isinstance(entry, Mapping)]


def baseline_from_lock(lock: Mapping[str, Any]) -> dict[str, float]:
    """The baseline of each live figure, from the notebook's printed metrics in the lock (see the module's
    docstring): `{"accuracy": 0.97}`; {} when the notebook printed none that maps."""
    found: dict[str, tuple[int, float]] = {}
    for entry in lock_metrics(lock):
        name, value = entry.get("name"), _number(entry.get("value"))
        if not isinstance(name, str) or value is None:
            continue
        metric = _metric_of(name)
        if metric is None:
            continue
        printed = str(entry.get("printed", ""))
        if printed.rstrip().endswith("%") or (metric in ("accuracy", "macro_f1") and 1 < value <= 100):
            value /= 100
        if metric in ("accuracy", "macro_f1") and not 0 <= value <= 1:
            continue
        if metric == "mse":
            if value < 0:
                continue
            metric, value = "rmse", math.sqrt(value)
        if metric in ERROR_METRICS and value < 0:
            continue
        rank = _preference(name)
        if metric not in found or rank <= found[metric][0]:  # the same rank: the later one (the last printed)
            found[metric] = (rank, value)
    return {metric: value for metric, (_, value) in found.items()}


# ---- the monitor and its gauges ----------------------------------------------------------------


class QualityMonitor:
    """The live quality of the store's labelled window, cached for `cache_seconds`; logs each change of status.

    `window()` returns the (prediction, outcome) pairs, newest first; it raises when the store cannot
    be read (the report then says `unknown`, with the reason, and `store_up` false).
    """

    def __init__(
        self,
        window: Callable[[], Sequence[tuple[Any, Any]]],
        baseline: Mapping[str, float],
        settings: QualitySettings,
        logger: logging.Logger,
        cache_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.baseline = dict(baseline)
        self.settings = settings
        self.logger = logger
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._cached: dict[str, Any] | None = None
        self._cached_at = -math.inf
        self._stale = False
        self._reported = "ok"

    def invalidate(self) -> None:
        """New feedback is in: the next report reads the store again."""
        with self._lock:
            self._stale = True

    def feedback_received(self) -> None:
        """New feedback is in: the next report reads the store again, and this one does now unless the store was
        read less than `cache_seconds` ago (so that a change of status is logged without a read per request)."""
        self.invalidate()
        if self.clock() - self._cached_at >= self.cache_seconds:
            self.report()

    def report(self) -> dict[str, Any]:
        """The quality report (the body of `GET /performance`): the cached one when it is less than `cache_seconds`
        old and no feedback came since."""
        with self._lock:
            now = self.clock()
            if self._cached is not None and not self._stale and now - self._cached_at < self.cache_seconds:
                return self._cached
            settings = self.settings
            try:
                pairs = list(self.window())
            except Exception as exc:  # the store is down: no figures, and no exception for the caller
                report = evaluate([], self.baseline, settings)
                report.update(reason=f"the prediction store cannot be read: {exc}", store_up=False)
            else:
                report = evaluate(pairs, self.baseline, settings)
                report["store_up"] = True
            report["window"] = {"size": settings.window, "max_age_seconds": settings.max_age,
                                "min_count": settings.min_count}
            report["thresholds"] = {"degraded": settings.degraded, "alert": settings.alert}
            change = None
            status, previous = report["status"], self._reported
            if status != "unknown" and status != previous:
                self._reported = status
                change = previous
            self._cached, self._cached_at, self._stale = report, now, False
        if change is not None:
            self._log_change(change, report)
        return report

    def _log_change(self, previous: str, report: Mapping[str, Any]) -> None:
        level = logging.INFO if report["status"] == "ok" else logging.WARNING
        fields = {
            "event": "quality_status_changed",
            "previous": previous,
            "status": report["status"],
            "count": report["count"],
            "metrics": {name: round(value, 6) for name, value in report["metrics"].items()},
            "baseline": report["baseline"],
            "change": {name: round(value, 6) for name, value in report["change"].items()},
            "degraded": self.settings.degraded,
            "alert": self.settings.alert,
        }
        self.logger.log(level, f"live quality: {previous} -> {report['status']}", extra={"fields": fields})


class QualityCollector(Collector):
    """The live-quality gauges of `/metrics`, from the monitor's (cached) report when Prometheus scrapes."""

    def __init__(self, monitor: QualityMonitor) -> None:
        self.monitor = monitor

    def describe(self) -> list[Metric]:
        return list(self._families(None))

    def collect(self) -> Iterator[Metric]:
        return self._families(self.monitor.report())

    def _families(self, report: Mapping[str, Any] | None) -> Iterator[Metric]:
        quality = GaugeMetricFamily(
            "model_quality",
            "Live quality over the window of recent predictions with feedback: accuracy and macro_f1 for labels, "
            "mae, rmse and bias (mean of prediction - outcome) for numbers.",
            labels=["metric"],
        )
        recall = GaugeMetricFamily("model_quality_recall", "Live recall of each class (label) in the window.",
                                   labels=["label"])
        baseline = GaugeMetricFamily(
            "model_quality_baseline", "The notebook's own figure for each live quality metric (its metrics cells).",
            labels=["metric"],
        )
        count = GaugeMetricFamily("model_quality_window_count",
                                  "Predictions with feedback scored in the quality window.")
        status = GaugeMetricFamily(
            "model_quality_status",
            "Live quality against the notebook's baseline: 0 ok, 1 degraded, 2 alert, -1 unknown (too few "
            "predictions with feedback, no baseline, or the store cannot be read).",
        )
        if report is not None:
            for name, value in report["metrics"].items():
                quality.add_metric([name], value)
            for label, figures in report["per_class"].items():
                recall.add_metric([label], figures["recall"])
            for name, value in report["baseline"].items():
                baseline.add_metric([name], value)
            count.add_metric([], report["count"])
            status.add_metric([], STATUS_VALUES[report["status"]])
        yield from (quality, recall, baseline, count, status)
