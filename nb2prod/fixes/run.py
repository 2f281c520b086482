"""Lint, fix, lint again: what ``nb2prod lint --fix`` and the panel's "Fix all" run.

Each pass lints the notebook as it now is, takes the fixes that do not conflict
(:func:`nb2prod.fixes.apply.choose`) and applies them; the next pass sees the result, so
a fix that had to wait for another is taken then. Dependency files are edited in memory
and shown to the linter through :func:`nb2prod.deps.overlay`, so the file is only
written (or, with ``--diff``, not at all) once the notebook is done.

A finding whose fix was applied and that comes back is not fixed twice: the loop ends
when a pass changes nothing, and after :data:`MAX_PASSES` at most.
"""

from __future__ import annotations

import json
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nb2prod.config import ConfigError, Overrides, Settings, settings_for
from nb2prod.engine import NotebookResult, lint_notebook
from nb2prod.fixes.apply import FixConflict, apply_to_data, choose
from nb2prod.fixes.model import Fix
from nb2prod.notebook import NotebookError, notebook_from_dict, read_regular_file

__all__ = ["FixOutcome", "fix_notebook_data", "fix_file", "fix_paths", "MAX_PASSES", "MAX_ROUNDS"]

MAX_PASSES = 10
# Rounds over many notebooks: a dependency file one notebook's fix writes is read by the
# others (a requirements.txt created for a.ipynb declares what b.ipynb lacks, or now lets
# b.ipynb's NB201 fix add to it), so notebooks are fixed again until no file changes.
MAX_ROUNDS = 3


@dataclass
class FixOutcome:
    """What fixing one notebook did (or, with ``write=False``, would do)."""

    path: str
    result: NotebookResult  # the lint of the fixed notebook: what remains
    fixed: Counter[str] = field(default_factory=Counter)  # findings fixed, by code
    original: str | None = None  # the notebook's text before
    text: str | None = None  # its text after (None: unchanged)
    data_before: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    # Dependency files changed: path -> (text before or None when created, text after).
    files: dict[Path, tuple[str | None, str]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def changed(self) -> bool:
        return self.text is not None or bool(self.files)

    @property
    def fixed_total(self) -> int:
        return sum(self.fixed.values())


def _identity(finding: Any) -> tuple[Any, ...]:
    return (finding.code, finding.cell_id or finding.cell, finding.source_line, finding.message)


def _read_text(path: Path) -> str | None:
    """The file's text with its line endings as they are (None: it does not exist)."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None


def _overlay(files: dict[Path, str]) -> AbstractContextManager[Any]:
    """The dependency files as edited so far, seen by the linter instead of the disk."""
    if not files:
        return nullcontext()
    from nb2prod import deps

    return deps.overlay(files)


def fix_notebook_data(
    data: dict[str, Any],
    path: Path | None,
    settings: Settings | None = None,
    *,
    unsafe: bool = False,
    only: frozenset[str] | None = None,
) -> tuple[Counter[str], dict[Path, tuple[str | None, str]], NotebookResult]:
    """Fix ``data`` (a decoded v4 notebook) in place.

    Returns (findings fixed by code, dependency files changed as path -> (before, after),
    the lint of the result). ``only`` limits the fixes to findings of those codes (the
    panel's Fix button on one finding's rule)."""
    settings = settings or settings_for(path)
    fixed: Counter[str] = Counter()
    files: dict[Path, str] = {}
    before: dict[Path, str | None] = {}
    done: set[tuple[Any, ...]] = set()
    result: NotebookResult | None = None
    for _ in range(MAX_PASSES):
        with _overlay(files):
            result = lint_notebook(notebook_from_dict(data, path=path), settings)
        candidates: list[tuple[Any, Fix]] = [
            (f, f.fix) for f in result.findings
            if f.fix is not None and (unsafe or f.fix.safe) and (only is None or f.code in only)
            and _identity(f) not in done
        ]
        if not candidates:
            break
        plan = choose(candidates)
        snapshot = json.dumps(data, sort_keys=True)
        apply_to_data(data, plan.edits)
        by_file: dict[Path, list[tuple[str, str]]] = {}
        for req in plan.requirements:
            by_file.setdefault(Path(req.file), []).append((req.package, req.version))
        changed_files = False
        for file, reqs in by_file.items():
            from nb2prod.fixes.depfiles import DepFileError, edit_requirements

            if file not in before:
                before[file] = _read_text(file)
            current = files.get(file, before[file])
            try:
                new = edit_requirements(file, current, reqs)
            except (DepFileError, UnicodeDecodeError) as exc:  # changed on disk since the lint
                raise FixConflict(f"{file}: {exc}") from None
            if new != current:
                files[file] = new
                changed_files = True
        done.update(_identity(f) for f, _ in plan.fixes)
        if json.dumps(data, sort_keys=True) == snapshot and not changed_files:
            break
        fixed.update(f.code for f, _ in plan.fixes)
        result = None
    if result is None:
        with _overlay(files):
            result = lint_notebook(notebook_from_dict(data, path=path), settings)
    changed = {p: (before[p], t) for p, t in files.items() if t != before[p]}
    return fixed, changed, result


def fix_file(
    path: str | Path,
    overrides: Overrides = Overrides(),
    config: Path | None = None,
    *,
    unsafe: bool = False,
    write: bool = True,
) -> FixOutcome:
    """Fix one notebook file (and its dependency file). With ``write=False`` nothing is
    written: the outcome holds the texts before and after (``--diff``)."""
    from nb2prod.engine import lint_file
    from nb2prod.nbwrite import LayoutError, detect_layout, dumps, write_atomic

    display = str(path)
    path = Path(path)

    def unfixed(reason: str) -> FixOutcome:
        result = lint_file(path, overrides, config)
        if not result.error:
            result.notices.append(f"not fixed: {reason}")
        return FixOutcome(display, result)

    try:
        settings = settings_for(path, overrides, config)
    except ConfigError as exc:
        return FixOutcome(display, NotebookResult(path=display, error=str(exc)))
    try:
        raw = read_regular_file(path, settings.options["max-notebook-bytes"])
    except NotebookError:
        return unfixed("unreadable")  # lint_file reports why
    try:
        text = raw.decode("utf-8")
        data = json.loads(text[1:] if text.startswith("\ufeff") else text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return unfixed("not UTF-8 JSON")
    if not isinstance(data, dict) or data.get("nbformat") != 4:
        return unfixed("fixes edit nbformat 4 notebooks only (open and save it in Jupyter to upgrade it)")
    try:
        layout = detect_layout(text, data)
    except LayoutError as exc:
        return unfixed(str(exc))
    data_before = json.loads(text.lstrip("\ufeff"))  # kept as it was, for --diff
    try:
        before_model = notebook_from_dict(data_before, path=path)
    except NotebookError:
        return unfixed("not a notebook")
    try:
        fixed, files, result = fix_notebook_data(data, path, settings, unsafe=unsafe)
    except FixConflict as exc:  # a bug of a rule's fix; the file is left alone
        out = unfixed(f"a fix did not apply ({exc})")
        out.result.internal_errors.append(f"fix failed: {exc}")
        return out
    result.path = display
    new_text = dumps(data, layout)
    body = new_text.lstrip("\ufeff")
    after_model = notebook_from_dict(json.loads(body), path=path, raw_text=body)
    # SARIF and GitHub annotations point at lines of the file as it is now written.
    result.file_lines = dict(after_model.source_line_map or {})
    if before_model.schema_error is None:
        after_error = after_model.schema_error
        if after_error is not None:
            out = unfixed(f"the fixed notebook would not be valid nbformat ({after_error})")
            out.result.internal_errors.append(f"fix produced an invalid notebook: {after_error}")
            return out
    outcome = FixOutcome(
        display, result, fixed, original=text, text=new_text if new_text != text else None,
        data_before=data_before, data=data, files=files,
    )
    if write and outcome.changed:
        for file, (_, new) in files.items():
            write_atomic(file, new)
        if outcome.text is not None:
            write_atomic(path, outcome.text)
        outcome.written = True
    return outcome


def _merged(first: FixOutcome, later: FixOutcome) -> FixOutcome:
    """One notebook's outcome over two rounds: fixed counts added, texts from first to last."""
    files = dict(first.files)
    for path, (before, after) in later.files.items():
        files[path] = (files[path][0] if path in files else before, after)
    text = later.text if later.text is not None else first.text
    return FixOutcome(
        first.path, later.result, first.fixed + later.fixed, original=first.original or later.original,
        text=text, data_before=first.data_before or later.data_before, data=later.data or first.data,
        files={p: ba for p, ba in files.items() if ba[0] != ba[1]}, written=first.written or later.written,
    )


def fix_paths(
    paths: list[Path],
    overrides: Overrides = Overrides(),
    config: Path | None = None,
    *,
    unsafe: bool = False,
    write: bool = True,
) -> list[FixOutcome]:
    """Fix many notebooks, each once per round (a notebook named twice, or through a
    symlink, is fixed once), in rounds while a round wrote a dependency file that the
    other notebooks read (at most :data:`MAX_ROUNDS`): `--fix` twice equals once for a
    folder too. Without ``write`` (``--diff``) there is one round: nothing is written."""
    import os

    order: list[str] = []
    by_real: dict[str, FixOutcome] = {}
    first_path: dict[str, Path] = {}
    for p in paths:
        real = os.path.realpath(p)
        if real not in first_path:
            first_path[real] = p
            order.append(real)
    for _ in range(MAX_ROUNDS if write else 1):
        wrote_files = False
        for real in order:
            try:
                outcome = fix_file(first_path[real], overrides, config, unsafe=unsafe, write=write)
            except OSError as exc:  # a read-only file or folder: that notebook's error
                name = exc.filename or first_path[real]
                error = f"cannot write {name}: {exc.strerror or exc}"
                outcome = FixOutcome(str(first_path[real]), NotebookResult(path=str(first_path[real]), error=error))
            wrote_files = wrote_files or bool(outcome.files and outcome.written)
            by_real[real] = _merged(by_real[real], outcome) if real in by_real else outcome
        if not wrote_files or len(order) < 2:
            break
    out: list[FixOutcome] = []
    for p in paths:
        o = by_real[os.path.realpath(p)]
        out.append(o if o.path == str(p) else FixOutcome(str(p), o.result))
    return out
