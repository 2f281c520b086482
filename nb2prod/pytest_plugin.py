"""pytest plugin: notebooks as test items (``pytest --nb2prod``).

Shipped through the ``pytest11`` entry point (name ``nb2prod``); it does nothing unless
``--nb2prod`` is given or ``nb2prod = true`` is set in the pytest configuration. Then
each ``.ipynb`` file pytest collects becomes a test file with:

- ``nb.ipynb::lint``: fails when ``nb2prod lint nb.ipynb`` would exit non-zero (findings
  at or above ``--fail-on``, an unreadable file, a failed rule); the failure shows the
  findings as the CLI prints them (``nb.ipynb:cell 3:2:5: NB101 ...`` with code frames).
- with ``--nb2prod-execute``: ``nb.ipynb::execute`` runs the notebook top to bottom in a
  fresh kernel (:mod:`nb2prod.kernel_runner`) and fails at the first cell that raises, and
  ``nb.ipynb::test_cell_N`` for each cell tagged ``test`` fails with that cell's
  exception. ``test_*`` functions a test cell defines (and does not call) are called.

Settings come from ``[tool.nb2prod]`` exactly as for the CLI; ``--nb2prod-select``,
``--nb2prod-ignore`` and ``--nb2prod-fail-on`` override it as ``--select``, ``--ignore``
and ``--fail-on`` do; ``--nb2prod-cell-timeout``, ``--nb2prod-timeout`` and
``--nb2prod-kernel`` (ini ``nb2prod_cell_timeout``, ``nb2prod_timeout``, ``nb2prod_kernel``)
come from the runner's declared options, as ``lint --execute``'s flags do. Folders are
walked by pytest, minus what ``nb2prod lint`` would skip (``.ipynb_checkpoints``,
``.gitignore``, ``exclude``). Every item carries the
``nb2prod`` marker: ``-m nb2prod`` runs only the notebooks, ``-m "not nb2prod"`` none.
This module is a thin layer: linting is :func:`nb2prod.engine.lint_file`, execution is
:func:`nb2prod.kernel_runner.run_notebook`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from nb2prod.config import ConfigError, Overrides, settings_for
from nb2prod.kernel_runner import RAN, SKIPPED
from nb2prod.notebook import ANSI_ESCAPE, DEFAULT_MAX_BYTES, Cell, Notebook, NotebookError, read_notebook
from nb2prod.runopts import RunOptions, declared

__all__ = ["NotebookFile", "LintItem", "ExecuteItem", "CellTestItem"]

MARKER = "nb2prod"
_SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Options:
    overrides: Overrides
    config: Path | None
    execute: bool
    run: RunOptions  # time limits and kernel
    cwd: Path


_OPTIONS = pytest.StashKey[Options]()


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nb2prod", "nb2prod: notebooks as tests")
    group.addoption("--nb2prod", action="store_true", default=False,
                    help="collect .ipynb files and lint each with nb2prod (item `lint`)")
    group.addoption("--nb2prod-execute", action="store_true", default=False,
                    help="also run each notebook in a fresh kernel (item `execute`) and each cell "
                    "tagged `test` (items `test_cell_N`); implies --nb2prod")
    group.addoption("--nb2prod-fail-on", choices=_SEVERITIES, default=None,
                    help="`lint` fails on findings at or above this severity (default: the "
                    "configuration's fail-on, else error)")
    group.addoption("--nb2prod-select", type=_csv, action="append", metavar="CODES",
                    help="rules to run, replacing the configured selection")
    group.addoption("--nb2prod-extend-select", type=_csv, action="append", metavar="CODES", help="rules to add")
    group.addoption("--nb2prod-ignore", type=_csv, action="append", metavar="CODES", help="rules not to run")
    group.addoption("--nb2prod-config", metavar="PYPROJECT", default=None,
                    help="use this pyproject.toml instead of the nearest one")
    for o in declared(RunOptions):  # --nb2prod-cell-timeout, --nb2prod-timeout, --nb2prod-kernel
        group.addoption(o.pytest_flag, dest=_dest(o), default=None, metavar=o.unit,
                        help=f"with --nb2prod-execute: {o.help_for('pytest')}")
    parser.addini("nb2prod", type="bool", default=False, help="collect and lint .ipynb files (as --nb2prod)")
    parser.addini("nb2prod_execute", type="bool", default=False,
                  help="also execute notebooks and their test cells (as --nb2prod-execute)")
    parser.addini("nb2prod_fail_on", default="", help="error, warning or info (as --nb2prod-fail-on)")
    for o in declared(RunOptions):
        if o.ini:
            parser.addini(o.ini, default="", help=f"{o.help_for('pytest')} (as {o.pytest_flag})")


def _flatten(values: list[list[str]] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(v for group in values for v in group)


def _dest(declaration: Any) -> str:
    return declaration.pytest_flag.removeprefix("--").replace("-", "_")


def _run_options(config: pytest.Config) -> RunOptions:
    """The declared run options: each flag, else its ini option, else the declared default."""
    given: dict[str, Any] = {}
    for o in declared(RunOptions):
        flag, ini = config.getoption(_dest(o)), str(config.getini(o.ini)).strip() if o.ini else ""
        source, raw = (o.pytest_flag, flag) if flag is not None else (f"{o.ini} =", ini)
        if flag is None and not ini:
            continue
        try:
            given[o.name] = o.convert(raw)
        except ValueError as exc:
            raise pytest.UsageError(f"{source} {raw!r}: {exc}") from None
    return RunOptions.for_command("pytest", **given)


def _options(config: pytest.Config) -> Options:
    fail_on = config.getoption("nb2prod_fail_on") or str(config.getini("nb2prod_fail_on")).strip() or None
    if fail_on is not None and fail_on.lower() not in _SEVERITIES:
        raise pytest.UsageError(f"nb2prod_fail_on = {fail_on!r}: use error, warning or info")
    overrides = Overrides(
        select=_flatten(config.getoption("nb2prod_select")),
        extend_select=_flatten(config.getoption("nb2prod_extend_select")) or (),
        ignore=_flatten(config.getoption("nb2prod_ignore")) or (),
        fail_on=fail_on.lower() if fail_on else None,
    )
    cwd = config.invocation_params.dir
    raw_config = config.getoption("nb2prod_config")
    cfg = (cwd / raw_config).resolve() if raw_config else None
    if cfg is not None and not cfg.is_file():
        raise pytest.UsageError(f"--nb2prod-config {raw_config}: no such configuration file")
    try:  # one clear error for a bad selector or configuration, as `nb2prod lint` gives
        settings_for(cwd / "_", overrides, cfg)
    except ConfigError as exc:
        raise pytest.UsageError(f"nb2prod: {exc}") from None
    execute = bool(config.getoption("nb2prod_execute") or config.getini("nb2prod_execute"))
    if execute:
        from nb2prod.extras import MissingExtra, require

        try:
            require("build", "--nb2prod-execute", ("nbformat", "nbclient", "jupyter_client", "ipykernel"))
        except MissingExtra as exc:
            raise pytest.UsageError(str(exc)) from None
    return Options(
        overrides=overrides,
        config=cfg,
        execute=execute,
        run=_run_options(config),
        cwd=cwd,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: a notebook check by nb2prod (lint, execute, test cells)")
    if any(config.getoption(o) for o in ("nb2prod", "nb2prod_execute")) or any(
        config.getini(i) for i in ("nb2prod", "nb2prod_execute")
    ):
        config.stash[_OPTIONS] = _options(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> NotebookFile | None:
    options = parent.config.stash.get(_OPTIONS, None)
    if options is None or file_path.suffix != ".ipynb" or ".ipynb_checkpoints" in file_path.parts:
        return None
    # Files named on the command line are always checked (as by `nb2prod lint`).
    if not parent.session.isinitpath(file_path) and _ignored(file_path, options.config):
        return None
    return NotebookFile.from_parent(parent, path=file_path)


@lru_cache(maxsize=256)
def _ignorer(directory: Path, config: Path | None) -> Any:
    # The walker's own rules (.gitignore files, `exclude`), so that `pytest --nb2prod`
    # checks the notebooks `nb2prod lint .` checks.
    from nb2prod.walk import _exclude_patterns, _Ignorer

    return _Ignorer(_exclude_patterns(directory, config))


def _ignored(path: Path, config: Path | None) -> bool:
    resolved = path.resolve()
    return bool(_ignorer(resolved.parent, config).ignored(resolved, is_dir=False))


# -- collection ----------------------------------------------------------------------


class NotebookFile(pytest.File):
    """A ``.ipynb`` file: a ``lint`` item, and with execution ``execute`` and test cells."""

    notebook: Notebook | None = None
    read_error: str | None = None
    _run: Any = None

    def collect(self):
        options = self.config.stash[_OPTIONS]
        try:
            limit = settings_for(self.path).options["max-notebook-bytes"]
        except ConfigError:  # the lint item reports it
            limit = DEFAULT_MAX_BYTES
        try:
            self.notebook = read_notebook(self.path, max_bytes=limit)
            self.notebook.path = self.path
        except NotebookError as exc:
            self.read_error = str(exc)
        yield LintItem.from_parent(self, name="lint")
        if not options.execute:
            return
        yield ExecuteItem.from_parent(self, name="execute")
        for cell in self.notebook.cells if self.notebook else ():
            if cell.is_code and cell.source.strip() and "test" in cell.nb2prod_tags and "skip" not in cell.nb2prod_tags:
                yield CellTestItem.from_parent(self, name=f"test_cell_{cell.index}", cell=cell)

    @property
    def display(self) -> str:
        from nb2prod.formats import display_path

        return display_path(str(self.path), self.config.invocation_params.dir)

    def notebook_run(self) -> Any:
        """Execute the notebook once; the ``execute`` and test-cell items share the run."""
        if self._run is None:
            assert self.notebook is not None
            self._run = _run(_runnable(self.notebook), self.config.stash[_OPTIONS], self.path.parent)
        return self._run


def _run(nb: Notebook, options: Options, cwd: Path) -> Any:
    from nb2prod.kernel_runner import run_notebook

    # Errors do not stop the run: each test cell reports on its own, and a test cell
    # after a failing cell is reported as not run (see CellTestItem.setup).
    return run_notebook(nb, options.run, cwd=cwd, allow_errors=True)


def _uncalled_tests(cell: Cell) -> list[str]:
    """``test_*`` functions a test cell defines without calling them and that need no
    argument: a cell that only defines them would otherwise pass without testing."""
    tree = cell.parsed.tree
    if tree is None or cell.parsed.magics:
        return []
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test") and node.name not in called:
            args = node.args
            required = len(args.posonlyargs) + len(args.args) - len(args.defaults)
            required += sum(1 for d in args.kw_defaults if d is None)
            if required == 0:
                names.append(node.name)
    return names


def _runnable(nb: Notebook) -> Notebook:
    """The notebook as it is executed: test cells also call their ``test_*`` functions.
    Calls are appended, so line numbers in tracebacks stay those of the cell."""
    cells = []
    for cell in nb.cells:
        calls = _uncalled_tests(cell) if cell.is_code and "test" in cell.nb2prod_tags else []
        if calls:
            source = cell.source.rstrip("\n") + "\n" + "".join(f"{name}()\n" for name in calls)
            cell = replace(cell, source=source)
        cells.append(cell)
    return replace(nb, cells=cells, raw_text=None) if cells != nb.cells else nb


# -- items ---------------------------------------------------------------------------


class Failure(Exception):
    """A check failed; ``str()`` is the whole report (no Python traceback of ours)."""


class NotebookItem(pytest.Item):
    parent: NotebookFile

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_marker(MARKER)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, Failure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        # Not "nb.ipynb::lint": pytest would print a domain that ends the node id with
        # its dots turned into "::", as for Python names.
        return self.path, self._line(), f"{self.parent.display}: {self.name}"

    def _line(self) -> int | None:
        return None

    @property
    def _color(self) -> bool:
        return bool(self.config.get_terminal_writer().hasmarkup)


class LintItem(NotebookItem):
    """Passes when ``nb2prod lint`` on this notebook would exit 0."""

    def runtest(self) -> None:
        from nb2prod.engine import RunResult, lint_file

        options = self.config.stash[_OPTIONS]
        result = lint_file(self.path, options.overrides, options.config)
        if RunResult([result]).exit_code() != 0:
            raise Failure(self._report(result))

    def _report(self, result: Any) -> str:
        from nb2prod.engine import RunResult
        from nb2prod.formats import FormatContext, render

        display = self.parent.display
        if result.error:
            return f"{display}: error: {result.error}"
        failing = result.failing()
        below = len(result.findings) - len(failing)
        shown = replace(result, findings=failing)  # the CLI's text, for what fails
        ctx = FormatContext(fail_on=result.fail_on, color=self._color, cwd=self.config.invocation_params.dir)
        text = render("text", RunResult([shown]), ctx).rstrip("\n")
        if below:
            text += (f"\n(and {below} finding{'s' if below != 1 else ''} below --fail-on {result.fail_on.label}: "
                     f"`nb2prod lint {display}` shows all)")
        return text


class ExecuteItem(NotebookItem):
    """Passes when the notebook runs top to bottom in a fresh kernel. A test cell that
    raises is reported by its own item, not here; a cell tagged ``raises-exception``
    may raise (as in papermill)."""

    def runtest(self) -> None:
        nbfile = self.parent
        if nbfile.notebook is None:
            raise Failure(f"{nbfile.display}: error: {nbfile.read_error}")
        run = nbfile.notebook_run()
        if run.outcome == SKIPPED:
            pytest.skip(run.message or "not executed")
        cell = _first_failure(run, nbfile.notebook)
        if cell is not None:
            raise Failure(_cell_report(nbfile.display, cell, self._color))
        if run.outcome != RAN:  # no kernel, a time limit, a dead kernel: it did not run through
            where = f":cell {run.failed_cell}" if run.failed_cell else ""
            raise Failure(f"{nbfile.display}{where}: {run.verdict}: {run.message}")


class CellTestItem(NotebookItem):
    """One cell tagged ``test``: fails with the exception the cell raised. When a cell
    above it failed (or the run stopped before it), it is an error at setup, as a test
    whose fixture failed."""

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cell = cell

    def _line(self) -> int | None:
        nb = self.parent.notebook
        lines = nb.source_line_map if nb is not None else None
        return lines[self.cell.index][0] - 1 if lines and self.cell.index in lines else None

    def setup(self) -> None:
        run = self.parent.notebook_run()
        if run.outcome == SKIPPED:
            pytest.skip(run.message or "not executed")
        before = _first_failure(run, self.parent.notebook, before=self.cell.index)
        if before is not None:
            pytest.fail(f"not run: cell {before.index} raised {before.error[0]} before it "
                        f"(see {self.parent.display}::execute)", pytrace=False)
        if _cell_runs(run).get(self.cell.index) is None:
            pytest.fail(f"not run: the notebook stopped before cell {self.cell.index} "
                        f"({run.verdict}: {run.message})", pytrace=False)

    def runtest(self) -> None:
        run = self.parent.notebook_run()
        mine = _cell_runs(run)[self.cell.index]
        if mine.error is not None and "raises-exception" not in self.cell.tags:
            raise Failure(_cell_report(self.parent.display, mine, self._color))
        if run.outcome != RAN and run.failed_cell == self.cell.index:
            raise Failure(f"{self.parent.display}:cell {self.cell.index}: {run.verdict}: {run.message}")


def _cell_runs(run: Any) -> dict[int, Any]:
    return {c.index: c for c in run.cells}


def _first_failure(run: Any, nb: Notebook | None, before: int | None = None) -> Any:
    """The first cell (above cell ``before``) that raised, other than test cells and
    cells tagged ``raises-exception``."""
    expected = {c.index for c in nb.cells if "test" in c.nb2prod_tags or "raises-exception" in c.tags} if nb else set()
    for c in sorted(run.cells, key=lambda c: c.index):
        if before is not None and c.index >= before:
            return None
        if c.error is not None and c.index not in expected:
            return c
    return None


def _cell_report(path: str, cell: Any, color: bool) -> str:
    ename, evalue, traceback = cell.error
    tb = "\n".join(traceback)
    if not color:
        tb = ANSI_ESCAPE.sub("", tb)
    head = f"{path}:cell {cell.index}: {ename}: {evalue}" if evalue else f"{path}:cell {cell.index}: {ename}"
    return f"{head}\n{tb}".rstrip() if tb.strip() else head
