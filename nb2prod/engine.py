"""The lint engine: one notebook in, findings and a readiness score out.

Every front end (CLI, CI formats, the JupyterLab server extension, the widget, the
pytest plugin) calls :func:`lint_notebook` or :func:`lint_paths`; none re-implements it.
The engine never executes notebook code, unless asked to with ``execution=``
(``nb2prod lint --execute``): then :mod:`nb2prod.execcheck` runs the notebook in a fresh
kernel and its findings (NB307-NB310) join the others before suppression and scoring.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nb2prod.config import Overrides, Settings
from nb2prod.diagnostics import Finding, Severity
from nb2prod.runopts import ExecutionOptions
from nb2prod.score import Score, score

if TYPE_CHECKING:
    from nb2prod.notebook import Notebook

# The rules, the notebook reader and the analysis are imported by the functions that lint
# (about 100 ms of imports): a run whose results all come from the cache never needs them.

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
    from nb2prod.analysis import Analysis
    from nb2prod.rules import REGISTRY
    from nb2prod.rules.structure import UnusedSuppression

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
    from nb2prod.rules.execution import EXECUTION_RULES, REPRODUCE_RULES

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
    from nb2prod import suppression
    from nb2prod.rules import REGISTRY
    from nb2prod.rules.structure import UnusedSuppression

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
    from nb2prod.masking import mask_spans, redact

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
    from nb2prod.config import ConfigError, settings_for
    from nb2prod.notebook import NotebookError, read_notebook

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
    from nb2prod.config import settings_for
    from nb2prod.notebook import notebook_from_dict

    nb = notebook_from_dict(data, path=path)
    return lint_notebook(nb, settings or settings_for(path))


class Cache(Protocol):
    """What :func:`lint_paths` needs of a result cache (:class:`nb2prod.cache.Cache`)."""

    hits: int
    misses: int

    def read_bytes(self, path: Path) -> bytes | None: ...

    def key(self, path: Path, content: bytes, overrides: Overrides, config: Path | None) -> str: ...

    def load(self, key: str, seen_now: dict[tuple[str, str], Any] | None = None) -> NotebookResult | None: ...

    def lint_file(self, lint: Callable[[], NotebookResult], key: str) -> NotebookResult: ...


def _lint_one(args: tuple[Path, Overrides, Path | None, ExecutionOptions | None, Cache | None, str]) -> NotebookResult:
    path, overrides, config, execution, cache, key = args
    if cache is None:
        return lint_file(path, overrides, config, execution)
    return cache.lint_file(lambda: lint_file(path, overrides, config), key)


# Below this many notebooks to lint (after the cache), one process is faster than
# several: a worker costs ~10-20 ms to start, and a notebook ~5 ms to lint (measured by
# benchmarks/lint_speed.py over the corpus on 2 CPUs).
PARALLEL_MIN = 24


def lint_paths(
    paths: Sequence[Path],
    overrides: Overrides = Overrides(),
    config: Path | None = None,
    jobs: int = 1,
    on_result: Callable[[NotebookResult], None] | None = None,
    execution: ExecutionOptions | None = None,
    cache: Cache | None = None,
) -> RunResult:
    """Lint many notebooks, in ``jobs`` processes when there are enough of them.

    ``jobs=0`` (the command line's default) means one process per CPU when there are at
    least :data:`PARALLEL_MIN` notebooks to lint, else one. With ``cache``, a notebook
    whose result is in the cache (and still valid, see :mod:`nb2prod.cache`) is not
    linted; the others are, and their results stored. Results come in the order of
    ``paths``.

    With ``execution`` every notebook is also run (see :func:`lint_notebook`) and the
    cache is not used; runs take seconds each, so two notebooks are enough to use
    processes, ``jobs=0`` means at most :data:`EXECUTE_JOBS`, and the processes are
    spawned (a kernel client must not be forked from a process that has one)."""
    if execution is not None:
        cache = None
    hits: list[NotebookResult | None] = [None] * len(paths)
    work = []
    seen_now: dict[tuple[str, str], Any] = {}  # what the cache's checks found, for this run
    for i, p in enumerate(paths):
        key = ""
        if cache is not None:
            content = cache.read_bytes(p)
            if content is not None:
                key = cache.key(p, content, overrides, config)
                hits[i] = cache.load(key, seen_now)
                if hits[i] is not None:
                    cache.hits += 1
                    continue
                cache.misses += 1
        work.append((p, overrides, config, execution, cache if key else None, key))
    cpus = os.cpu_count() or 1
    start: str | None
    if execution is not None:
        jobs = min(jobs if jobs > 0 else min(cpus, EXECUTE_JOBS), len(work))
        parallel, chunk, start = jobs > 1, 1, "spawn"
    else:
        if jobs <= 0:
            jobs = cpus if len(work) >= PARALLEL_MIN else 1
        parallel, chunk = jobs > 1 and len(work) >= 2 * jobs, max(1, len(work) // (jobs * 8))
        # Forked workers start in milliseconds with everything imported; the CLI has no
        # threads. (Python 3.14 made forkserver the default on Linux; macOS spawns.)
        start = "fork" if sys.platform.startswith("linux") else None
    linted: Iterator[NotebookResult]
    if parallel:
        import multiprocessing  # with concurrent.futures, ~15 ms: not for a run in one process
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context(start) if start else None
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
        linted = pool.map(_lint_one, work, chunksize=chunk)
    else:
        pool = None
        linted = map(_lint_one, work)
    results: list[NotebookResult] = []
    try:
        for hit in hits:
            r = hit if hit is not None else next(linted)
            results.append(r)
            if on_result:
                on_result(r)
    finally:
        if pool is not None:
            pool.shutdown()
    return RunResult(results)
