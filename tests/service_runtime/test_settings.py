"""runtime/settings.py: every `<PREFIX>_*` variable, read in one place."""

from __future__ import annotations

import re

import pytest

from nb2prod.service_runtime.settings import VARIABLES, DriftSettings, Settings


def test_defaults_without_variables() -> None:
    settings = Settings.from_env("TOY", {}, max_batch_size=7)
    assert settings == Settings(prefix="TOY", max_batch_size=7)
    assert (settings.max_body_bytes, settings.max_json_depth, settings.header_timeout, settings.body_timeout) == (
        1 << 20, 32, 10.0, 30.0)
    assert settings.drift == DriftSettings(enabled=True, window=1000, warn=0.1, alert=0.25, min_samples=500,
                                           check_every=100, check_seconds=10.0, strict=False)


def test_every_variable_is_read() -> None:
    values = {"MAX_BATCH_SIZE": "9", "MAX_BODY_BYTES": "2048", "MAX_JSON_DEPTH": "4", "HEADER_TIMEOUT": "1.5",
              "BODY_TIMEOUT": " 2 ", "DRIFT": "off", "DRIFT_WINDOW": "50", "DRIFT_WARN": "0.2", "DRIFT_ALERT": "0.5",
              "DRIFT_MIN_SAMPLES": "10", "DRIFT_CHECK_EVERY": "5", "DRIFT_CHECK_SECONDS": "2.5", "STRICT": "yes"}
    assert sorted(values) == sorted(VARIABLES)
    settings = Settings.from_env("TOY", {f"TOY_{name}": value for name, value in values.items()})
    assert settings == Settings(
        prefix="TOY", max_batch_size=9, max_body_bytes=2048, max_json_depth=4, header_timeout=1.5, body_timeout=2.0,
        drift=DriftSettings(enabled=False, window=50, warn=0.2, alert=0.5, min_samples=10, check_every=5,
                            check_seconds=2.5, strict=True),
    )
    assert Settings.from_env("OTHER", {f"TOY_{name}": value for name, value in values.items()}) == Settings(
        prefix="OTHER")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DRIFT_WINDOW", "many", "TOY_DRIFT_WINDOW='many' is not an integer"),
        ("DRIFT_WARN", "0.5", "0 < warn < alert"),
        ("DRIFT_ALERT", "nan", "TOY_DRIFT_ALERT='nan' is not a finite number"),
        ("DRIFT_MIN_SAMPLES", "5000", "minimum sample size must be from 1 to the window (1000)"),
        ("STRICT", "maybe", "TOY_STRICT='maybe' is neither"),
        ("MAX_BATCH_SIZE", "1.5", "TOY_MAX_BATCH_SIZE='1.5' is not an integer"),
        ("MAX_BODY_BYTES", "0", "TOY_MAX_BODY_BYTES=0 must be at least 1"),
        ("HEADER_TIMEOUT", "-1", "TOY_HEADER_TIMEOUT='-1' is not a positive number of seconds"),
        ("BODY_TIMEOUT", "soon", "TOY_BODY_TIMEOUT='soon' is not a positive number of seconds"),
        ("BODY_TIMEOUT", "inf", "TOY_BODY_TIMEOUT='inf' is not a positive number of seconds"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        Settings.from_env("TOY", {f"TOY_{name}": value})
    assert "TOY_" in str(info.value) and "\n" not in str(info.value)


def test_the_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOY_DRIFT_WINDOW", "600")
    assert Settings.from_env("TOY").drift.window == 600
