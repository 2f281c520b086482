"""Configuration: ``[tool.nb2prod]`` of the nearest ``pyproject.toml``, plus CLI flags.

```toml
[tool.nb2prod]
select = ["ALL"]                    # what runs (default: every rule)
extend-select = []                  # added to select
ignore = ["NB705"]                  # what does not run
per-file-ignores = { "scratch/*.ipynb" = ["NB3", "NB7"] }
severity = { NB202 = "error", NB7 = "info" }   # overrides, longest prefix wins
fail-on = "error"                   # exit 1 at or above this severity
exclude = ["archive/"]              # gitignore-style patterns skipped when walking
max-output-bytes = 1000000          # NB704
max-notebook-bytes = 100000000      # larger notebook files are not read (0: no limit)
```

Each notebook uses the nearest ``pyproject.toml`` that has a ``[tool.nb2prod]`` table,
searching from the notebook's folder upwards; without one, the defaults apply.
"""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from nb2prod.diagnostics import Severity
from nb2prod.selection import SelectorError, expand, lookup, resolve

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["ConfigError", "Settings", "Overrides", "OPTIONS", "settings_for", "load_settings"]


class ConfigError(Exception):
    """Bad configuration. ``str()`` is one line naming the file."""


# Rule options: key -> (type, default, help).
OPTIONS: dict[str, tuple[type, Any, str]] = {
    "max-output-bytes": (int, 1_000_000, "NB704: a cell's outputs larger than this are reported"),
    "max-cell-output-lines": (int, 500, "NB704: text outputs longer than this many lines are reported"),
    "max-cell-lines": (int, 100, "NB715: code cells with more lines of code than this are reported"),
    "known-first-party": (list, [], "NB2xx: top-level modules of your own project (never reported as undeclared)"),
    "allowed-magics": (list, [], "NB504/NB505: magics (and \"!\" for shell commands) that are not reported"),
    "max-notebook-bytes": (int, 100_000_000, "notebook files larger than this are not read: an error naming the "
                           "file (0: no limit)"),
}

_LIST_KEYS = ("select", "extend-select", "ignore", "extend-ignore", "exclude", "extend-exclude")
_KNOWN = set(_LIST_KEYS) | {"per-file-ignores", "severity", "fail-on"} | set(OPTIONS)


@dataclass(frozen=True)
class Overrides:
    """Command-line flags that take precedence over the file."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None


@dataclass
class Settings:
    config_file: Path | None = None
    select: list[str] = field(default_factory=lambda: [""])  # expanded prefixes; "" is ALL
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: list[tuple[str, list[str]]] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    fail_on: Severity = Severity.ERROR
    exclude: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=lambda: {k: v[1] for k, v in OPTIONS.items()})

    @property
    def root(self) -> Path | None:
        return self.config_file.parent if self.config_file else None

    def enabled(self, path: Path | None) -> frozenset[str]:
        """Codes that run for the notebook at ``path``."""
        from nb2prod.rule_index import RULE_NAMES

        base = _resolved(tuple(RULE_NAMES), tuple(self.select), tuple(self.ignore))
        if path is None or not self.per_file_ignores:
            return base
        rel = self._relative(path)
        drop: list[str] = []
        for pattern, prefixes in self.per_file_ignores:
            if _matches(pattern, rel):
                drop.extend(prefixes)
        if not drop:
            return base
        return frozenset(c for c in base if not any(c.startswith(p) for p in drop))

    def severity_of(self, code: str, default: Severity) -> Severity:
        override = lookup(code, self.severity)
        return override if override is not None else default

    def _relative(self, path: Path) -> str:
        p = path.resolve()
        root = self.root.resolve() if self.root else Path.cwd().resolve()
        try:
            return p.relative_to(root).as_posix()
        except ValueError:
            return p.as_posix()


@lru_cache(maxsize=256)
def _resolved(codes: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...]) -> frozenset[str]:
    return resolve(codes, select, ignore)


def _matches(pattern: str, rel: str) -> bool:
    pattern = pattern.rstrip("/")
    while pattern.startswith("./"):
        pattern = pattern[2:]
    if fnmatch.fnmatch(rel, pattern):
        return True
    if "/" not in pattern and fnmatch.fnmatch(rel.rsplit("/", 1)[-1], pattern):
        return True
    # A directory pattern covers everything below it.
    return rel.startswith(pattern + "/") or fnmatch.fnmatch(rel, pattern + "/*")


def _rule_names() -> dict[str, str]:
    from nb2prod.rule_index import RULE_NAMES

    return RULE_NAMES


def _expand_all(values: Sequence[str], where: str) -> list[str]:
    names = _rule_names()
    out: list[str] = []
    for v in values:
        try:
            out.append(expand(v, names))
        except SelectorError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    return out


def _str_list(table: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings")
    return value


def settings_from_table(table: Mapping[str, Any], config_file: Path | None, overrides: Overrides) -> Settings:
    where = str(config_file) if config_file else "command line"
    unknown = sorted(set(table) - _KNOWN)
    if unknown:
        raise ConfigError(f"{where}: unknown [tool.nb2prod] key {unknown[0]!r}")
    s = Settings(config_file=config_file)
    select = _str_list(table, "select", where) if "select" in table else ["ALL"]
    if overrides.select is not None:
        select = list(overrides.select)
    select = select + _str_list(table, "extend-select", where) + list(overrides.extend_select)
    ignore = _str_list(table, "ignore", where) + _str_list(table, "extend-ignore", where) + list(overrides.ignore)
    s.select = _expand_all(select, where)
    s.ignore = _expand_all(ignore, where)
    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise ConfigError(f"{where}: 'per-file-ignores' must be a table of pattern = [codes]")
    for pattern, codes in pfi.items():
        codes = [codes] if isinstance(codes, str) else codes
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"{where}: per-file-ignores[{pattern!r}] must be a list of codes")
        s.per_file_ignores.append((pattern, _expand_all(codes, where)))
    sev = table.get("severity", {})
    if not isinstance(sev, dict):
        raise ConfigError(f"{where}: 'severity' must be a table of selector = \"error|warning|info\"")
    for selector, level in sev.items():
        try:
            s.severity[_expand_all([selector], where)[0]] = Severity.parse(str(level))
        except ValueError as exc:
            raise ConfigError(f"{where}: severity[{selector!r}]: {exc}") from None
    fail_on = overrides.fail_on or table.get("fail-on", "error")
    try:
        s.fail_on = Severity.parse(str(fail_on))
    except ValueError as exc:
        raise ConfigError(f"{where}: fail-on: {exc}") from None
    s.exclude = _str_list(table, "exclude", where) + _str_list(table, "extend-exclude", where)
    for key, (typ, _default, _help) in OPTIONS.items():
        if key in table:
            value = table[key]
            if typ is int and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ConfigError(f"{where}: '{key}' must be a non-negative integer")
            if typ is list and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
                raise ConfigError(f"{where}: '{key}' must be a list of strings")
            s.options[key] = value
    return s


def _config_file_for(directory: Path) -> Path | None:
    # Not cached: a long-running server must see a pyproject.toml created later.
    # The walk is a handful of stat calls; parsed files are cached by mtime below.
    for d in (directory, *directory.parents):
        candidate = d / "pyproject.toml"
        if candidate.is_file() and _has_table(candidate):
            return candidate
    return None


def _read_pyproject(path: Path) -> dict[str, Any]:
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return _read_pyproject_cached(path, mtime)


@lru_cache(maxsize=256)
def _read_pyproject_cached(path: Path, mtime_ns: int) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return data


def _has_table(path: Path) -> bool:
    try:
        data = _read_pyproject(path)
    except ConfigError:
        return True  # report the broken file rather than silently skipping it
    tool = data.get("tool")
    return isinstance(tool, dict) and "nb2prod" in tool


def load_settings(config_file: Path | None, overrides: Overrides = Overrides()) -> Settings:
    mtime = None
    if config_file is not None:
        try:
            mtime = config_file.stat().st_mtime_ns
        except OSError as exc:
            raise ConfigError(f"{config_file}: cannot read: {exc.strerror or exc}") from None
    return _load(config_file, mtime, overrides)


@lru_cache(maxsize=256)
def _load(config_file: Path | None, mtime_ns: int | None, overrides: Overrides) -> Settings:
    table: Mapping[str, Any] = {}
    if config_file is not None:
        data = _read_pyproject_cached(config_file, mtime_ns)
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{config_file}: [tool] must be a table")
        raw = tool.get("nb2prod", {})
        if not isinstance(raw, dict):
            raise ConfigError(f"{config_file}: [tool.nb2prod] must be a table")
        table = raw
    return settings_from_table(table, config_file, overrides)


def settings_for(path: Path | None, overrides: Overrides = Overrides(), config: Path | None = None) -> Settings:
    """Settings for a notebook: ``config`` if given, else the nearest pyproject.toml."""
    if config is not None:
        return load_settings(config.resolve(), overrides)
    directory = (path.parent if path is not None else Path.cwd()).resolve()
    return load_settings(_config_file_for(directory), overrides)
