"""Every setting of the service, read from its `<PREFIX>_*` environment variables in one place.

The prefix is the package's name in upper case (`IRIS_SERVICE_...`). Nothing else in the
service reads the environment: the app, the drift monitor, the limits and the command line
take a `Settings`. A bad value is a ValueError that names the variable.

| variable | default | meaning |
|---|---|---|
| `_MAX_BATCH_SIZE` | the template's `max_batch_size` | most instances of one `/predict/batch` |
| `_MAX_BODY_BYTES` | 1048576 | largest request body (413 above it); also the longest line `predict` reads |
| `_MAX_JSON_DEPTH` | 32 | deepest nesting of a JSON body (422 beyond it) |
| `_HEADER_TIMEOUT` | 10 | seconds to send the request line and headers (408), under `serve` |
| `_BODY_TIMEOUT` | 30 | seconds to send the body after the headers (408) |
| `_DRIFT` | 1 | 0 turns drift monitoring off (strict mode still checks) |
| `_DRIFT_WINDOW` | 1000 | recent values kept per input |
| `_DRIFT_WARN` | 0.1 | PSI from which an input's status is `warn` |
| `_DRIFT_ALERT` | 0.25 | PSI from which it is `alert` |
| `_DRIFT_MIN_SAMPLES` | 500 | present values needed before a PSI is reported |
| `_DRIFT_CHECK_EVERY` | 100 | inputs between two checks for a change of status |
| `_DRIFT_CHECK_SECONDS` | 10 | seconds between two checks, whichever comes first |
| `_STRICT` | 0 | 1 refuses (422) numbers outside the reference range and unseen categories |
| `_STORE_URL` | a SQLite file (see store.py) | the prediction store: `sqlite:///path`, `postgresql://...`, `off` |
| `_STORE_INPUTS` | 1 | 0 keeps no inputs in the store (only the id, time and prediction) |
| `_STORE_MAX_ROWS` | 100000 | predictions kept, at most (the oldest are pruned, with their feedback) |
| `_STORE_MAX_AGE` | 2592000 (30 days) | seconds a prediction is kept; `none`: no limit |
| `_STORE_QUEUE` | 10000 | predictions waiting to be written, at most (more are dropped and counted) |
| `_QUALITY_WINDOW` | 500 | recent predictions with feedback the live quality is computed over |
| `_QUALITY_MAX_AGE` | none | seconds: older predictions are left out of the window |
| `_QUALITY_DEGRADED` | 0.05 | relative drop from the notebook's figure (rise of an error) for `degraded` |
| `_QUALITY_ALERT` | 0.15 | relative drop from which it is `alert` |
| `_QUALITY_MIN_COUNT` | 30 | predictions with feedback needed before a status other than `unknown` |
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from .store import parse_store_url

Number = TypeVar("Number", int, float)

DEFAULT_MAX_BATCH_SIZE = 1000
DEFAULT_MAX_BODY_BYTES = 1 << 20
DEFAULT_MAX_JSON_DEPTH = 32
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 30.0
VARIABLES = (
    "MAX_BATCH_SIZE", "MAX_BODY_BYTES", "MAX_JSON_DEPTH", "HEADER_TIMEOUT", "BODY_TIMEOUT", "DRIFT", "DRIFT_WINDOW",
    "DRIFT_WARN", "DRIFT_ALERT", "DRIFT_MIN_SAMPLES", "DRIFT_CHECK_EVERY", "DRIFT_CHECK_SECONDS", "STRICT",
    "STORE_URL", "STORE_INPUTS", "STORE_MAX_ROWS", "STORE_MAX_AGE", "STORE_QUEUE", "QUALITY_WINDOW", "QUALITY_MAX_AGE",
    "QUALITY_DEGRADED", "QUALITY_ALERT", "QUALITY_MIN_COUNT",
)
"""The names of every variable, after the prefix and `_`."""


@dataclass(frozen=True)
class DriftSettings:
    """How drift is monitored and inputs are checked (see drift.py)."""

    enabled: bool = True
    window: int = 1000
    warn: float = 0.1
    alert: float = 0.25
    min_samples: int = 500
    check_every: int = 100
    check_seconds: float = 10.0
    strict: bool = False

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError(f"the drift window must hold at least 1 value, not {self.window}")
        if not 0 < self.warn < self.alert:
            raise ValueError(f"the drift thresholds must be 0 < warn < alert, not warn={self.warn}, alert={self.alert}")
        if not 1 <= self.min_samples <= self.window:
            raise ValueError(f"the drift minimum sample size must be from 1 to the window ({self.window}), "
                             f"not {self.min_samples}")
        if self.check_every < 1 or not self.check_seconds > 0:
            raise ValueError("drift checks must happen every 1 input or more and every positive number of seconds")


DAY = 86400.0


@dataclass(frozen=True)
class StoreSettings:
    """Where predictions and feedback are kept, and how much of them (see store.py). `url` None: the default
    SQLite file; `off`: nothing is kept."""

    url: str | None = None
    inputs: bool = True
    max_rows: int = 100_000
    max_age: float | None = 30 * DAY
    queue: int = 10_000

    def __post_init__(self) -> None:
        parse_store_url(self.url)  # ValueError in one line, the password hidden
        if self.max_rows < 1 or self.queue < 1:
            raise ValueError(f"the store must keep at least 1 row and queue at least 1 write, not max_rows="
                             f"{self.max_rows}, queue={self.queue}")
        if self.max_age is not None and not 0 < self.max_age < math.inf:
            raise ValueError(f"the store's maximum age must be a positive number of seconds, not {self.max_age}")


@dataclass(frozen=True)
class QualitySettings:
    """How live quality is computed from the feedback (see quality.py)."""

    window: int = 500
    max_age: float | None = None
    degraded: float = 0.05
    alert: float = 0.15
    min_count: int = 30

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError(f"the quality window must hold at least 1 prediction, not {self.window}")
        if self.max_age is not None and not 0 < self.max_age < math.inf:
            raise ValueError(f"the quality window's maximum age must be a positive number of seconds, "
                             f"not {self.max_age}")
        if not 0 < self.degraded < self.alert:
            raise ValueError(f"the quality thresholds must be 0 < degraded < alert, not degraded={self.degraded}, "
                             f"alert={self.alert}")
        if not 1 <= self.min_count <= self.window:
            raise ValueError(f"the quality minimum count must be from 1 to the window ({self.window}), "
                             f"not {self.min_count}")


@dataclass(frozen=True)
class Settings:
    """The service's settings; `Settings.from_env(prefix)` reads them from the environment."""

    prefix: str = "SERVICE"
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    drift: DriftSettings = field(default_factory=DriftSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    quality: QualitySettings = field(default_factory=QualitySettings)

    def __post_init__(self) -> None:
        for name in ("max_batch_size", "max_body_bytes", "max_json_depth"):
            if getattr(self, name) < 1:
                raise ValueError(f"{self.variable(name.upper())}={getattr(self, name)!r} must be at least 1")
        for name in ("header_timeout", "body_timeout"):
            if not 0 < getattr(self, name) < math.inf:
                raise ValueError(f"{self.variable(name.upper())}={getattr(self, name)!r} "
                                 "is not a positive number of seconds")

    def variable(self, name: str) -> str:
        """The environment variable of the setting `name` (`DRIFT_WINDOW` -> `IRIS_SERVICE_DRIFT_WINDOW`)."""
        return f"{self.prefix}_{name}"

    @classmethod
    def from_env(
        cls, prefix: str, environ: Mapping[str, str] | None = None, *, max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
    ) -> Settings:
        """The settings from the `<prefix>_*` variables of `environ` (default: the process's environment);
        `max_batch_size` is the default of `<prefix>_MAX_BATCH_SIZE`. ValueError names a bad variable."""
        reader = _Reader(prefix, os.environ if environ is None else environ)
        defaults = DriftSettings()
        try:
            drift = DriftSettings(
                enabled=reader.flag("DRIFT", defaults.enabled),
                window=reader.number("DRIFT_WINDOW", int, defaults.window),
                warn=reader.number("DRIFT_WARN", float, defaults.warn),
                alert=reader.number("DRIFT_ALERT", float, defaults.alert),
                min_samples=reader.number("DRIFT_MIN_SAMPLES", int, defaults.min_samples),
                check_every=reader.number("DRIFT_CHECK_EVERY", int, defaults.check_every),
                check_seconds=reader.number("DRIFT_CHECK_SECONDS", float, defaults.check_seconds),
                strict=reader.flag("STRICT", defaults.strict),
            )
        except ValueError as exc:
            raise ValueError(f"{exc} (environment variables {prefix}_DRIFT_* and {prefix}_STRICT)") from None
        store_defaults, quality_defaults = StoreSettings(), QualitySettings()
        url = reader.text("STORE_URL", strip=True)
        try:
            parse_store_url(url)
        except ValueError as exc:
            raise ValueError(f"{prefix}_STORE_URL: {exc}") from None
        try:
            store = StoreSettings(
                url=url,
                inputs=reader.flag("STORE_INPUTS", store_defaults.inputs),
                max_rows=reader.number("STORE_MAX_ROWS", int, store_defaults.max_rows),
                max_age=reader.optional_seconds("STORE_MAX_AGE", store_defaults.max_age),
                queue=reader.number("STORE_QUEUE", int, store_defaults.queue),
            )
        except ValueError as exc:
            raise ValueError(f"{exc} (environment variables {prefix}_STORE_*)") from None
        try:
            quality = QualitySettings(
                window=reader.number("QUALITY_WINDOW", int, quality_defaults.window),
                max_age=reader.optional_seconds("QUALITY_MAX_AGE", quality_defaults.max_age),
                degraded=reader.number("QUALITY_DEGRADED", float, quality_defaults.degraded),
                alert=reader.number("QUALITY_ALERT", float, quality_defaults.alert),
                min_count=reader.number("QUALITY_MIN_COUNT", int, quality_defaults.min_count),
            )
        except ValueError as exc:
            raise ValueError(f"{exc} (environment variables {prefix}_QUALITY_*)") from None
        return cls(
            prefix=prefix,
            max_batch_size=reader.number("MAX_BATCH_SIZE", int, max_batch_size),
            max_body_bytes=reader.number("MAX_BODY_BYTES", int, DEFAULT_MAX_BODY_BYTES),
            max_json_depth=reader.number("MAX_JSON_DEPTH", int, DEFAULT_MAX_JSON_DEPTH),
            header_timeout=reader.seconds("HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT),
            body_timeout=reader.seconds("BODY_TIMEOUT", DEFAULT_BODY_TIMEOUT),
            drift=drift,
            store=store,
            quality=quality,
        )


class _Reader:
    """Typed values of the `<prefix>_*` variables of one environment."""

    def __init__(self, prefix: str, environ: Mapping[str, str]) -> None:
        self.prefix = prefix
        self.environ = environ

    def text(self, name: str, strip: bool = False) -> str | None:
        text = self.environ.get(f"{self.prefix}_{name}")
        if text is None or not text.strip():
            return None
        return text.strip() if strip else text

    def number(self, name: str, kind: type[Number], default: Number) -> Number:
        text = self.text(name)
        if text is None:
            return default
        try:
            value = kind(text.strip())
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise ValueError(f"{self.prefix}_{name}={text!r} is not {what}") from None
        if not math.isfinite(value):
            raise ValueError(f"{self.prefix}_{name}={text!r} is not a finite number")
        return value

    def seconds(self, name: str, default: float) -> float:
        text = self.text(name)
        text = text.strip() if text is not None else None
        try:
            value = float(text) if text is not None else default
        except ValueError:
            value = math.nan
        if not 0 < value < math.inf:
            raise ValueError(f"{self.prefix}_{name}={text!r} is not a positive number of seconds")
        return value

    def optional_seconds(self, name: str, default: float | None) -> float | None:
        """A positive number of seconds, or None for `none` (no limit)."""
        text = self.text(name)
        if text is None:
            return default
        if text.strip().lower() == "none":
            return None
        return self.seconds(name, math.nan)  # the variable is set: the default is not used

    def flag(self, name: str, default: bool) -> bool:
        text = self.text(name)
        if text is None:
            return default
        value = text.strip().lower()
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{self.prefix}_{name}={text!r} is neither 1/true/yes/on nor 0/false/no/off")
