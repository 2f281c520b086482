"""The pytest plugin, run inside pytest with ``pytester``: pass/fail per notebook and
per test cell, failures shown as findings at their cells, selection, configuration."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

import nb2prod.pytest_plugin as plugin
from nb2prod.cli import main as cli_main
from nb2prod.kernel_runner import (
    KERNEL_DIED,
    NO_KERNEL,
    RAN,
    SKIPPED,
    TIMED_OUT,
    CellRun,
    NotebookRun,
    RunOptions,
    declared,
)

pytest_plugins = ["pytester"]

KERNEL_META = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "version": "3.11.7"},
}


def write(path: Path, *cells: str | tuple[str, list[str]]) -> Path:
    """A notebook of code cells after a title; ``(source, tags)`` tags a cell."""
    book = v4.new_notebook(metadata=KERNEL_META)
    book.cells = [v4.new_markdown_cell("# A notebook", id="title")]
    for i, c in enumerate(cells, start=2):
        source, tags = c if isinstance(c, tuple) else (c, [])
        book.cells.append(v4.new_code_cell(source, id=f"c{i}", metadata={"tags": tags} if tags else {}))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, path)
    return path


@pytest.fixture
def pt(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # The plugin is enabled explicitly, whether or not its entry point is installed.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    return pytester


def run(pt: pytest.Pytester, *args: str) -> pytest.RunResult:
    # In process, with the plugin module itself: the same as `-p nb2prod.pytest_plugin`,
    # without a warning that this already imported module cannot be assertion-rewritten.
    return pt.runpytest("-p", "no:cacheprovider", "-rA", *args, plugins=[plugin])


# -- lint ----------------------------------------------------------------------------


def test_lint_item_per_notebook_failure_shows_findings_at_their_cells(pt: pytest.Pytester) -> None:
    write(pt.path / "clean.ipynb", "x = 1")
    write(pt.path / "dirty.ipynb", "import os", "y = nope + 1")
    result = run(pt, "--nb2prod", "--nb2prod-select", "NB7", "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*clean.ipynb::lint PASSED*",
        "*dirty.ipynb::lint FAILED*",
    ])
    out = result.stdout.str()
    # The CLI's text: location, code, severity, message, code frame.
    assert "dirty.ipynb:cell 3:1:5: NB701 [error] undefined name `nope`" in out
    assert "1 | y = nope + 1" in out and "^^^^ NB701" in out
    # Only what fails is shown in full; the rest is counted.
    assert "NB702" not in out.split("short test summary")[0].split("dirty.ipynb::lint")[-1].split("(and")[0]
    assert "(and 1 finding below --fail-on error: `nb2prod lint dirty.ipynb` shows all)" in out
    assert "Traceback" not in out and "pytest_plugin.py" not in out


def test_off_unless_asked(pt: pytest.Pytester) -> None:
    write(pt.path / "dirty.ipynb", "y = nope")
    assert run(pt).ret == pytest.ExitCode.NO_TESTS_COLLECTED
    pt.makeini("[pytest]\nnb2prod = true\n")
    run(pt, "--nb2prod-select", "NB7").assert_outcomes(failed=1)


@pytest.mark.parametrize("fail_on", ["error", "warning", "info"])
def test_outcome_matches_the_cli_exit_code(pt: pytest.Pytester, fail_on: str) -> None:
    """Exit codes and --fail-on mean the same in pytest as in `nb2prod lint`: a lint
    item fails exactly when the CLI exits non-zero for that notebook."""
    notebooks = {
        "error.ipynb": ("y = nope",),
        "warning.ipynb": ("import os",),
        "clean.ipynb": ("x = 1",),
    }
    for name, cells in notebooks.items():
        write(pt.path / name, *cells)
    result = run(pt, "--nb2prod", "--nb2prod-select", "NB701,NB702", f"--nb2prod-fail-on={fail_on}", "-v")
    for name in notebooks:
        code = cli_main(["lint", "-q", str(pt.path / name), "--select", "NB701,NB702", "--fail-on", fail_on])
        result.stdout.fnmatch_lines([f"*{name}::lint {'FAILED' if code else 'PASSED'}*"])


def test_fail_on_from_ini_and_from_tool_nb2prod(pt: pytest.Pytester) -> None:
    write(pt.path / "warning.ipynb", "import os")
    run(pt, "--nb2prod", "--nb2prod-select", "NB702").assert_outcomes(passed=1)
    pt.makepyprojecttoml('[tool.nb2prod]\nselect = ["NB702"]\nfail-on = "warning"\n')
    run(pt, "--nb2prod").assert_outcomes(failed=1)
    # The command line wins over the file, as for `nb2prod lint --fail-on`.
    run(pt, "--nb2prod", "--nb2prod-fail-on", "error").assert_outcomes(passed=1)
    pt.makeini("[pytest]\nnb2prod = true\nnb2prod_fail_on = error\n")
    run(pt).assert_outcomes(passed=1)


def test_select_and_ignore(pt: pytest.Pytester) -> None:
    write(pt.path / "nb.ipynb", "y = nope")
    run(pt, "--nb2prod", "--nb2prod-select", "NB7", "--nb2prod-ignore", "NB701").assert_outcomes(passed=1)
    run(pt, "--nb2prod", "--nb2prod-select", "NB1", "--nb2prod-extend-select", "NB701").assert_outcomes(failed=1)


def test_config_file_option(pt: pytest.Pytester) -> None:
    write(pt.path / "nb.ipynb", "import os")
    (pt.path / "ci.toml").write_text('[tool.nb2prod]\nselect = ["NB702"]\nfail-on = "warning"\n', encoding="utf-8")
    run(pt, "--nb2prod", "--nb2prod-config", "ci.toml").assert_outcomes(failed=1)
    result = run(pt, "--nb2prod", "--nb2prod-config", "missing.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "missing.toml: no such configuration file" in result.stderr.str()


def test_colours_follow_pytest(pt: pytest.Pytester) -> None:
    write(pt.path / "nb.ipynb", "y = nope")
    assert "\x1b[" not in run(pt, "--nb2prod", "--nb2prod-select", "NB7").stdout.str()
    coloured = run(pt, "--nb2prod", "--nb2prod-select", "NB7", "--color=yes").stdout.str()
    assert "NB701" in coloured and "\x1b[" in coloured.split("nb.ipynb: lint")[1]


def test_unreadable_notebook_fails_with_its_one_line_reason(pt: pytest.Pytester) -> None:
    (pt.path / "broken.ipynb").write_text("{oops", encoding="utf-8")
    result = run(pt, "--nb2prod")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "broken.ipynb: error: invalid JSON: Expecting property name enclosed in double quotes" in out
    assert "Traceback" not in out


def test_bad_selector_is_a_usage_error(pt: pytest.Pytester) -> None:
    write(pt.path / "nb.ipynb", "x = 1")
    result = run(pt, "--nb2prod", "--nb2prod-select", "NB999")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown rule selector 'NB999'" in result.stderr.str()
    pt.makeini("[pytest]\nnb2prod_fail_on = sometimes\n")
    assert run(pt, "--nb2prod").ret == pytest.ExitCode.USAGE_ERROR


def test_marker_selects_notebooks(pt: pytest.Pytester) -> None:
    write(pt.path / "nb.ipynb", "x = 1")
    pt.makepyfile(test_code="def test_ok():\n    pass\n")
    both = run(pt, "--nb2prod", "--strict-markers", "--nb2prod-select", "NB7", "-v")
    both.assert_outcomes(passed=2)
    only = run(pt, "--nb2prod", "--strict-markers", "--nb2prod-select", "NB7", "-m", "nb2prod", "-v")
    only.assert_outcomes(passed=1, deselected=1)
    only.stdout.fnmatch_lines(["*nb.ipynb::lint PASSED*"])
    none = run(pt, "--nb2prod", "--strict-markers", "-m", "not nb2prod", "-v")
    none.assert_outcomes(passed=1, deselected=1)
    none.stdout.fnmatch_lines(["*test_code.py::test_ok PASSED*"])
    assert "nb2prod: a notebook check by nb2prod" in run(pt, "--markers").stdout.str()


def test_skips_what_nb2prod_lint_skips(pt: pytest.Pytester) -> None:
    (pt.path / ".git").mkdir()
    (pt.path / ".gitignore").write_text("scratch/\n", encoding="utf-8")
    pt.makepyprojecttoml('[tool.nb2prod]\nselect = ["NB7"]\nexclude = ["archive/"]\n')
    write(pt.path / "nbs" / "a.ipynb", "x = 1")
    for ignored in ("nbs/.ipynb_checkpoints/a-checkpoint.ipynb", "scratch/b.ipynb", "archive/c.ipynb"):
        write(pt.path / ignored, "y = nope")
    result = run(pt, "--nb2prod", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*nbs/a.ipynb::lint PASSED*"])
    # A file named on the command line is always checked, as by `nb2prod lint`.
    run(pt, "--nb2prod", "archive/c.ipynb").assert_outcomes(failed=1)


# -- execution (the kernel replaced by a recorded run) ---------------------------------


def _error(ename: str, evalue: str) -> tuple[str, str, list[str]]:
    tb = ["\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
          f"\x1b[0;31m{ename}\x1b[0m                            Traceback (most recent call last)",
          "Cell \x1b[0;32mIn[4], line 1\x1b[0m\n\x1b[0;32m----> 1\x1b[0m \x1b[38;5;28;01massert\x1b[39;00m acc > 0.9",
          f"\x1b[0;31m{ename}\x1b[0m: {evalue}"]
    return ename, evalue, tb


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch):
    """Replace execution with a given NotebookRun; records what was asked to run."""
    calls: list = []

    def use(run_result: NotebookRun) -> list:
        def fake(nb, options, cwd):  # same signature as plugin._run
            calls.append((nb, options, cwd))
            return run_result

        monkeypatch.setattr(plugin, "_run", fake)
        return calls

    return use


# Cells: 1 title, 2 training, 3 test (passes), 4 test (fails), 5 test (passes)
CELLS = ("x = 1", ("assert x == 1", ["test"]), ("acc = 0.5\nassert acc > 0.9", ["test"]),
         ("# nb2prod: test\nassert True", []))


def test_execute_and_one_item_per_test_cell(pt: pytest.Pytester, recorded) -> None:
    write(pt.path / "nb.ipynb", *CELLS)
    calls = recorded(NotebookRun(RAN, cells=[CellRun(2), CellRun(3), CellRun(4, error=_error("AssertionError", "")),
                                               CellRun(5)]))
    result = run(pt, "--nb2prod-execute", "--nb2prod-select", "NB7", "-v")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines([
        "*nb.ipynb::lint PASSED*",
        "*nb.ipynb::execute PASSED*",
        "*nb.ipynb::test_cell_3 PASSED*",
        "*nb.ipynb::test_cell_4 FAILED*",
        "*nb.ipynb::test_cell_5 PASSED*",  # tagged with the first-line comment
    ])
    out = result.stdout.str()
    assert "nb.ipynb:cell 4: AssertionError" in out and "----> 1 assert acc > 0.9" in out
    assert "\x1b[" not in out  # the kernel's colours are stripped without a terminal
    assert len(calls) == 1  # one run per notebook, shared by its items
    assert calls[0][2] == pt.path  # run in the notebook's folder


def test_failing_training_cell_fails_execute_and_errors_the_tests_after_it(pt: pytest.Pytester, recorded) -> None:
    write(pt.path / "nb.ipynb", *CELLS)
    recorded(NotebookRun(RAN,
                         cells=[CellRun(2, error=_error("ZeroDivisionError", "division by zero")),
                                CellRun(3, error=_error("NameError", "name 'x' is not defined")), CellRun(4),
                                CellRun(5)]))
    result = run(pt, "--nb2prod-execute", "--nb2prod-select", "NB7", "-v")
    result.assert_outcomes(passed=1, failed=1, errors=3)
    result.stdout.fnmatch_lines([
        "*nb.ipynb::execute FAILED*",
        "*nb.ipynb::test_cell_3 ERROR*",
    ])
    out = result.stdout.str()
    assert "nb.ipynb:cell 2: ZeroDivisionError: division by zero" in out
    assert "not run: cell 2 raised ZeroDivisionError before it (see nb.ipynb::execute)" in out
    assert "Traceback (most recent call last):\n  File" not in out  # no traceback of the plugin's


def test_no_kernel_and_timeout(pt: pytest.Pytester, recorded) -> None:
    write(pt.path / "nb.ipynb", *CELLS)
    recorded(NotebookRun(NO_KERNEL, message="no kernel named 'python3' is installed"))
    result = run(pt, "--nb2prod-execute", "--nb2prod-select", "NB7")
    result.assert_outcomes(passed=1, failed=1, errors=3)
    assert "nb.ipynb: no-kernel: no kernel named 'python3' is installed" in result.stdout.str()

    limit = "the cell ran longer than the cell time limit of 120 s"
    recorded(NotebookRun(TIMED_OUT, failed_cell=4, message=limit, reason="cell",
                         cells=[CellRun(2), CellRun(3), CellRun(4, error=("TimeoutError", limit, []))]))
    result = run(pt, "--nb2prod-execute", "--nb2prod-select", "NB7", "-v")
    result.assert_outcomes(passed=2, failed=2, errors=1)
    result.stdout.fnmatch_lines(["*::execute FAILED*", "*::test_cell_3 PASSED*", "*::test_cell_4 FAILED*",
                                 "*::test_cell_5 ERROR*"])
    out = result.stdout.str()
    assert f"nb.ipynb:cell 4: TimeoutError: {limit}" in out
    assert f"not run: the notebook stopped before cell 5 (timeout: {limit})" in out

    # A kernel that dies in a test cell: the notebook did not run through either.
    recorded(NotebookRun(KERNEL_DIED, failed_cell=3, message="the kernel died",
                         cells=[CellRun(2), CellRun(3, error=("DeadKernelError", "the kernel died", []))]))
    result = run(pt, "--nb2prod-execute", "--nb2prod-select", "NB7", "-v")
    result.stdout.fnmatch_lines(["*::execute FAILED*", "*::test_cell_3 FAILED*", "*::test_cell_4 ERROR*"])


def test_skipped_run_skips(pt: pytest.Pytester, recorded) -> None:
    write(pt.path / "nb.ipynb", *CELLS)
    recorded(NotebookRun(SKIPPED, message="kernel language is 'r'"))
    run(pt, "--nb2prod-execute", "--nb2prod-select", "NB7").assert_outcomes(passed=1, skipped=4)


def test_execute_options_reach_the_runner(pt: pytest.Pytester, recorded) -> None:
    write(pt.path / "sub" / "nb.ipynb", "x = 1")
    calls = recorded(NotebookRun(RAN, cells=[CellRun(2)]))
    pt.makeini("[pytest]\nnb2prod_execute = true\nnb2prod_cell_timeout = 30\n")
    result = run(pt, "--nb2prod-timeout", "0", "--nb2prod-kernel", "k1", "--nb2prod-select", "NB7", "-k", "execute")
    result.assert_outcomes(passed=1, deselected=1)
    _nb, options, cwd = calls[0]
    assert options.run == RunOptions(cell_timeout=30, timeout=0, kernel_name="k1")
    assert cwd == pt.path / "sub"


def test_execution_flags_and_ini_options_come_from_the_runners_declaration(pt: pytest.Pytester) -> None:
    out = " ".join(run(pt, "--help").stdout.str().split())  # help text wraps: compare with one space
    for o in declared(RunOptions):
        assert f"{o.pytest_flag}={o.unit}" in out, o.name
        assert f"with --nb2prod-execute: {o.help_for('pytest')}" in out, o.name
        assert f"{o.ini} (string): {o.help_for('pytest')} (as {o.pytest_flag})" in out, o.name
    assert "--nb2prod-cell-timeout=SECONDS with --nb2prod-execute: time limit of each cell (default: 120)" in out
    assert "whole run of the notebook, kernel start included; 0 for none (default: 600)" in out


def test_bad_time_limits_are_usage_errors(pt: pytest.Pytester, recorded) -> None:
    write(pt.path / "nb.ipynb", "x = 1")
    calls = recorded(NotebookRun(RAN))
    result = run(pt, "--nb2prod-execute", "--nb2prod-cell-timeout", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--nb2prod-cell-timeout '0': must be at least 1 second" in result.stderr.str()
    pt.makeini("[pytest]\nnb2prod_execute = true\nnb2prod_timeout = soon\n")
    result = run(pt)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "nb2prod_timeout = 'soon': not a whole number of seconds: 'soon'" in result.stderr.str()
    assert not calls
    run(pt, "--nb2prod-timeout", "30", "-k", "execute").assert_outcomes(passed=1, deselected=1)  # the flag wins
    assert calls[0][1].run == RunOptions(timeout=30)


def test_unreadable_notebook_with_execute(pt: pytest.Pytester, recorded) -> None:
    (pt.path / "broken.ipynb").write_text("[]", encoding="utf-8")
    calls = recorded(NotebookRun(RAN))
    result = run(pt, "--nb2prod-execute")
    result.assert_outcomes(failed=2)
    assert "broken.ipynb: error: not a notebook" in result.stdout.str() and not calls


def test_test_functions_in_test_cells_are_called() -> None:
    from nb2prod.notebook import notebook_from_dict

    book = v4.new_notebook(metadata=KERNEL_META)
    book.cells = [
        v4.new_code_cell("def test_a():\n    assert 1\n\ndef test_b(x=1):\n    pass\n\ndef helper():\n    pass",
                         metadata={"tags": ["test"]}),
        v4.new_code_cell("def test_c():\n    pass\ntest_c()", metadata={"tags": ["test"]}),
        v4.new_code_cell("def test_d(fixture):\n    pass", metadata={"tags": ["test"]}),
        v4.new_code_cell("def test_e():\n    pass"),  # not a test cell
    ]
    nb = notebook_from_dict(book)
    runnable = plugin._runnable(nb)
    assert runnable.cells[0].source.endswith("pass\ntest_a()\ntest_b()\n")
    assert [c.source for c in runnable.cells[1:]] == [c.source for c in nb.cells[1:]]
    assert [c.index for c in runnable.cells] == [1, 2, 3, 4]


# -- real execution (nb2prod.kernel_runner and a kernel) --------------------------------


@pytest.mark.slow
@pytest.mark.kernel
def test_real_execution_reports_per_test_cell(pt: pytest.Pytester) -> None:
    write(pt.path / "nb.ipynb",
          "import json\ndata = json.loads('[1, 2, 3]')",
          ("assert sum(data) == 6", ["test"]),
          ("def test_len():\n    assert len(data) == 4, 'expected four items'", ["test"]),
          ("assert data[0] == 1", ["test"]))
    result = run(pt, "--nb2prod-execute", "--nb2prod-select", "NB7", "-v")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines([
        "*nb.ipynb::execute PASSED*",
        "*nb.ipynb::test_cell_3 PASSED*",
        "*nb.ipynb::test_cell_4 FAILED*",
        "*nb.ipynb::test_cell_5 PASSED*",
    ])
    assert "nb.ipynb:cell 4: AssertionError: expected four items" in result.stdout.str()

    write(pt.path / "nb.ipynb", "x = 1 / 0", ("assert True", ["test"]))
    result = run(pt, "--nb2prod-execute", "--nb2prod-select", "NB7")
    result.assert_outcomes(passed=1, failed=1, errors=1)
    assert "nb.ipynb:cell 2: ZeroDivisionError: division by zero" in result.stdout.str()


def test_entry_point_when_installed() -> None:
    eps = [ep for ep in importlib.metadata.entry_points(group="pytest11") if ep.name == "nb2prod"]
    if not eps:
        pytest.skip("the pytest11 entry point is not installed in this environment (reinstall nb2prod)")
    assert eps[0].value == "nb2prod.pytest_plugin"
