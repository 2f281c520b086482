"""The one kernel runner (nb2prod.kernel_runner): its outcomes with a real kernel, its
options declared once, and the flags of `lint --execute`, `build` and pytest made from them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from nb2prod.cli import build_parser
from nb2prod.converter.execute import build_error
from nb2prod.execcheck import ExecutionOptions
from nb2prod.kernel_runner import (
    CELL_RAISED,
    COMMANDS,
    KERNEL_DIED,
    NO_KERNEL,
    OUTCOMES,
    RAN,
    TIMED_OUT,
    CellRun,
    NotebookRun,
    RunOptions,
    Step,
    declared,
    option,
    run_cells,
)

ROOT = Path(__file__).resolve().parent.parent
FAST = RunOptions(cell_timeout=20, timeout=60)


def help_text(command: str) -> str:
    """`nb2prod COMMAND --help`, on one line (argparse wraps it)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return " ".join(sub.choices[command].format_help().split())  # type: ignore[attr-defined]


# -- the declaration ------------------------------------------------------------------


def test_each_option_is_declared_once_with_its_defaults() -> None:
    assert [o.name for o in declared(RunOptions)] == ["cell_timeout", "timeout", "kernel_name"]
    assert [o.name for o in declared(ExecutionOptions)] == ["cell_timeout", "timeout", "kernel_name", "reproduce",
                                                            "images"]
    assert RunOptions() == RunOptions.for_command("lint") == RunOptions.for_command("pytest")
    assert (RunOptions().cell_timeout, RunOptions().timeout) == (120, 600)
    build = RunOptions.for_command("build")
    assert (build.cell_timeout, build.timeout, build.run_limit) == (600, 0, None)
    assert RunOptions.for_command("build", timeout=30, kernel_name=None).timeout == 30  # None: not given
    lint = ExecutionOptions.for_command("lint", reproduce=True)
    assert (lint.reproduce, lint.images, lint.cell_timeout) == (True, False, 120)
    for o in declared(ExecutionOptions):
        assert o.help and o.flag.startswith("--")
        if o.kind != "switch":
            assert o.unit and o.ini and o.ini.startswith("nb2prod_")


@pytest.mark.parametrize(("given", "problem"), [
    ({"cell_timeout": 0}, "--cell-timeout: must be at least 1 second"),
    ({"timeout": -1}, "--timeout: must not be negative: -1"),
    ({"timeout": "60"}, "--timeout: not a whole number of seconds: '60'"),
])
def test_options_are_checked_where_they_are_made(given: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        RunOptions(**given)


def test_a_declaration_names_only_known_commands() -> None:
    assert COMMANDS == ("lint", "build", "pytest")
    with pytest.raises(TypeError, match="unknown command"):
        option(flag="--x", help="x", default=1, serve=2)


@pytest.mark.parametrize(("command", "options"), [("lint", ExecutionOptions), ("build", RunOptions)])
def test_cli_flags_are_generated_from_the_declaration(command: str, options: type) -> None:
    text = help_text(command)
    for o in declared(options):
        shown = f"{o.flag} {o.unit}" if o.unit else o.flag
        assert f"{shown} {o.help_for(command)}" in text, o.name
    if command == "build":
        assert "--cell-timeout SECONDS time limit of each cell (default: 600)" in text
        assert "0 for none (default: 0, no limit)" in text
    else:
        assert "--cell-timeout SECONDS time limit of each cell (default: 120)" in text
        assert "0 for none (default: 600)" in text


def test_no_time_limit_default_is_typed_outside_the_declaration() -> None:
    """120 and 600 are written once, in nb2prod/kernel_runner.py."""
    literal = re.compile(r"(?:timeout\w*\s*(?::[^=\n]*)?=\s*\d+\b|default[^\n]{0,12}\b(?:120|600)\b)")
    for rel in ("nb2prod/cli.py", "nb2prod/pytest_plugin.py", "nb2prod/execcheck.py", "nb2prod/converter/execute.py",
                "nb2prod/converter/pipeline.py"):
        text = (ROOT / rel).read_text(encoding="utf-8")
        assert not literal.findall(text), rel


def test_build_maps_each_outcome_to_its_error_in_one_place() -> None:
    options = RunOptions.for_command("build", cell_timeout=5, timeout=30)
    assert build_error(NotebookRun(RAN), options) is None
    cases = [
        (NotebookRun(TIMED_OUT, 4, reason="cell", failed_step="cell 4"),
         "cell 4 took longer than 5 s (--cell-timeout)"),
        (NotebookRun(TIMED_OUT, 4, reason="run", failed_step="cell 4"),
         "the notebook ran longer than the build's time limit of 30 s (--timeout): stopped in cell 4"),
        (NotebookRun(TIMED_OUT, reason="run"), "the kernel did not start within the build's time limit of 30 s"),
        (NotebookRun(KERNEL_DIED, 2, failed_step="cell 2"), "the kernel died while running cell 2"),
        (NotebookRun(NO_KERNEL, reason="not-installed", kernel="k9"),
         "no Jupyter kernel named 'k9': install ipykernel in the environment the notebook needs"),
        (NotebookRun(NO_KERNEL, message="kernel 'k9' did not start: boom", reason="did-not-start"),
         "could not run the notebook: kernel 'k9' did not start: boom"),
        (NotebookRun(CELL_RAISED, 3, failed_step="cell 3", cells=[CellRun(3, error=("SystemExit", "3", []))]),
         "cell 3 called sys.exit(3): the build runs every cell that is not tagged `skip`"),
        (NotebookRun(CELL_RAISED, None, failed_step="the build's capture step",
                     cells=[CellRun(None, error=("KeyError", "'x'\n  more", []))]),
         "the build's capture step raised KeyError: 'x' more"),
    ]
    for run, message in cases:
        error = build_error(run, options)
        assert error is not None and message in str(error), (run, str(error))


# -- the runner, with a real kernel ------------------------------------------------------


@pytest.mark.slow
@pytest.mark.kernel
def test_ran_then_after_steps_in_the_same_kernel(tmp_path: Path) -> None:
    started: list[tuple[int, str]] = []
    steps = [Step("x = 40", 2), Step("raise ValueError('on purpose')", 3, ("raises-exception",)),
             Step("import os\nprint(os.getcwd())", 4)]
    after = [Step("print(x + 2)", label="the capture")]
    run = run_cells(steps, FAST, kernel="python3", cwd=tmp_path, after=after,
                    on_cell_start=lambda i, step: started.append((i, step.name)))
    assert (run.outcome, run.verdict, run.failed_cell, run.kernel) == (RAN, "ran", None, "python3")
    assert started == [(0, "cell 2"), (1, "cell 3"), (2, "cell 4"), (3, "the capture")]
    assert [c.index for c in run.cells] == [2, 3, 4, None]
    assert run.cells[1].error is not None and run.cells[1].error[:2] == ("ValueError", "on purpose")
    assert run.cells[2].outputs[0]["text"].strip() == str(tmp_path)  # run in cwd
    assert run.cells[3].outputs == [{"output_type": "stream", "name": "stdout", "text": "42\n"}]


@pytest.mark.slow
@pytest.mark.kernel
def test_a_cell_that_raises_stops_the_run_before_the_after_steps(tmp_path: Path) -> None:
    run = run_cells([Step("x = 1", 1), Step("y = x / 0", 2), Step("print('never')", 3)], FAST, kernel="python3",
                    cwd=tmp_path, after=[Step("print('capture')", label="the capture")])
    assert (run.outcome, run.verdict, run.failed_cell, run.failed_step) == (CELL_RAISED, "failed", 2, "cell 2")
    assert run.message == "ZeroDivisionError: division by zero"
    assert [c.index for c in run.cells] == [1, 2]

    run = run_cells([Step("x = 1", 1)], FAST, kernel="python3", cwd=tmp_path,
                    after=[Step("1 / 0", label="the capture")])
    assert (run.outcome, run.failed_cell, run.failed_step) == (CELL_RAISED, None, "the capture")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
@pytest.mark.kernel
def test_the_cell_limit_and_the_whole_run_limit(tmp_path: Path) -> None:
    steps = [Step("import os\nprint(os.getpid())", 1), Step("import time\ntime.sleep(60)", 2)]
    start = time.monotonic()
    run = run_cells(steps, RunOptions(cell_timeout=2, timeout=60), kernel="python3", cwd=tmp_path)
    assert time.monotonic() - start < 20
    assert (run.outcome, run.verdict, run.reason, run.failed_cell) == (TIMED_OUT, "timeout", "cell", 2)
    assert run.message == "the cell ran longer than the cell time limit of 2 s"
    assert _gone(int(run.cells[0].outputs[0]["text"]))  # killed and reaped

    start = time.monotonic()
    run = run_cells(steps, RunOptions(cell_timeout=100, timeout=5), kernel="python3", cwd=tmp_path)
    assert time.monotonic() - start < 5 + 10
    assert (run.outcome, run.reason, run.failed_cell) == (TIMED_OUT, "run", 2)
    assert run.message == "the notebook ran longer than its time limit of 5 s"
    assert _gone(int(run.cells[0].outputs[0]["text"]))


@pytest.mark.slow
@pytest.mark.kernel
def test_a_kernel_that_dies_and_a_kernel_that_is_not_there(tmp_path: Path) -> None:
    run = run_cells([Step("x = 1", 1), Step("import os\nos._exit(1)", 2), Step("x", 3)], FAST, kernel="python3",
                    cwd=tmp_path)
    assert (run.outcome, run.verdict, run.failed_cell, run.failed_step) == (KERNEL_DIED, "failed", 2, "cell 2")
    assert run.cells[-1].error is not None and run.cells[-1].error[0] == "DeadKernelError"

    start = time.monotonic()
    run = run_cells([Step("x = 1", 1)], FAST, kernel="no-such-kernel-here", cwd=tmp_path)
    assert time.monotonic() - start < 5
    assert (run.outcome, run.verdict, run.reason, run.kernel) == (NO_KERNEL, "no-kernel", "not-installed",
                                                                   "no-such-kernel-here")
    assert run.message == "no Jupyter kernel named 'no-such-kernel-here' is installed here"
    assert run.outcome in OUTCOMES and run.cells == []


# -- `nb2prod build`: --cell-timeout per cell, --timeout for the whole run ------------------------


def _slow_notebook(tmp_path: Path) -> Path:
    book = v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                    "display_name": "Python 3"}})
    book.cells = [v4.new_code_cell("model = 2.0"), v4.new_code_cell("import time\ntime.sleep(60)"),
                  v4.new_code_cell("def predict(x: float) -> float:\n    return model * x",
                                   metadata={"tags": ["predict"]})]
    path = tmp_path / "train.ipynb"
    nbformat.write(book, path)
    return path


def _build(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nb2prod", "build", "train.ipynb", "-o", "svc", "--no-gate", *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"})


@pytest.mark.slow
@pytest.mark.kernel
@pytest.mark.parametrize(("flags", "expected"), [
    (("--cell-timeout", "2"), "train.ipynb: cell 2 took longer than 2 s (--cell-timeout)"),
    (("--timeout", "6"), "train.ipynb: the notebook ran longer than the build's time limit of 6 s (--timeout): "
                         "stopped in cell 2"),
])
def test_build_time_limit_flags(tmp_path: Path, flags: tuple[str, str], expected: str) -> None:
    _slow_notebook(tmp_path)
    start = time.monotonic()
    r = _build(tmp_path, *flags)
    assert time.monotonic() - start < 40
    assert r.returncode == 2, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last == f"nb2prod: error: {expected}", r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.ipynb"]


def test_build_time_limit_flags_are_checked(tmp_path: Path) -> None:
    _slow_notebook(tmp_path)
    for flags, problem in ((("--cell-timeout", "0"), "argument --cell-timeout: must be at least 1 second"),
                           (("--timeout", "soon"), "argument --timeout: not a whole number of seconds: 'soon'")):
        r = _build(tmp_path, *flags)
        assert r.returncode == 2 and r.stderr.strip().splitlines()[-1] == f"nb2prod: error: {problem}", r.stderr
