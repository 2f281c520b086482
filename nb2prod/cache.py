"""The lint cache: an unchanged notebook in an unchanged project is not linted again.

Like ruff's ``.ruff_cache``, results are kept in ``.nb2prod_cache/`` at the project root
(the nearest folder above the working directory with a ``pyproject.toml`` or ``.git``,
else the working directory; ``NB2PROD_CACHE_DIR`` sets another place, ``--no-cache``
turns it off). An entry is keyed by the notebook's bytes, the path it was given as, the
command-line selection, nb2prod's version and the Python environment (the interpreter,
and the modification times of its ``sys.path`` folders, which change when a package is
installed or removed).

A finding can depend on more than the notebook: its folder's ``requirements.txt``, the
project's modules, a data file a path points at, ``pyproject.toml``. Rather than trust a
list of such files, the lint of each notebook is traced: every file and folder the rules
look at (``os.stat``, ``open``, ``scandir``...) is recorded with what was seen, the file's
type, size and modification time, a folder's entries, a link's target. An entry is used
only if all of those are still the same, so a new or edited dependency file, a module
added to the project, or a data file that appears invalidates exactly the notebooks that
looked at it. Files of the Python installation are covered by the environment key
instead. Cache files are JSON (never pickle: a cache folder that came with a cloned
repository must not be able to run code), written atomically; an unreadable or foreign
entry is a miss, never an error.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nb2prod import __version__

if TYPE_CHECKING:
    from nb2prod.config import Overrides
    from nb2prod.engine import NotebookResult

__all__ = ["Cache", "cache_dir_for", "CACHE_DIR_NAME"]

CACHE_DIR_NAME = ".nb2prod_cache"
_FORMAT = 1  # of the entries; part of every key

Observation = Any  # JSON: None (missing), or a list describing what was there

# The real functions, for looking while the tracer has replaced them.
_stat, _lstat, _scandir, _readlink = os.stat, os.lstat, os.scandir, os.readlink


# -- what the rules saw -------------------------------------------------------------------------


def _file_sig(st: os.stat_result) -> list[Any]:
    return ["f", stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns]


def _dir_sig(path: str) -> list[Any]:
    """A folder as the rules can see it: its entries' names and kinds (a folder whose
    modification time changed because a temporary file came and went is the same)."""
    digest = hashlib.sha1()
    try:
        with _scandir(path) as it:
            entries = sorted((e.name, e.is_dir(), e.is_symlink()) for e in it)
    except OSError as exc:
        return ["d-error", exc.errno]
    for name, is_dir, is_link in entries:
        if name == CACHE_DIR_NAME:
            continue  # the cache itself, created in the project root after the first lint
        digest.update(f"{name}\0{int(is_dir)}{int(is_link)}\0".encode("utf-8", "surrogateescape"))
    return ["d", digest.hexdigest()]


def observe(kind: str, path: str) -> Observation:
    """What is at ``path`` now: ``kind`` ``s`` (stat, following links), ``l`` (lstat),
    ``d`` (a folder's entries)."""
    try:
        if kind == "l":
            st = _lstat(path)
            if stat.S_ISLNK(st.st_mode):
                return ["l", _readlink(path)]
            return ["t", stat.S_IFMT(st.st_mode)]
        if kind == "d":
            return _dir_sig(path)
        st = _stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return ["not-dir"]
    except (OSError, ValueError) as exc:
        return ["error", getattr(exc, "errno", None)]
    if stat.S_ISDIR(st.st_mode):
        return _dir_sig(path)
    return _file_sig(st)


def _installation_roots() -> tuple[str, ...]:
    """Folders of the Python installation and of nb2prod itself (keyed by the environment
    and the version, so not traced)."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.abspath(__file__))}
    return tuple(sorted(os.path.join(os.path.abspath(r), "") for r in roots if r))


class _Tracer:
    """Records the files and folders looked at while active. Installed by patching the
    ``os``/``io``/``builtins`` functions everything in Python reaches the disk through;
    the linter is single-threaded, and the patches are removed on exit."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], Observation] = {}
        self._skip = _installation_roots()

    def record(self, kind: str, target: Any) -> None:
        if isinstance(target, int) or target is None:
            if target is None and kind == "d":
                target = "."
            else:
                return  # a descriptor: its path was recorded when it was opened
        try:
            path = os.path.abspath(os.fsdecode(target))
        except (TypeError, ValueError):
            return
        if path.startswith(self._skip):
            return
        key = (kind, path)
        if key not in self.seen:  # looked at when the lint looks (never from an earlier lint)
            self.seen[key] = observe(kind, path)

    def start(self) -> None:
        self.seen = {}

    @contextmanager
    def installed(self) -> Iterator[None]:
        saved = {(os, "stat"): os.stat, (os, "lstat"): os.lstat, (os, "scandir"): os.scandir,
                 (os, "listdir"): os.listdir, (os, "open"): os.open, (io, "open"): io.open,
                 (builtins, "open"): builtins.open}
        orig_stat, orig_lstat, orig_scandir, orig_listdir = os.stat, os.lstat, os.scandir, os.listdir
        orig_os_open, orig_open = os.open, io.open

        def traced_stat(path: Any, *args: Any, **kwargs: Any) -> Any:
            self.record("s", path)
            return orig_stat(path, *args, **kwargs)

        def traced_lstat(path: Any, *args: Any, **kwargs: Any) -> Any:
            self.record("l", path)
            return orig_lstat(path, *args, **kwargs)

        def traced_scandir(path: Any = None) -> Any:
            self.record("d", path)
            return orig_scandir(path) if path is not None else orig_scandir()

        def traced_listdir(path: Any = None) -> Any:
            self.record("d", path)
            return orig_listdir(path) if path is not None else orig_listdir()

        def traced_os_open(path: Any, *args: Any, **kwargs: Any) -> Any:
            self.record("s", path)
            return orig_os_open(path, *args, **kwargs)

        def traced_open(file: Any, *args: Any, **kwargs: Any) -> Any:
            self.record("s", file)
            return orig_open(file, *args, **kwargs)

        patches: dict[tuple[Any, str], Callable[..., Any]] = {
            (os, "stat"): traced_stat, (os, "lstat"): traced_lstat, (os, "scandir"): traced_scandir,
            (os, "listdir"): traced_listdir, (os, "open"): traced_os_open, (io, "open"): traced_open,
            (builtins, "open"): traced_open,
        }
        for (module, name), patch in patches.items():
            setattr(module, name, patch)
        try:
            yield
        finally:
            for (module, name), original in saved.items():
                setattr(module, name, original)


# -- results as JSON ----------------------------------------------------------------------------


def _encode(result: NotebookResult) -> dict[str, Any]:
    return {
        "path": result.path,
        "cells": result.cells,
        "notices": result.notices,
        "fail_on": result.fail_on.label,
        "file_lines": [[cell, start, per_line] for cell, (start, per_line) in result.file_lines.items()],
        "findings": [_encode_finding(f) for f in result.findings],
    }


def _encode_finding(f: Any) -> dict[str, Any]:
    d = {name: getattr(f, name) for name in _FINDING_FIELDS}
    d["severity"] = f.severity.label
    d["redact"] = [list(span) for span in f.redact]
    d["fix"] = None if f.fix is None else _encode_fix(f.fix)
    return d


_FINDING_FIELDS = ("code", "message", "cell", "line", "column", "end_line", "end_column", "cell_id", "output",
                   "source_line", "name")


def _encode_fix(fix: Any) -> dict[str, Any]:
    from nb2prod.fixes.model import ClearOutputs, DeleteCell, Requirement, SetMetadata, SourceEdit

    edits: list[list[Any]] = []
    for e in fix.edits:
        if isinstance(e, SourceEdit):
            edits.append(["source", e.cell, e.cell_id, e.start, e.end, e.text])
        elif isinstance(e, DeleteCell):
            edits.append(["delete_cell", e.cell, e.cell_id])
        elif isinstance(e, SetMetadata):
            edits.append(["metadata", e.key, e.value])
        elif isinstance(e, ClearOutputs):
            edits.append(["clear_outputs", e.cell, e.cell_id, e.output])
        elif isinstance(e, Requirement):
            edits.append(["requirement", e.file, e.package, e.version])
        else:  # pragma: no cover - a new edit type must be added here (the round-trip test fails)
            raise TypeError(f"cannot cache a {type(e).__name__} edit")
    return {"message": fix.message, "applicability": fix.applicability.value, "edits": edits}


def _decode(d: dict[str, Any]) -> NotebookResult:
    from nb2prod.diagnostics import Finding, Severity
    from nb2prod.engine import NotebookResult
    from nb2prod.score import score

    findings = []
    for fd in d["findings"]:
        kwargs = {name: fd[name] for name in _FINDING_FIELDS}
        findings.append(Finding(**kwargs, severity=Severity.parse(fd["severity"]),
                                redact=tuple(tuple(span) for span in fd["redact"]),
                                fix=None if fd["fix"] is None else _decode_fix(fd["fix"])))
    return NotebookResult(
        path=d["path"], findings=findings, score=score(findings), notices=list(d["notices"]), cells=d["cells"],
        file_lines={cell: (start, per_line) for cell, start, per_line in d["file_lines"]},
        fail_on=Severity.parse(d["fail_on"]),
    )


def _decode_fix(d: dict[str, Any]) -> Any:
    from nb2prod.fixes.model import (
        Applicability,
        ClearOutputs,
        DeleteCell,
        Fix,
        Requirement,
        SourceEdit,
        set_metadata,
    )

    edits: list[Any] = []
    for kind, *args in d["edits"]:
        if kind == "source":
            edits.append(SourceEdit(*args))
        elif kind == "delete_cell":
            edits.append(DeleteCell(*args))
        elif kind == "metadata":
            edits.append(set_metadata(*args))
        elif kind == "clear_outputs":
            edits.append(ClearOutputs(*args))
        elif kind == "requirement":
            edits.append(Requirement(*args))
        else:
            raise ValueError(f"unknown edit {kind!r}")
    return Fix(d["message"], tuple(edits), Applicability(d["applicability"]))


# -- the cache ----------------------------------------------------------------------------------


def _project_root(start: Path) -> Path:
    for d in (start, *start.parents):
        if (d / "pyproject.toml").is_file() or (d / ".git").exists():
            return d
    return start


def cache_dir_for(cwd: Path | None = None) -> Path:
    """``$NB2PROD_CACHE_DIR``, else ``.nb2prod_cache`` at the project root of ``cwd``."""
    env = os.environ.get("NB2PROD_CACHE_DIR")
    if env:
        return Path(env)
    return _project_root((cwd or Path.cwd()).absolute()) / CACHE_DIR_NAME


def _environment_key() -> str:
    """The interpreter and the modification times of its installation's ``sys.path``
    folders: a package installed, upgraded or removed changes one of them (the rules read
    what is installed). Other ``sys.path`` entries (the working directory, a project on
    ``PYTHONPATH``) are not part of the key: what the rules read there is traced."""
    roots = _installation_roots()
    parts = [sys.version, sys.executable, __version__, str(_FORMAT)]
    for entry in sys.path:
        folder = os.path.join(os.path.abspath(entry or "."), "")
        if not folder.startswith(roots) and "-packages" not in folder:
            continue
        try:
            parts.append(f"{entry}\0{_stat(entry).st_mtime_ns}")
        except OSError:
            parts.append(f"{entry}\0-")
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


@dataclass
class Cache:
    """Lint results on disk under ``directory`` (picklable: ``--jobs`` workers write too)."""

    directory: Path
    salt: str = field(default_factory=_environment_key)
    hits: int = 0
    misses: int = 0

    def key(self, path: Path, content: bytes, overrides: Overrides, config: Path | None) -> str:
        h = hashlib.sha256()
        for part in (self.salt, str(path), os.path.abspath(path), repr(overrides), str(config or "")):
            h.update(part.encode("utf-8", "surrogateescape") + b"\0")
        h.update(content)
        return h.hexdigest()

    def _file(self, key: str) -> Path:
        return self.directory / __version__ / key[:2] / f"{key}.json"

    def load(self, key: str, seen_now: dict[tuple[str, str], Any] | None = None) -> NotebookResult | None:
        """The stored result, if everything it depended on is as it was. ``seen_now``: what
        each (kind, path) looks like, filled as checked and shared by the loads of one run
        (the notebooks of a project depend on the same folders and files)."""
        try:
            with builtins.open(self._file(key), encoding="utf-8") as fh:
                entry = json.load(fh)
            if entry.get("key") != key:
                return None
            memo = {} if seen_now is None else seen_now
            for kind, path, seen in entry["deps"]:
                now = memo.get((kind, path), _MISSING)
                if now is _MISSING:
                    now = memo[(kind, path)] = observe(kind, path)
                if now != seen:
                    return None
            return _decode(entry["result"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # no entry, or one this version cannot read: lint again

    def store(self, key: str, result: NotebookResult, deps: dict[tuple[str, str], Observation]) -> None:
        if result.error or result.internal_errors or result.execution is not None:
            return  # only complete static results are kept
        entry = {"key": key, "deps": [[kind, path, seen] for (kind, path), seen in deps.items()],
                 "result": _encode(result)}
        target = self._file(key)
        try:
            self._prepare(target.parent)
            import tempfile  # only here: not imported by every lint
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(entry, fh, ensure_ascii=False, separators=(",", ":"))
                os.replace(tmp, target)
            except BaseException:
                os.unlink(tmp)
                raise
        except (OSError, ValueError, TypeError):
            pass  # a cache that cannot be written is no cache, not an error

    def _prepare(self, folder: Path) -> None:
        if folder.is_dir():
            return
        new = not self.directory.exists()
        folder.mkdir(parents=True, exist_ok=True)
        if new:
            # Like ruff's cache: ignored by git, and tagged so backup tools skip it.
            (self.directory / ".gitignore").write_text("# Automatically created by nb2prod.\n*\n", encoding="utf-8")
            (self.directory / "CACHEDIR.TAG").write_text(
                "Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by nb2prod.\n", encoding="utf-8")

    @staticmethod
    def read_bytes(path: Path) -> bytes | None:
        """The notebook's bytes for its key; None (lint it, which reports why) when unreadable."""
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode):
                return None
            with builtins.open(path, "rb") as fh:
                return fh.read()
        except (OSError, ValueError):
            return None

    def lint_file(self, lint: Callable[[], NotebookResult], key: str) -> NotebookResult:
        """Run ``lint`` traced, and store its result under ``key``."""
        tracer = _TRACER
        tracer.start()
        with tracer.installed():
            result = lint()
        self.store(key, result, tracer.seen)
        return result


_MISSING = object()
_TRACER = _Tracer()
