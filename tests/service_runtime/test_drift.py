"""runtime/drift.py: the PSI arithmetic, the sliding window, strict checks and the profile's checks."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pytest
from _toy_service import PROFILE

from nb2prod.service_runtime import lockfile
from nb2prod.service_runtime.drift import DriftCollector, DriftMonitor, load_profile, psi, status_of
from nb2prod.service_runtime.settings import DriftSettings

LOG = logging.getLogger("test-runtime-drift")


def test_psi_against_hand_computed_values() -> None:
    # (0.25-0.5) ln(0.25/0.5) + (0.75-0.5) ln(0.75/0.5) = 0.25 ln 2 + 0.25 ln 1.5
    assert psi([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.274653072167, abs=1e-12)
    # two bins doubled, two emptied (raised to 1e-4): 2 * 0.1 ln 2 + 2 * (1e-4-0.1) ln(1e-4/0.1)
    assert psi([0.1] * 10, [0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.0, 0.0]) == pytest.approx(1.5187989409, abs=1e-9)
    assert psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0
    with pytest.raises(ValueError, match="2 expected shares but 3 actual"):
        psi([0.5, 0.5], [0.2, 0.3, 0.5])


def test_status_follows_the_thresholds() -> None:
    values = [None, 0.0, 0.0999, 0.1, 0.2499, 0.25, 3.0]
    assert [status_of(v, 0.1, 0.25) for v in values] == [
        "insufficient_data", "ok", "ok", "warn", "warn", "alert", "alert"]


def test_the_window_slides_and_psi_follows() -> None:
    """Edges 1 and 2, shares 1/4, 1/2, 1/4; a window of 4 values."""
    profile = {"features": {"v": dict(PROFILE["features"]["x"])}}
    settings = DriftSettings(window=4, min_samples=4, check_every=1000, check_seconds=3600)
    monitor = DriftMonitor(profile, settings, LOG)
    monitor.observe([{"v": 0.5}, {"v": 1.5}, {"v": 2.5}])
    assert monitor.evaluate()["v"]["status"] == "insufficient_data"
    monitor.observe([{"v": 2.7}])  # shares 1/4, 1/4, 1/2: 0.5 ln 2
    assert monitor.evaluate()["v"]["psi"] == pytest.approx(0.5 * math.log(2))
    monitor.observe([{"v": 1.2}])  # 0.5 leaves: shares 0, 1/2, 1/2
    report = monitor.evaluate()["v"]
    assert report["psi"] == pytest.approx((1e-4 - 0.25) * math.log(1e-4 / 0.25) + 0.25 * math.log(2))
    assert (report["n"], report["window"], report["status"]) == (4, 4, "alert")
    monitor.observe([{"v": 9.0}, {"v": None}])  # out of range, and missing
    report = monitor.evaluate()["v"]
    assert (report["n"], report["out_of_range"], report["out_of_range_total"], report["missing_rate"]) == (
        3, 1, 1, 0.25)


def test_strict_mode_refuses_what_the_reference_never_had() -> None:
    for settings in (DriftSettings(strict=True), DriftSettings(strict=True, enabled=False)):
        monitor = DriftMonitor(PROFILE, settings, LOG)
        assert monitor.observe([{"x": 1.0, "colour": "red"}]) == []
        problems = monitor.observe([{"x": 1.0, "colour": "green"}, {"x": 30.0, "colour": "blue"}])
        assert [(p["row"], p["field"], p["type"]) for p in problems] == [
            (0, "colour", "unseen_category"), (1, "x", "out_of_range")]
        assert problems[1]["ctx"] == {"min": 0.0, "max": 3.0}


def test_a_change_of_status_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    settings = DriftSettings(window=10, min_samples=10, check_every=5, check_seconds=3600)
    monitor = DriftMonitor({"features": {"x": PROFILE["features"]["x"]}}, settings, LOG)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        monitor.observe([{"x": 2.5}] * 30)
        monitor.evaluate()
    changes = [r for r in caplog.records if getattr(r, "fields", {}).get("event") == "drift_status_changed"]
    assert len(changes) == 1 and changes[0].levelno == logging.WARNING
    assert changes[0].fields["status"] == "alert"  # type: ignore[attr-defined]
    families = {family.name: family for family in DriftCollector(monitor).collect()}
    assert families["model_drift_status"].samples[0].value == 2


def test_without_profile_or_when_off_nothing_is_monitored() -> None:
    assert DriftMonitor(None, DriftSettings(), LOG).report()["available"] is False
    off = DriftMonitor(PROFILE, DriftSettings(enabled=False), LOG, env_prefix="TOY")
    assert off.observe([{"x": 1.0}]) == [] and "TOY_DRIFT=0" in off.report()["reason"]
    empty = DriftMonitor({"features": {}, "unprofiled": {"v": "a list"}}, DriftSettings(), LOG)
    assert empty.report()["status"] == "unavailable" and "v" in empty.report()["reason"]
    assert list(DriftCollector(empty).collect()) == []


def test_the_profile_is_checked_against_the_lock(package: Path, tmp_path: Path) -> None:
    assert load_profile(package) == PROFILE
    retrained = tmp_path / "retrained"
    retrained.mkdir()
    (retrained / lockfile.LOCK_NAME).write_bytes((package / lockfile.LOCK_NAME).read_bytes())
    assert load_profile(retrained, package) == PROFILE  # a retrained model keeps the package's profile
    with pytest.raises(lockfile.ArtifactError, match="is missing"):
        load_profile(retrained)
    (package / "profile.json").write_text(json.dumps({**PROFILE, "rows": 5}), encoding="utf-8")
    with pytest.raises(lockfile.ArtifactError, match="refusing to use it"):
        load_profile(package)
