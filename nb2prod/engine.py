"""The lint engine: one notebook in, findings and a readiness score out.

Every front end (CLI, CI formats, the JupyterLab server extension, the widget, the
pytest plugin) calls :func:`lint_notebook` or :func:`lint_paths`; none re-implements it.
The engine never executes notebook code, unless asked to with ``execution=``
(``nb2prod lint --execute``): then :mod:`nb2prod.execcheck` runs the notebook in a fresh
kernel and its findings (NB307-NB310) join the others before suppression and scoring.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nb2prod import suppression
from nb2prod.analysis import Analysis
from nb2prod.config import ConfigError, Overrides, Settings, settings_for
from nb2prod.diagnostics import Finding, Severity
from nb2prod.execcheck import EXECUTION_RULES, REPRODUCE_RULES, ExecutionOptions
from nb2prod.masking import mask_spans, redact
from nb2prod.notebook import Notebook, NotebookError, notebook_from_dict, read_notebook
from nb2prod.rules import REGISTRY
from nb2prod.rules.structure import UnusedSuppression
from nb2prod.score import Score, score

__all__ = [
    "NotebookResult",
    "RunResult",
    "lint_notebook",
    "lint_file",
    "lint_dict",
    "lint_paths",
    "ExecutionOptions",
]

# --jobs 0 with --execute: notebooks run at once (each has a kernel process of its own).
EXECUTE_JOBS = 4

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
        if code == UnusedSuppression.code or (rule.needs_python and not nb.is_python):
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


def _apply_suppressions(nb: Notebook, findings: list[Finding], enabled: frozenset[str]) -> list[Finding]:
    """The findings no suppression covers, and the unused-suppression findings (which
    can be silenced like any other) when that rule is selected."""
    sups = suppression.collect(nb, {code: rule.name for code, rule in REGISTRY.items()})
    kept = sups.apply(findings)
    if UnusedSuppression.code in enabled:
        rule = REGISTRY[UnusedSuppression.code]
        assert isinstance(rule, UnusedSuppression)
        kept.extend(f for f in rule.report(sups, enabled, REGISTRY) if sups.suppressor(f) is None)
    return kept


def _mask_secrets(f: Finding) -> None:
    """Mask secrets in what a finding shows: the spans its rule marked, and anything
    the secret detector recognises in its message or source line (whatever the rule)."""
    if f.source_line is not None:
        if f.redact:
            f.source_line = mask_spans(f.source_line, ((s - 1, e - 1) for s, e in f.redact))
        f.source_line = redact(f.source_line)
    f.message = redact(f.message)


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
