"""`nb2prod lint --execute [--reproduce]`: fresh-kernel runs, verdicts, output comparison.

Kernels start in about a second; time limits here are short, but far above what the
cells need, so that only the cells meant to time out do.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from nb2prod.config import Overrides, settings_from_table
from nb2prod.engine import ExecutionOptions, lint_file, lint_notebook
from nb2prod.execcheck import (
    NORMALISERS,
    describe_difference,
    execution_findings,
    normalise_outputs,
    normalise_text,
    run_notebook,
)
from nb2prod.kernel_runner import RunOptions
from nb2prod.notebook import read_notebook

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
PAPERMILL = CORPUS / "nteract__papermill"

PY = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
      "language_info": {"name": "python", "version": "3.11"}}
EXEC_RULES = ["NB307", "NB308", "NB309", "NB310"]
FAST = ExecutionOptions(cell_timeout=20, timeout=60)
FAST_RUN = RunOptions(cell_timeout=20, timeout=60)


def write(path: Path, *cells, metadata: dict | None = None) -> Path:
    """Cells are sources (code), ("md", text), or dicts of new_code_cell arguments."""
    book = v4.new_notebook(metadata=dict(PY if metadata is None else metadata))
    for c in cells:
        if isinstance(c, tuple) and c[0] == "md":
            book.cells.append(v4.new_markdown_cell(c[1]))
        elif isinstance(c, dict):
            c = dict(c)
            outputs = [nbformat.from_dict(o) for o in c.pop("outputs", [])]
            count = c.pop("count", None)
            cell = v4.new_code_cell(**c)
            cell.outputs, cell.execution_count = outputs, count
            book.cells.append(cell)
        else:
            book.cells.append(v4.new_code_cell(c))
    for i, cell in enumerate(book.cells, start=1):
        cell["id"] = f"c{i}"
    nbformat.write(book, path)
    return path


def stdout(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def lint(path: Path, *, select=EXEC_RULES, execution: ExecutionOptions | None = FAST):
    settings = settings_from_table({"select": list(select)}, None, Overrides())
    return lint_notebook(read_notebook(path), settings, raise_errors=True, execution=execution)


def nb2prod(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nb2prod", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1"}, timeout=timeout)


# -- the notebooks ---------------------------------------------------------


@pytest.fixture
def out_of_order(tmp_path: Path) -> Path:
    """Cell 2 reads `total`, which cell 3 defines: the saved counts show 3 ran first."""
    return write(
        tmp_path / "out_of_order.ipynb",
        ("md", "# Totals"),
        {"source": "print(total)", "count": 2, "outputs": [stdout("6\n")]},
        {"source": "total = sum([1, 2, 3])", "count": 1},
        {"source": "print('done')", "count": 3, "outputs": [stdout("done\n")]},
    )


@pytest.mark.slow
@pytest.mark.kernel
def test_out_of_order_notebook_fails_execute_at_the_cell_that_needs_the_later_one(out_of_order: Path) -> None:
    before = out_of_order.read_bytes()
    run = run_notebook(read_notebook(out_of_order), FAST_RUN)
    assert (run.verdict, run.failed_cell) == ("failed", 2)
    assert run.message == "NameError: name 'total' is not defined"
    assert [c.index for c in run.cells] == [2]  # stopped there: cell 3 never ran
    ename, evalue, traceback = run.cells[0].error
    assert ename == "NameError" and "total" in evalue and traceback
    assert run.describe() == "failed at cell 2 (NameError: name 'total' is not defined)"

    result = lint(out_of_order)
    [f] = result.findings
    assert (f.code, f.cell, f.line, f.severity.label) == ("NB307", 2, 1, "error")
    assert "NameError: name 'total' is not defined" in f.message and f.source_line == "print(total)"
    assert result.execution["verdict"] == "failed" and result.execution["failed_cell"] == 2
    assert result.score is not None and result.score.total < 100
    assert out_of_order.read_bytes() == before  # never written


@pytest.mark.slow
@pytest.mark.kernel
def test_execution_findings_are_suppressed_and_regraded_like_any_other(out_of_order: Path) -> None:
    book = nbformat.read(out_of_order, as_version=4)
    book.cells[1].source = "print(total)  # noqa: NB307"
    nbformat.write(book, out_of_order)
    result = lint(out_of_order, select=["NB307", "NB720"])
    assert result.findings == [] and result.execution["verdict"] == "failed"  # the noqa was used
    book.cells[1].source = "print(total)"
    book.cells[1].metadata["tags"] = ["nb2prod:ignore:NB307"]
    nbformat.write(book, out_of_order)
    assert lint(out_of_order).findings == []
    book.cells[1].metadata["tags"] = []
    nbformat.write(book, out_of_order)
    settings = settings_from_table({"select": ["NB307"], "severity": {"NB307": "info"}}, None, Overrides())
    [f] = lint_notebook(read_notebook(out_of_order), settings, execution=FAST).findings
    assert f.severity.label == "info"


def _numpy_notebook(path: Path, seeded: bool) -> Path:
    seed = "np.random.seed(0)\n" if seeded else ""
    return write(
        path,
        ("md", "# Noise"),
        {"source": f"import numpy as np\n{seed}", "count": 1},
        {"source": "noise = np.random.rand(3)\nprint(noise.round(6))", "count": 2,
         "outputs": [stdout("[0.548814 0.715189 0.602763]\n")]},
        {"source": "print('mean is computed')", "count": 3, "outputs": [stdout("mean is computed\n")]},
    )


@pytest.mark.slow
@pytest.mark.kernel
def test_unseeded_randomness_passes_execute_but_fails_reproduce_at_its_cell(tmp_path: Path) -> None:
    path = _numpy_notebook(tmp_path / "unseeded.ipynb", seeded=False)
    executed = lint(path)
    assert executed.execution["verdict"] == "ran" and executed.execution["runs"] == 1
    assert executed.findings == []
    reproduced = lint(path, execution=ExecutionOptions(reproduce=True, cell_timeout=20, timeout=60))
    assert reproduced.execution["runs"] == 2
    assert [(f.code, f.cell) for f in reproduced.findings] == [("NB308", 3)]
    message = reproduced.findings[0].message
    assert message.startswith("outputs differ between two fresh runs: stdout line 1 is `[0.")
    assert "in the first run" in message and "in the second run" in message


@pytest.mark.slow
@pytest.mark.kernel
def test_seeded_version_passes_reproduce(tmp_path: Path) -> None:
    path = _numpy_notebook(tmp_path / "seeded.ipynb", seeded=True)
    # Save the notebook as a fresh run leaves it (Restart & Run All, then save).
    run = run_notebook(read_notebook(path), FAST_RUN)
    book = nbformat.read(path, as_version=4)
    for cell_run in run.cells:
        book.cells[cell_run.index - 1].outputs = [nbformat.from_dict(o) for o in cell_run.outputs]
    nbformat.write(book, path)
    result = lint(path, execution=ExecutionOptions(reproduce=True, cell_timeout=20, timeout=60))
    assert result.findings == [] and result.execution["verdict"] == "ran"


@pytest.mark.slow
@pytest.mark.kernel
def test_stale_saved_output_is_reported_against_the_fresh_run(tmp_path: Path) -> None:
    path = write(
        tmp_path / "stale.ipynb",
        {"source": "rows = 1200\nrows", "count": 1,
         "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                      "data": {"text/plain": "1000"}}]},
        {"source": "print(object())", "count": 2, "outputs": [stdout("<object object at 0x7f00deadbeef>\n")]},
    )
    result = lint(path, execution=ExecutionOptions(reproduce=True, cell_timeout=20, timeout=60))
    [f] = result.findings
    assert (f.code, f.cell) == ("NB309", 1)
    assert "`1000` in the saved notebook, `1200` in the fresh run" in f.message


# -- tags, verdicts, time limits ------------------------------------------------------


@pytest.mark.slow
@pytest.mark.kernel
def test_skip_cells_are_not_run_and_raises_exception_cells_may_raise(tmp_path: Path) -> None:
    path = write(
        tmp_path / "tags.ipynb",
        {"source": "x = 1"},
        {"source": "plot(x)", "metadata": {"tags": ["skip"]}},
        {"source": "# nb2prod: skip\nshow(x)"},
        {"source": "raise ValueError('on purpose')", "metadata": {"tags": ["raises-exception"]}},
        {"source": "print(x)"},
        {"source": "   "},
    )
    run = run_notebook(read_notebook(path), FAST_RUN)
    assert run.verdict == "ran" and run.failed_cell is None
    assert [c.index for c in run.cells] == [1, 4, 5]
    assert run.cell(4).error[:2] == ("ValueError", "on purpose")
    assert run.cell(5).outputs == [{"output_type": "stream", "name": "stdout", "text": "1\n"}]


@pytest.mark.slow
@pytest.mark.kernel
def test_allow_errors_runs_past_failing_cells(tmp_path: Path) -> None:
    path = write(tmp_path / "errors.ipynb", "1 / 0", "print('after')")
    run = run_notebook(read_notebook(path), FAST_RUN, allow_errors=True)
    assert run.verdict == "ran" and [c.index for c in run.cells] == [1, 2]
    assert run.cell(1).error[0] == "ZeroDivisionError" and run.cell(2).error is None


@pytest.mark.slow
@pytest.mark.kernel
def test_notebook_timeout_bounds_the_run_and_kills_the_kernel(tmp_path: Path) -> None:
    path = write(tmp_path / "loop.ipynb", "import os\nprint(os.getpid())", "while True:\n    pass", "print('never')")
    start = time.monotonic()
    run = run_notebook(read_notebook(path), RunOptions(cell_timeout=100, timeout=4))
    took = time.monotonic() - start
    assert (run.verdict, run.failed_cell) == ("timeout", 2)
    assert run.message == "the notebook ran longer than its time limit of 4 s"
    assert took < 4 + 5, took
    pid = int(run.cell(1).outputs[0]["text"])
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(pid, 0)
    [f] = lint(path, execution=ExecutionOptions(cell_timeout=2, timeout=60)).findings
    assert (f.code, f.cell) == ("NB310", 2)
    assert "the cell ran longer than the cell time limit of 2 s" in f.message


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"kernelspec": {"name": "no-such-kernel", "language": "python", "display_name": "x"}},
         "no Jupyter kernel named 'no-such-kernel' is installed here"),
        ({"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}, "language_info": {"name": "R"}},
         "no Jupyter kernel named 'ir' is installed here"),
        ({"language_info": {"name": "julia"}}, "the notebook records no kernel for its language (julia)"),
    ],
)
def test_no_kernel_is_a_quick_verdict(tmp_path: Path, metadata: dict, message: str) -> None:
    path = write(tmp_path / "other.ipynb", "x <- 1", metadata=metadata)
    start = time.monotonic()
    run = run_notebook(read_notebook(path), FAST_RUN)
    assert (run.verdict, run.message) == ("no-kernel", message)
    assert time.monotonic() - start < 5
    findings, first = execution_findings(read_notebook(path), reproduce=True, cell_timeout=20, timeout=60)
    assert first.verdict == "no-kernel" and [f.code for f in findings] == ["NB310"]
    result = lint(path)
    [f] = result.findings
    assert (f.code, f.cell, f.severity.label) == ("NB310", 1, "error")
    assert f.message == f"the notebook could not be run: {message}"
    assert result.execution["runs"] == 0


def test_nothing_to_run_and_no_execution_rule_selected_are_skipped(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.ipynb", ("md", "# Only prose"), "  ")
    assert run_notebook(read_notebook(empty)).verdict == "skipped"
    path = write(tmp_path / "x.ipynb", "undefined_name")
    result = lint(path, select=["NB7"])
    assert result.execution["verdict"] == "skipped"  # nothing would use the run: not run
    assert lint(path, select=["NB7"], execution=None).execution is None


@pytest.mark.slow
@pytest.mark.kernel
def test_kernel_override(tmp_path: Path) -> None:
    path = write(tmp_path / "k.ipynb", "print(1)",
                 metadata={"kernelspec": {"name": "conda-env-old-py", "language": "python", "display_name": "x"}})
    assert run_notebook(read_notebook(path)).verdict == "no-kernel"
    override = RunOptions(cell_timeout=20, timeout=60, kernel_name="python3")
    assert run_notebook(read_notebook(path), override).verdict == "ran"


# -- normalisation ------------------------------------------------------------------------


def test_normalisers_are_a_small_documented_table() -> None:
    assert 5 <= len(NORMALISERS) <= 15
    assert all(isinstance(what, str) and what for what, _, _ in NORMALISERS)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("<__main__.Model object at 0x7f3a2b1c0d10>", "<__main__.Model object at 0x10e4f9a90>"),
        ("[<matplotlib.lines.Line2D at 0x7f1a2b3c4d50>]", "[<matplotlib.lines.Line2D at 0x7f9e8d7c6b40>]"),
        ("CPU times: user 3.2 ms, sys: 0 ns, total: 3.2 ms\nWall time: 3.21 ms",
         "CPU times: user 1.1 s, sys: 20 ms, total: 1.12 s\nWall time: 1.5 s"),
        ("1.23 ms ± 45.6 µs per loop (mean ± std. dev. of 7 runs, 1,000 loops each)",
         "998 µs ± 12.1 µs per loop (mean ± std. dev. of 7 runs, 1,000 loops each)"),
        ("training took 1.23s", "training took 0.98s"),
        ("Elapsed time: 12.5 seconds", "Elapsed time: 11 seconds"),
        ("2024-01-02 10:11:12,345 INFO done", "2025-06-07 08:09:10,111 INFO done"),
        ("model 1c9e7f9e-4b1a-4c5e-9f3e-2b7c8d9e0f1a", "model 0b8f6e8d-3a0b-4b4d-8e2d-1a6b7c8d9e0f"),
        ("epoch 1\r 10%|█         | 1/10 [00:00<00:01, 9.1it/s]\r100%|██████████| 10/10 [00:01<00:00, 9.9it/s]",
         "epoch 1\r100%|██████████| 10/10 [00:02<00:00, 4.5it/s]"),
        ("3/3 [==============================] - 0s 2ms/step - loss: 0.5",
         "3/3 [==============================] - 1s 9ms/step - loss: 0.5"),
        ("\rstep 1\rstep 2\rstep 3\ndone   \n\n", "step 3\ndone"),
        ("abc\x08\x08\x08xyz", "xyz"),
        ("\x1b[31mred\x1b[0m", "red"),
    ],
)
def test_what_legitimately_changes_is_normalised(a: str, b: str) -> None:
    assert normalise_text(a) == normalise_text(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("accuracy 0.93", "accuracy 0.91"),
        ("[0.548814 0.715189]", "[0.417022 0.720324]"),
        ("rows: 1000", "rows: 1200"),
        ("took 3 batches", "took 4 batches"),
    ],
)
def test_real_differences_survive_normalisation(a: str, b: str) -> None:
    assert normalise_text(a) != normalise_text(b)


def test_normalise_outputs_drops_counts_metadata_stderr_and_merges_streams() -> None:
    saved = [
        {"output_type": "stream", "name": "stdout", "text": ["a\n", "b\n"]},
        {"output_type": "stream", "name": "stderr", "text": "/home/x/lib.py:3: FutureWarning: soon\n"},
        {"output_type": "execute_result", "execution_count": 7, "metadata": {"foo": 1},
         "data": {"text/plain": ["<Foo at 0x7f00aa>"]}},
    ]
    fresh = [
        {"output_type": "stream", "name": "stdout", "text": "a\n"},
        {"output_type": "stream", "name": "stdout", "text": "b  \n"},
        {"output_type": "execute_result", "execution_count": 2, "metadata": {},
         "data": {"text/plain": "<Foo at 0x55bb11>"}},
    ]
    assert normalise_outputs(saved) == normalise_outputs(fresh) == [
        {"type": "stream", "name": "stdout", "text": "a\nb"},
        {"type": "data", "data": {"text/plain": "<Foo at 0x…>"}},
    ]
    assert normalise_outputs(saved, stderr=True) != normalise_outputs(fresh, stderr=True)
    err = {"output_type": "error", "ename": "KeyError", "evalue": "'x'", "traceback": ["Cell In[3], line 1"]}
    assert normalise_outputs([err]) == [{"type": "error", "ename": "KeyError", "evalue": "'x'"}]


def test_images_compare_by_presence_unless_asked() -> None:
    png1 = {"output_type": "display_data", "metadata": {"image/png": {"width": 400}},
            "data": {"image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAA=\n", "text/plain": "<Figure size 640x480>"}}
    png2 = {"output_type": "display_data", "metadata": {},
            "data": {"image/png": "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAAA=\n", "text/plain": "<Figure size 640x480>"}}
    assert normalise_outputs([png1]) == normalise_outputs([png2])
    assert normalise_outputs([png1], images=True) != normalise_outputs([png2], images=True)
    assert normalise_outputs([png1], images=True) == normalise_outputs([png1 | {}], images=True)
    no_image = {"output_type": "display_data", "metadata": {}, "data": {"text/plain": "<Figure size 640x480>"}}
    assert normalise_outputs([png1]) != normalise_outputs([no_image])
    why = describe_difference(normalise_outputs([png1], images=True), normalise_outputs([png2], images=True))
    assert why == "output 1: the image/png image differs"


def test_describe_difference_names_the_first_difference() -> None:
    a = normalise_outputs([stdout("same\nacc 0.93\n")])
    b = normalise_outputs([stdout("same\nacc 0.91\n")])
    assert describe_difference(a, a) is None
    assert describe_difference(a, b, ("saved notebook", "fresh run")) == (
        "stdout line 2 is `acc 0.93` in the saved notebook, `acc 0.91` in the fresh run")
    assert describe_difference(a, []) == "output 1 (stdout `same\nacc 0.93`) only in the before"


# -- the command line ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.kernel
def test_cli_execute_json_end_to_end(tmp_path: Path, out_of_order: Path) -> None:
    _numpy_notebook(tmp_path / "unseeded.ipynb", seeded=False)
    before = {p.name: p.read_bytes() for p in tmp_path.glob("*.ipynb")}
    r = nb2prod("lint", "out_of_order.ipynb", "unseeded.ipynb", "--select", "NB3", "--execute", "--reproduce",
                "--cell-timeout", "20", "--timeout", "60", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1, r.stderr  # NB307 is an error
    assert "Traceback" not in r.stderr
    doc = json.loads(r.stdout)
    by_path = {nb["path"]: nb for nb in doc["notebooks"]}
    failed = by_path["out_of_order.ipynb"]
    assert failed["execution"]["verdict"] == "failed" and failed["execution"]["failed_cell"] == 2
    assert ("NB307", 2) in {(f["code"], f["cell"]) for f in failed["findings"]}
    unseeded = by_path["unseeded.ipynb"]
    assert unseeded["execution"]["verdict"] == "ran" and unseeded["execution"]["runs"] == 2
    assert [(f["code"], f["cell"]) for f in unseeded["findings"]] == [("NB308", 3)]
    assert doc["summary"]["executed"] == {"failed": 1, "ran": 1}
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.ipynb")} == before

    # Only the warning left: --fail-on decides, as for every other rule.
    args = ("lint", "unseeded.ipynb", "--select", "NB308", "--reproduce", "--cell-timeout", "20")
    text = nb2prod(*args, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "unseeded.ipynb:cell 3:1:1: NB308 [warning] outputs differ between two fresh runs" in text.stdout
    assert "unseeded.ipynb: executed twice: ran 3 cells in" in text.stdout
    assert nb2prod(*args, "--fail-on", "warning", "-q", cwd=tmp_path).returncode == 1


@pytest.mark.slow
@pytest.mark.kernel
def test_cli_text_line_and_usage_errors(tmp_path: Path, out_of_order: Path) -> None:
    r = nb2prod("lint", "out_of_order.ipynb", "--select", "NB307", "--execute", cwd=tmp_path)
    assert r.returncode == 1
    assert "out_of_order.ipynb: executed: failed at cell 2 (NameError: name 'total' is not defined)" in r.stdout
    for bad in (["--cell-timeout", "5"], ["--kernel", "python3"], ["--execute", "--cell-timeout", "0"],
                ["--execute", "--timeout", "-1"], ["--execute", "--timeout", "soon"]):
        u = nb2prod("lint", "out_of_order.ipynb", *bad, cwd=tmp_path)
        assert u.returncode == 2 and "Traceback" not in u.stderr, bad
        assert u.stderr.strip().splitlines()[-1].startswith(("nb2prod: error:",)), u.stderr


@pytest.mark.slow
@pytest.mark.kernel
def test_lint_file_and_paths_pass_execution_through(tmp_path: Path, out_of_order: Path) -> None:
    result = lint_file(out_of_order, Overrides(select=("NB307",)), execution=FAST)
    assert [f.code for f in result.findings] == ["NB307"]
    assert result.to_dict()["execution"]["verdict"] == "failed"
    assert lint_file(out_of_order, Overrides(select=("NB307",))).to_dict()["execution"] is None


# -- the papermill corpus: a verdict for every notebook, never a hang -----------------------


@pytest.mark.slow
@pytest.mark.kernel
@pytest.mark.corpus
@pytest.mark.skipif(not PAPERMILL.is_dir(), reason=f"corpus not found at {PAPERMILL}")
def test_papermill_corpus_gets_a_verdict_for_every_notebook_in_bounded_time(tmp_path: Path) -> None:
    # A copy: some of these notebooks write next to themselves (papermill outputs).
    corpus = tmp_path / "papermill"
    shutil.copytree(PAPERMILL, corpus)
    notebooks = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*.ipynb"))
    assert len(notebooks) == 28
    start = time.monotonic()
    r = nb2prod("lint", ".", "--execute", "--select", "NB307,NB310", "--cell-timeout", "5", "--timeout", "20",
                "--jobs", "4", "--format", "json", cwd=corpus, timeout=300)  # the hard bound
    took = time.monotonic() - start
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    doc = json.loads(r.stdout)
    verdicts = {nb["path"]: nb["execution"] for nb in doc["notebooks"]}
    assert sorted(verdicts) == notebooks
    assert all(v["verdict"] in ("ran", "failed", "timeout", "no-kernel", "skipped") for v in verdicts.values())
    base = "papermill/tests/notebooks/"
    expected = {
        "binder/cli-simple/simple_input.ipynb": ("ran", None),
        base + "simple_execute.ipynb": ("ran", None),
        base + "broken1.ipynb": ("failed", 7),  # assert False
        base + "sysexit1.ipynb": ("failed", 2),
        base + "line_magic_error.ipynb": ("failed", 1),
        base + "keyboard_interrupt.ipynb": ("timeout", 1),  # sleep(60)
        base + "notimplemented_translator.ipynb": ("no-kernel", None),  # an R notebook
        base + "blank-vscode.ipynb": ("skipped", None),
    }
    for path, (verdict, cell) in expected.items():
        assert (verdicts[path]["verdict"], verdicts[path]["failed_cell"]) == (verdict, cell), path
    for nb in doc["notebooks"]:  # every failure is a finding at its cell
        e = nb["execution"]
        if e["verdict"] in ("failed", "timeout"):
            assert {(f["code"], f["cell"]) for f in nb["findings"]} & {("NB307", e["failed_cell"]),
                                                                        ("NB310", e["failed_cell"])}, nb["path"]
    # 28 notebooks, two cells limited to 5 s, four at a time: far from the hard bound.
    assert took < 120, took
    print(f"papermill corpus: {len(notebooks)} notebooks executed in {took:.1f} s: {doc['summary']['executed']}")


@pytest.mark.slow
@pytest.mark.kernel
def test_runs_from_inside_a_running_event_loop(tmp_path: Path) -> None:
    """As in a Jupyter kernel (the widget) or the JupyterLab server: a thread of its own."""
    path = write(tmp_path / "loop.ipynb", "print(40 + 2)")

    async def main():
        return run_notebook(read_notebook(path), FAST_RUN)

    run = asyncio.run(main())
    assert run.verdict == "ran" and run.cells[0].outputs[0]["text"] == "42\n"
