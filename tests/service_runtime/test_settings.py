"""runtime/settings.py: every `<PREFIX>_*` variable, read in one place."""

from __future__ import annotations

import re

import pytest

from nb2prod.service_runtime.settings import VARIABLES, DriftSettings, QualitySettings, Settings, StoreSettings


def test_defaults_without_variables() -> None:
    settings = Settings.from_env("TOY", {}, max_batch_size=7)
    assert settings == Settings(prefix="TOY", max_batch_size=7)
    assert (settings.max_body_bytes, settings.max_json_depth, settings.header_timeout, settings.body_timeout) == (
        1 << 20, 32, 10.0, 30.0)
    assert settings.drift == DriftSettings(enabled=True, window=1000, warn=0.1, alert=0.25, min_samples=500,
                                           check_every=100, check_seconds=10.0, strict=False)
    assert settings.store == StoreSettings(url=None, inputs=True, max_rows=100_000, max_age=30 * 86400, queue=10_000)
    assert settings.quality == QualitySettings(window=500, max_age=None, degraded=0.05, alert=0.15, min_count=30)


def test_every_variable_is_read() -> None:
    values = {"MAX_BATCH_SIZE": "9", "MAX_BODY_BYTES": "2048", "MAX_JSON_DEPTH": "4", "HEADER_TIMEOUT": "1.5",
              "BODY_TIMEOUT": " 2 ", "DRIFT": "off", "DRIFT_WINDOW": "50", "DRIFT_WARN": "0.2", "DRIFT_ALERT": "0.5",
              "DRIFT_MIN_SAMPLES": "10", "DRIFT_CHECK_EVERY": "5", "DRIFT_CHECK_SECONDS": "2.5", "STRICT": "yes",
              "STORE_URL": " postgresql://svc@db.example:5433/predictions ", "STORE_INPUTS": "false",
              "STORE_MAX_ROWS": "50", "STORE_MAX_AGE": "none", "STORE_QUEUE": "7", "QUALITY_WINDOW": "40",
              "QUALITY_MAX_AGE": "3600", "QUALITY_DEGRADED": "0.1", "QUALITY_ALERT": "0.3", "QUALITY_MIN_COUNT": "20"}
    assert sorted(values) == sorted(VARIABLES)
    settings = Settings.from_env("TOY", {f"TOY_{name}": value for name, value in values.items()})
    assert settings == Settings(
        prefix="TOY", max_batch_size=9, max_body_bytes=2048, max_json_depth=4, header_timeout=1.5, body_timeout=2.0,
        drift=DriftSettings(enabled=False, window=50, warn=0.2, alert=0.5, min_samples=10, check_every=5,
                            check_seconds=2.5, strict=True),
        store=StoreSettings(url="postgresql://svc@db.example:5433/predictions", inputs=False, max_rows=50, max_age=None,
                            queue=7),
        quality=QualitySettings(window=40, max_age=3600.0, degraded=0.1, alert=0.3, min_count=20),
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
        ("STORE_URL", "mysql://me:secret@db/x", "TOY_STORE_URL: the store URL 'mysql://me:***@db/x' is none of off"),
        ("STORE_URL", "sqlite://relative.db", "TOY_STORE_URL: the store URL 'sqlite://relative.db' is not sqlite:///"),
        ("STORE_INPUTS", "some", "TOY_STORE_INPUTS='some' is neither"),
        ("STORE_MAX_ROWS", "0", "the store must keep at least 1 row and queue at least 1 write, not max_rows=0"),
        ("STORE_MAX_AGE", "-5", "TOY_STORE_MAX_AGE='-5' is not a positive number of seconds"),
        ("STORE_QUEUE", "lots", "TOY_STORE_QUEUE='lots' is not an integer"),
        ("QUALITY_WINDOW", "0", "the quality window must hold at least 1 prediction, not 0 (environment variables "
                                "TOY_QUALITY_*)"),
        ("QUALITY_MAX_AGE", "0", "TOY_QUALITY_MAX_AGE='0' is not a positive number of seconds"),
        ("QUALITY_DEGRADED", "0.5", "0 < degraded < alert, not degraded=0.5, alert=0.15"),
        ("QUALITY_ALERT", "inf", "TOY_QUALITY_ALERT='inf' is not a finite number"),
        ("QUALITY_MIN_COUNT", "501", "the quality minimum count must be from 1 to the window (500), not 501"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        Settings.from_env("TOY", {f"TOY_{name}": value})
    assert "TOY_" in str(info.value) and "\n" not in str(info.value)


def test_the_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOY_DRIFT_WINDOW", "600")
    assert Settings.from_env("TOY").drift.window == 600


def test_a_bad_store_url_never_shows_its_password() -> None:
    with pytest.raises(ValueError) as info:
        Settings.from_env("TOY", {"TOY_STORE_URL": "postgresql://me:hunter2@db:port/x"})
    assert "hunter2" not in str(info.value) and str(info.value).startswith("TOY_STORE_URL: ")
