"""Input drift: recent inputs compared with the profile of the notebook's `reference` data.

`profile.json` (written by the build from the notebook's `reference` cell, and named with
its sha256 by the lock) describes each input of `predict` in the training data: for a
number, quantile bins (`edges` e1 < ... < ek cut the line into k + 1 bins: below e1,
[e1, e2), ..., from ek up) with the share of reference values in each, and the min and
max; for a category, the share of each of the most frequent values (and of all others).

The service keeps, for each input, the bins of its last `window` values (a deque and a
counter per bin, so an input costs O(1)), and compares them with the reference by the
population stability index:

    PSI = sum over bins i of (a_i - e_i) * ln(a_i / e_i)

where e_i is the reference share of bin i and a_i the share of the window's present
(not missing) values in it, each raised to EPSILON (1e-4) when smaller, so an empty bin
counts without dividing by zero. PSI < warn (0.1) is `ok`, < alert (0.25) `warn`, else
`alert`; with fewer than `min_samples` present values in the window the status is
`insufficient_data`: n values drawn from the reference distribution itself have a PSI of
about (bins - 1) / n, so the default of 500 keeps that chance PSI near 0.02 for 10 bins.
Numbers outside the reference [min, max] and categories the reference never had are counted.
PSI is computed when asked (`/drift`, `/metrics`) and every `check_every` inputs or
`check_seconds` seconds, when a change of status is logged, once per change, as a JSON
line of the logger `<package>.drift`.

In strict mode the same checks reject an input: 422, naming the field and the values
the reference allows.
"""

from __future__ import annotations

import bisect
import itertools
import json
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from . import lockfile
from .settings import DriftSettings

EPSILON = 1e-4
"""The smallest share a bin counts with in the PSI (an empty bin would divide by zero)."""
STATUS_VALUES = {"insufficient_data": -1, "ok": 0, "warn": 1, "alert": 2}
"""The value of the `model_drift_status` gauge for each status."""
MAX_ALLOWED_SHOWN = 20
"""Categories named in a strict-mode error, at most."""


def psi(expected: Sequence[float], actual: Sequence[float], epsilon: float = EPSILON) -> float:
    """The population stability index of the shares `actual` against the shares `expected`, bin by bin."""
    if len(expected) != len(actual):
        raise ValueError(f"{len(expected)} expected shares but {len(actual)} actual ones")
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, epsilon), max(a, epsilon)
        total += (a - e) * math.log(a / e)
    return total


def status_of(value: float | None, warn: float, alert: float) -> str:
    """`ok`, `warn` or `alert` for a PSI; `insufficient_data` for None."""
    if value is None:
        return "insufficient_data"
    return "alert" if value >= alert else "warn" if value >= warn else "ok"


def load_profile(directory: lockfile.PathLike, package_dir: lockfile.PathLike | None = None) -> dict[str, Any] | None:
    """The profile the lock of `directory` names, checked against its sha256.

    None when the lock names no profile (the notebook had no `reference` cell). The file is
    looked for in `directory`, then in `package_dir` (a retrained model keeps the package's
    profile). Raises lockfile.ArtifactError if it is missing, differs from the lock or is
    not a profile.
    """
    folder = Path(directory)
    entry = lockfile.read_lock(folder).get("profile")
    if not entry:
        return None
    if not (isinstance(entry, dict) and isinstance(entry.get("file"), str) and isinstance(entry.get("sha256"), str)):
        raise lockfile.ArtifactError(f"the lock's profile entry {entry!r} lacks a file or a sha256")
    name = entry["file"]
    if Path(name).name != name or name in ("", ".", ".."):
        raise lockfile.ArtifactError(f"the lock's profile file {name!r} is not a file name in the package")
    candidates = [folder / name, *([Path(package_dir) / name] if package_dir is not None else [])]
    path = next((candidate for candidate in candidates if candidate.is_file()), None)
    if path is None:
        raise lockfile.ArtifactError(f"the profile {candidates[0]} is missing")
    actual = lockfile.sha256_of(path)
    if actual != entry["sha256"]:
        raise lockfile.ArtifactError(
            f"the profile {path} has sha256 {actual}, the lock says {entry['sha256']}; refusing to use it"
        )
    try:
        profile: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        for name, spec in profile["features"].items():
            _check_spec(name, spec)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise lockfile.ArtifactError(f"the profile {path} is not a valid profile: {exc}") from None
    return profile


def _check_spec(name: str, spec: Mapping[str, Any]) -> None:
    if spec["kind"] == "numeric":
        edges, shares = spec["edges"], spec["proportions"]
        if len(shares) != len(edges) + 1 or any(b <= a for a, b in itertools.pairwise(edges)):
            raise ValueError(f"feature {name!r}: {len(edges)} increasing edges need {len(edges) + 1} proportions")
        if not all(isinstance(spec[key], (int, float)) for key in ("min", "max")):
            raise ValueError(f"feature {name!r}: min and max must be numbers")
    elif spec["kind"] == "categorical":
        if not isinstance(spec["frequencies"], dict) or not isinstance(spec["other"], (int, float)):
            raise ValueError(f"feature {name!r}: frequencies must be an object, other a number")
    else:
        raise ValueError(f"feature {name!r}: unknown kind {spec['kind']!r}")


def category(value: Any) -> str:
    """The name of a categorical value, as the profile writes it: a string as itself, JSON for the rest."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)) or value is None:
        return json.dumps(value)
    return str(value)


class _Feature:
    """The recent values of one input, as bin numbers in a deque, with a count per bin."""

    kind = ""

    def __init__(self, name: str, spec: Mapping[str, Any], expected: list[float], window: int) -> None:
        self.name = name
        self.spec = spec
        self.expected = expected
        self.missing_bin = len(expected)
        self.counts = [0] * (len(expected) + 1)  # the bins, then the missing values
        self.flagged_in_window = 0  # out-of-range or unseen values in the window
        self.window: deque[int] = deque()
        self.size = window
        self.flagged_total = 0
        self.values_total = 0

    def bin_of(self, value: Any) -> tuple[int, bool]:
        """The bin of `value`, and whether it is outside the reference (out of range, unseen)."""
        raise NotImplementedError

    def observe(self, value: Any) -> bool:
        """Add `value` to the window (dropping the oldest when full); whether it was outside the reference."""
        index, flagged = self.bin_of(value)
        window = self.window
        if len(window) == self.size:
            old = window.popleft()
            if old < 0:
                old = ~old
                self.flagged_in_window -= 1
            self.counts[old] -= 1
        self.counts[index] += 1
        if flagged:
            self.flagged_in_window += 1
            self.flagged_total += 1
            window.append(~index)  # a flagged value is kept as the bitwise inverse of its bin: negative
        else:
            window.append(index)
        self.values_total += 1
        return flagged

    def report(self, settings: DriftSettings) -> dict[str, Any]:
        present = len(self.window) - self.counts[self.missing_bin]
        value = None
        if present >= settings.min_samples:
            value = psi(self.expected, [count / present for count in self.counts[: self.missing_bin]])
        return {
            "kind": self.kind,
            "psi": value,
            "status": status_of(value, settings.warn, settings.alert),
            "n": present,
            "window": len(self.window),
            "missing_rate": self.counts[self.missing_bin] / len(self.window) if self.window else 0.0,
            "reference_missing_rate": self.spec.get("missing_rate", 0.0),
        }

    def violation(self, value: Any) -> dict[str, Any]:
        raise NotImplementedError


class NumericFeature(_Feature):
    kind = "numeric"

    def __init__(self, name: str, spec: Mapping[str, Any], window: int) -> None:
        super().__init__(name, spec, [float(share) for share in spec["proportions"]], window)
        self.edges = [float(edge) for edge in spec["edges"]]
        self.low, self.high = spec["min"], spec["max"]

    def bin_of(self, value: Any) -> tuple[int, bool]:
        if value is None:
            return self.missing_bin, False
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return self.missing_bin, True  # not a number (an input typed Any): outside the reference
        if isinstance(value, float) and math.isnan(value):
            return self.missing_bin, False
        return bisect.bisect_right(self.edges, value), value < self.low or value > self.high

    def report(self, settings: DriftSettings) -> dict[str, Any]:
        return {
            **super().report(settings),
            "out_of_range": self.flagged_in_window,
            "out_of_range_total": self.flagged_total,
            "reference_range": [self.low, self.high],
        }

    def violation(self, value: Any) -> dict[str, Any]:
        shown = "not a number" if isinstance(value, bool) or not isinstance(value, (int, float)) else repr(value)
        return {
            "type": "out_of_range",
            "msg": f"{self.name} must be a number from {self.low} to {self.high}, the range of the reference data "
            f"(strict mode); got {shown}",
            "input": value,
            "ctx": {"min": self.low, "max": self.high},
        }


class CategoricalFeature(_Feature):
    kind = "categorical"

    def __init__(self, name: str, spec: Mapping[str, Any], window: int) -> None:
        frequencies = spec["frequencies"]
        super().__init__(name, spec, [float(share) for share in frequencies.values()] + [float(spec["other"])], window)
        self.index = {str(key): number for number, key in enumerate(frequencies)}
        self.other_bin = len(frequencies)
        self.complete = not spec.get("truncated", False)  # every category of the reference is listed

    def bin_of(self, value: Any) -> tuple[int, bool]:
        if value is None or isinstance(value, float) and math.isnan(value):
            return self.missing_bin, False
        number = self.index.get(category(value))
        if number is None:
            return self.other_bin, self.complete
        return number, False

    def report(self, settings: DriftSettings) -> dict[str, Any]:
        return {
            **super().report(settings),
            "unseen": self.flagged_in_window,
            "unseen_total": self.flagged_total,
            "reference_categories": len(self.index),
        }

    def violation(self, value: Any) -> dict[str, Any]:
        allowed = list(self.index)
        shown = ", ".join(repr(a) for a in allowed[:MAX_ALLOWED_SHOWN])
        if len(allowed) > MAX_ALLOWED_SHOWN:
            shown += f" and {len(allowed) - MAX_ALLOWED_SHOWN} more"
        return {
            "type": "unseen_category",
            "msg": f"{self.name} must be one of the values of the reference data (strict mode): {shown}; "
            f"got {category(value)!r}",
            "input": value,
            "ctx": {"allowed": allowed},
        }


class DriftMonitor:
    """Every profiled input's window, PSI and counts; thread-safe; logs each change of status once."""

    def __init__(
        self,
        profile: Mapping[str, Any] | None,
        settings: DriftSettings,
        logger: logging.Logger,
        reason: str = "",
        env_prefix: str = "<PREFIX>",
    ) -> None:
        self.settings = settings
        self.logger = logger
        self.profile = profile
        self.features: dict[str, _Feature] = {}
        if profile is None:
            self.reason = reason or "the notebook had no `reference` cell: there is no profile to compare inputs with"
        elif not profile["features"]:
            self.reason = ("the profile of the notebook's `reference` data has no input of predict that holds one "
                           f"value: {', '.join(profile.get('unprofiled') or {}) or 'none'}")
        elif not settings.enabled:
            self.reason = f"drift monitoring is off ({env_prefix}_DRIFT=0)"
        else:
            self.reason = ""
        if profile is not None and (settings.enabled or settings.strict):  # strict mode checks with the profile
            for name, spec in profile["features"].items():
                kind = NumericFeature if spec["kind"] == "numeric" else CategoricalFeature
                self.features[name] = kind(name, spec, settings.window)
        self._checked: dict[str, _Feature] = self.features if settings.strict else {}
        self._items = list(self.features.items())
        self._lock = threading.Lock()
        self._reported = dict.fromkeys(self.features, "ok")
        self._since_check = 0
        self._last_check = time.monotonic()
        self.rows = 0

    @property
    def available(self) -> bool:
        """Whether drift is monitored (there is a profile, and monitoring is on)."""
        return bool(self.features) and self.settings.enabled

    def observe(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Add the inputs `rows` to the windows; in strict mode, return what the reference does not allow
        (each a pydantic-style error with the `row` number and the `field`), else []."""
        if not self._items:
            return []
        problems: list[dict[str, Any]] = []
        if not self.settings.enabled:  # strict mode without monitoring: check, keep nothing
            for number, row in enumerate(rows):
                for name, feature in self._items:
                    value = row.get(name)
                    if feature.bin_of(value)[1]:
                        problems.append({"row": number, "field": name, **feature.violation(value)})
            return problems
        with self._lock:
            for number, row in enumerate(rows):
                for name, feature in self._items:
                    value = row.get(name)
                    if feature.observe(value) and name in self._checked:
                        problems.append({"row": number, "field": name, **feature.violation(value)})
            self.rows += len(rows)
            self._since_check += len(rows)
            now = time.monotonic()
            settings = self.settings
            due = self._since_check >= settings.check_every or now - self._last_check >= settings.check_seconds
            if due:
                self._since_check, self._last_check = 0, now
        if due:
            self.evaluate()
        return problems

    def evaluate(self) -> dict[str, dict[str, Any]]:
        """Every feature's report (PSI, status, counts); logs each change of status since the last."""
        changes = []
        with self._lock:
            reports = {name: feature.report(self.settings) for name, feature in self._items}
            for name, report in reports.items():
                status, previous = report["status"], self._reported[name]
                if status != "insufficient_data" and status != previous:
                    self._reported[name] = status
                    changes.append((name, previous, report))
        for name, previous, report in changes:
            level = logging.INFO if report["status"] == "ok" else logging.WARNING
            fields = {
                "event": "drift_status_changed",
                "feature": name,
                "previous": previous,
                "status": report["status"],
                "psi": round(report["psi"], 6),
                "n": report["n"],
                "warn": self.settings.warn,
                "alert": self.settings.alert,
            }
            self.logger.log(level, f"input drift of {name}: {previous} -> {report['status']}", extra={"fields": fields})
        return reports

    def report(self) -> dict[str, Any]:
        """The body of `GET /drift`."""
        settings = self.settings
        common = {
            "strict": settings.strict,
            "thresholds": {"warn": settings.warn, "alert": settings.alert},
            "window": settings.window,
            "min_samples": settings.min_samples,
        }
        if not self.available:
            return {"available": False, "reason": self.reason, "status": "unavailable", **common, "features": {}}
        features = self.evaluate()
        statuses = [report["status"] for report in features.values() if report["status"] != "insufficient_data"]
        overall = max(statuses, key=STATUS_VALUES.__getitem__) if statuses else "insufficient_data"
        unprofiled = dict((self.profile or {}).get("unprofiled") or {})
        return {
            "available": True,
            "status": overall,
            **common,
            "rows": self.rows,
            "features": features,
            "unprofiled": unprofiled,
        }


class DriftCollector(Collector):
    """The drift gauges and counters of `/metrics`, computed when Prometheus scrapes."""

    def __init__(self, monitor: DriftMonitor) -> None:
        self.monitor = monitor

    def describe(self) -> list[Metric]:
        return list(self._families()) if self.monitor.available else []

    def collect(self) -> Iterator[Metric]:
        if not self.monitor.available:
            return iter(())
        return self._families(self.monitor.evaluate())

    def _families(self, reports: Mapping[str, Mapping[str, Any]] | None = None) -> Iterator[Metric]:
        reports = reports or {}
        psi_gauge = GaugeMetricFamily(
            "model_drift_psi", "Population stability index of each input's recent values against the reference.",
            labels=["feature"],
        )
        status = GaugeMetricFamily(
            "model_drift_status",
            "Drift status of each input: 0 ok, 1 warn, 2 alert, -1 too few recent values to tell.",
            labels=["feature"],
        )
        size = GaugeMetricFamily(
            "model_drift_window_values", "Present (not missing) values of each input in the drift window.",
            labels=["feature"],
        )
        threshold = GaugeMetricFamily("model_drift_threshold", "PSI from which the status is warn or alert.",
                                      labels=["level"])
        out_of_range = CounterMetricFamily(
            "model_out_of_range", "Numeric inputs outside the reference data's [min, max].", labels=["feature"]
        )
        unseen = CounterMetricFamily(
            "model_unseen_category", "Categorical inputs the reference data never had.", labels=["feature"]
        )
        if reports:
            threshold.add_metric(["warn"], self.monitor.settings.warn)
            threshold.add_metric(["alert"], self.monitor.settings.alert)
        for name, report in reports.items():
            if report["psi"] is not None:
                psi_gauge.add_metric([name], report["psi"])
            status.add_metric([name], STATUS_VALUES[report["status"]])
            size.add_metric([name], report["n"])
            if report["kind"] == "numeric":
                out_of_range.add_metric([name], report["out_of_range_total"])
            else:
                unseen.add_metric([name], report["unseen_total"])
        yield from (psi_gauge, status, size, threshold, out_of_range, unseen)
