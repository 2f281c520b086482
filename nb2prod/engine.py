"""The lint engine: one notebook in, findings and a readiness score out.

Every front end (CLI, CI formats, the JupyterLab server extension, the widget, the
pytest plugin) calls :func:`lint_notebook` or :func:`lint_paths`; none re-implements it.
The engine never executes notebook code, unless asked to with ``execution=``
(``nb2prod lint --execute``): then :mod:`nb2prod.execcheck` runs the notebook in a fresh
kernel and its findings (NB307-NB310) join the others before suppression and scoring.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import re
import tokenize
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nb2prod import tags as tagmod
from nb2prod.analysis import Analysis
from nb2prod.config import ConfigError, Overrides, Settings, settings_for
from nb2prod.diagnostics import Finding, Severity
from nb2prod.execcheck import EXECUTION_RULES, REPRODUCE_RULES, ExecutionOptions
from nb2prod.masking import mask_spans, redact
from nb2prod.notebook import Cell, Notebook, NotebookError, notebook_from_dict, read_notebook
from nb2prod.rules import REGISTRY
from nb2prod.score import Score, score
from nb2prod.selection import SelectorError, expand, most_specific

__all__ = [
    "NotebookResult",
    "RunResult",
    "lint_notebook",
    "lint_file",
    "lint_dict",
    "lint_paths",
    "ExecutionOptions",
    "UNUSED_SUPPRESSION",
]

UNUSED_SUPPRESSION = "NB720"
# --jobs 0 with --execute: notebooks run at once (each has a kernel process of its own).
EXECUTE_JOBS = 4

_NOQA = re.compile(r"#\s*noqa(?::[\s]*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?", re.I)


@dataclass
class NotebookResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    score: Score | None = None
    error: str | None = None  # set when the file could not be read: no findings then
    notices: list[str] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    cells: int = 0
    # 1-based raw-file line of each cell's source start (for SARIF/GitHub); may be empty.
    file_lines: dict[int, tuple[int, bool]] = field(default_factory=dict)
    fail_on: Severity = Severity.ERROR
    # Set when the notebook was run (``--execute``): verdict ("ran", "failed", "timeout",
    # "no-kernel", "skipped"), failed_cell, message, seconds, cells, runs, summary.
    execution: dict[str, Any] | None = None

    def file_line(self, finding: Finding) -> int:
        if finding.cell is None or finding.cell not in self.file_lines:
            return 1
        start, per_line = self.file_lines[finding.cell]
        if finding.output is not None:
            return start
        return start + (finding.line - 1 if per_line else 0)

    def failing(self, fail_on: Severity | None = None) -> list[Finding]:
        level = fail_on or self.fail_on
        return [f for f in self.findings if f.severity >= level]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "error": self.error,
            "score": self.score.to_dict() if self.score else None,
            "notices": self.notices,
            "internal_errors": self.internal_errors,
            "findings": [f.to_dict() for f in self.findings],
            "execution": self.execution,
        }


@dataclass
class RunResult:
    notebooks: list[NotebookResult]

    @property
    def findings(self) -> list[Finding]:
        return [f for nb in self.notebooks for f in nb.findings]

    @property
    def score(self) -> int | None:
        """Overall readiness: the mean over the notebooks that could be read."""
        scores = [nb.score.total for nb in self.notebooks if nb.score is not None]
        return round(sum(scores) / len(scores)) if scores else None

    def exit_code(self, fail_on: Severity | None = None) -> int:
        """0 clean, 1 findings at or above ``fail_on``, 2 a file could not be read or
        checked completely (a rule failed: a bug of nb2prod's, reported as such)."""
        if any(nb.error or nb.internal_errors for nb in self.notebooks):
            return 2
        return 1 if any(nb.failing(fail_on) for nb in self.notebooks) else 0


# -- one notebook --------------------------------------------------------------------


def lint_notebook(
    nb: Notebook,
    settings: Settings | None = None,
    *,
    raise_errors: bool = False,
    execution: ExecutionOptions | None = None,
) -> NotebookResult:
    """Lint a notebook model. ``raise_errors`` re-raises rule crashes (tests use it).

    With ``execution``, the notebook is also run in a fresh kernel (twice with
    ``execution.reproduce``) when an execution rule (NB307-NB310) is selected, and
    ``result.execution`` holds the verdict."""
    settings = settings or Settings()
    result = NotebookResult(path=nb.display_path, cells=len(nb.cells), fail_on=settings.fail_on)
    mapping = nb.source_line_map
    if mapping:
        result.file_lines = dict(mapping)
    enabled = settings.enabled(nb.path)
    analysis = Analysis(nb, settings, enabled)
    if not nb.is_python:
        result.notices.append(f"kernel language is {nb.language!r}: rules that read Python code were skipped")
    raw: list[Finding] = []
    for code in sorted(enabled):
        rule = REGISTRY[code]
        if code == UNUSED_SUPPRESSION or (rule.needs_python and not nb.is_python):
            continue
        try:
            raw.extend(rule.check(analysis))
        except Exception as exc:  # a rule bug must not stop the other rules or files
            if raise_errors:
                raise
            result.internal_errors.append(f"rule {code} failed: {type(exc).__name__}: {exc}")
    if execution is not None:
        raw.extend(_execute(nb, enabled, execution, result, raise_errors))
    findings = _apply_suppressions(nb, raw, enabled)
    for f in findings:
        f.severity = settings.severity_of(f.code, REGISTRY[f.code].severity)
        _mask_secrets(f)
    findings.sort(key=Finding.sort_key)
    result.findings = findings
    result.notices.extend(analysis.notices)
    result.score = score(findings)
    return result


def _execute(
    nb: Notebook, enabled: frozenset[str], options: ExecutionOptions, result: NotebookResult, raise_errors: bool
) -> list[Finding]:
    """Run the notebook for the execution rules that are selected; record the verdict."""
    from nb2prod.execcheck import NotebookRun, execution_findings

    wanted = enabled & EXECUTION_RULES
    if not wanted:
        run = NotebookRun("skipped", message="no execution rule (NB307-NB310) is selected")
        result.execution = {**run.to_dict(), "runs": 0, "summary": run.describe()}
        return []
    reproduce = options.reproduce and bool(wanted & REPRODUCE_RULES)
    try:
        found, run = execution_findings(
            nb,
            reproduce=reproduce,
            cell_timeout=options.cell_timeout,
            timeout=options.timeout,
            images=options.images,
            kernel_name=options.kernel_name,
        )
    except Exception as exc:  # a bug of ours: reported, the static findings still stand
        if raise_errors:
            raise
        result.internal_errors.append(f"execution failed: {type(exc).__name__}: {exc}")
        return []
    runs = 0 if run.verdict in ("skipped", "no-kernel") else 2 if reproduce and run.verdict in ("ran", "failed") else 1
    result.execution = {**run.to_dict(), "runs": runs, "summary": run.describe()}
    return [f for f in found if f.code in enabled]


def _mask_secrets(f: Finding) -> None:
    """Mask secrets in what a finding shows: the spans its rule marked, and anything
    the secret detector recognises in its message or source line (whatever the rule)."""
    if f.source_line is not None:
        if f.redact:
            f.source_line = mask_spans(f.source_line, ((s - 1, e - 1) for s, e in f.redact))
        f.source_line = redact(f.source_line)
    f.message = redact(f.message)


@dataclass
class _Suppression:
    cell: Cell
    line: int | None  # None: the whole cell (tag)
    column: int
    prefixes: list[str]  # [] means everything (a blanket noqa comment, nb2prod:ignore)
    written: list[str]
    used: set[str] = field(default_factory=set)


def _comments(source: str) -> Iterable[tuple[int, int, str]]:
    """(line, column, text) of the comments in a cell: real ``#`` comments only, not a
    ``"# noqa"`` inside a string. Cells the tokenizer rejects (IPython syntax, syntax
    errors) fall back to a search line by line."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        for i, line in enumerate(source.splitlines(), start=1):
            at = line.find("#")
            if at >= 0:
                yield i, at, line[at:]
        return
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            yield tok.start[0], tok.start[1], tok.string


def _tag_prefixes(selectors: list[str]) -> list[str]:
    """Cell-tag selectors as code prefixes; rule names and families are accepted too."""
    names = {code: rule.name for code, rule in REGISTRY.items()}
    out = []
    for sel in selectors:
        try:
            out.append(expand(sel, names) or "NB")
        except SelectorError:
            out.append(sel.upper())  # reported by NB720 as unknown
    return out


def _suppressions(nb: Notebook) -> tuple[dict[tuple[int, int], _Suppression], dict[int, _Suppression]]:
    by_line: dict[tuple[int, int], _Suppression] = {}
    by_cell: dict[int, _Suppression] = {}
    for cell in nb.cells:
        selectors = tagmod.ignore_selectors(cell.tags)
        if selectors is not None:
            prefixes = [] if "" in selectors else _tag_prefixes(selectors)
            by_cell[cell.index] = _Suppression(cell, None, 1, prefixes, prefixes)
        if not cell.is_code or "noqa" not in cell.source.lower():
            continue
        for line, col, text in _comments(cell.source):
            m = _NOQA.search(text)
            if not m:
                continue
            codes = m.group("codes")
            column = col + m.start() + 1
            if codes is None:
                by_line[(cell.index, line)] = _Suppression(cell, line, column, [], [])
                continue
            written = [c.upper() for c in re.split(r"[\s,]+", codes) if c]
            ours = [c for c in written if c.startswith("NB")]
            if ours:
                by_line[(cell.index, line)] = _Suppression(cell, line, column, ours, ours)
    return by_line, by_cell


def _notebook_ignores(nb: Notebook) -> list[str]:
    meta = nb.metadata.get("nb2prod")
    if isinstance(meta, dict) and isinstance(meta.get("ignore"), list):
        return [str(c).upper() for c in meta["ignore"] if isinstance(c, str)]
    return []


def _covers(s: _Suppression | None, code: str) -> bool:
    return s is not None and (not s.prefixes or most_specific(code, s.prefixes) is not None)


def _apply_suppressions(nb: Notebook, findings: list[Finding], enabled: frozenset[str]) -> list[Finding]:
    by_line, by_cell = _suppressions(nb)
    nb_ignores = _notebook_ignores(nb)

    def suppressor(f: Finding) -> _Suppression | bool | None:
        if nb_ignores and most_specific(f.code, nb_ignores) is not None:
            return True
        if f.cell is None:
            return None
        if f.output is None:
            for line in (f.line, f.end_line or f.line):
                s = by_line.get((f.cell, line))
                if _covers(s, f.code):
                    return s
        s = by_cell.get(f.cell)
        return s if _covers(s, f.code) else None

    kept: list[Finding] = []
    for f in findings:
        hit = suppressor(f)
        if isinstance(hit, _Suppression):
            hit.used.add(most_specific(f.code, hit.prefixes) or "" if hit.prefixes else "")
        if hit is None:
            kept.append(f)
    if UNUSED_SUPPRESSION in enabled:
        # Unused-suppression findings can be silenced like any other.
        for f in _unused_suppressions([*by_line.values(), *by_cell.values()], enabled):
            if suppressor(f) is None:
                kept.append(f)
    return kept


def _unused_suppressions(sups: Iterable[_Suppression], enabled: frozenset[str]) -> Iterable[Finding]:
    rule = REGISTRY[UNUSED_SUPPRESSION]
    for s in sups:
        if not s.prefixes:
            continue  # a blanket noqa comment may be meant for another tool
        unused = [
            p for p in s.prefixes
            if p not in s.used
            and not UNUSED_SUPPRESSION.startswith(p)  # that one silences these reports
            and (any(c.startswith(p) for c in enabled) or not any(c.startswith(p) for c in REGISTRY))
        ]
        if not unused:
            continue
        unknown = [p for p in unused if not any(c.startswith(p) for c in REGISTRY)]
        what = ", ".join(unused)
        if s.line is None:
            msg = f"cell tag ignores {what}, but nothing here is reported for it"
        else:
            msg = f"`# noqa` for {what}, but nothing on this line is reported for it"
        if unknown:
            msg += f" (unknown code: {', '.join(unknown)})"
        yield rule.at(s.cell, msg, line=s.line or 1, column=s.column)


# -- files and many files ---------------------------------------------------------------


def lint_file(
    path: str | Path,
    overrides: Overrides = Overrides(),
    config: Path | None = None,
    execution: ExecutionOptions | None = None,
) -> NotebookResult:
    """Read and lint one file. Read and config errors go into ``result.error``.
    ``execution``: also run it (see :func:`lint_notebook`)."""
    display = str(path)
    path = Path(path)
    try:
        settings = settings_for(path, overrides, config)
    except ConfigError as exc:
        return NotebookResult(path=display, error=str(exc))
    try:
        nb = read_notebook(path, max_bytes=settings.options["max-notebook-bytes"])
    except NotebookError as exc:
        return NotebookResult(path=display, error=str(exc), fail_on=settings.fail_on)
    nb.path = path
    return lint_notebook(nb, settings, execution=execution)


def lint_dict(data: Any, path: Path | None, settings: Settings | None = None) -> NotebookResult:
    """Lint a notebook given as decoded JSON (e.g. posted by the JupyterLab page)."""
    nb = notebook_from_dict(data, path=path)
    return lint_notebook(nb, settings or settings_for(path))


def _lint_one(args: tuple[Path, Overrides, Path | None, ExecutionOptions | None]) -> NotebookResult:
    return lint_file(*args)


def lint_paths(
    paths: Sequence[Path],
    overrides: Overrides = Overrides(),
    config: Path | None = None,
    jobs: int = 1,
    on_result: Callable[[NotebookResult], None] | None = None,
    execution: ExecutionOptions | None = None,
) -> RunResult:
    """Lint many notebooks, in ``jobs`` processes when there are enough of them.

    With ``execution`` every notebook is also run (see :func:`lint_notebook`); runs take
    seconds each, so two notebooks are enough to use processes, ``jobs=0`` means at most
    :data:`EXECUTE_JOBS`, and the processes are spawned (a kernel client must not be
    forked from a process that has one)."""
    work = [(p, overrides, config, execution) for p in paths]
    results: list[NotebookResult] = []
    if execution is not None:
        jobs = min(jobs if jobs > 0 else min(os.cpu_count() or 1, EXECUTE_JOBS), len(work))
        parallel, chunk, context = jobs > 1, 1, multiprocessing.get_context("spawn")
    else:
        jobs = jobs if jobs > 0 else (os.cpu_count() or 1)
        parallel, context = jobs > 1 and len(work) >= 2 * jobs, None
        chunk = max(1, len(work) // (jobs * 8))
    if parallel:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            for r in pool.map(_lint_one, work, chunksize=chunk):
                results.append(r)
                if on_result:
                    on_result(r)
    else:
        for w in work:
            r = _lint_one(w)
            results.append(r)
            if on_result:
                on_result(r)
    return RunResult(results)
