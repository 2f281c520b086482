"""Bad builds: a clear one-line error, a non-zero exit, and nothing written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat import v4

from nb2prod.converter.errors import BuildError
from nb2prod.converter.plan import make_plan, parse_parameter
from nb2prod.notebook import read_notebook

pytestmark = [pytest.mark.slow, pytest.mark.kernel]  # most tests run a build, in a kernel
META = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
        "language_info": {"name": "python", "version": "3.11"}}


def notebook(tmp_path: Path, *cells: tuple[str, list[str]], name: str = "train.ipynb") -> Path:
    book = v4.new_notebook(metadata=META)
    book.cells = [v4.new_markdown_cell("# Model")] + [
        v4.new_code_cell(src, metadata={"tags": tags}) for src, tags in cells
    ]
    path = tmp_path / name
    nbformat.write(book, path)
    return path


def cli_build(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nb2prod", "build", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})


def assert_failed_cleanly(r: subprocess.CompletedProcess, tmp_path: Path, *expected: str) -> None:
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("nb2prod: error: train.ipynb: ")
    for text in expected:
        assert text in last
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name != "train.ipynb")
    assert leftovers == [], leftovers


GOOD_PREDICT = ("def predict(x: float) -> float:\n    return model * x", ["predict"])


def test_no_predict_cell(tmp_path: Path) -> None:
    notebook(tmp_path, ("model = 2.0", []))
    r = cli_build(tmp_path, "train.ipynb", "-o", "svc", "--no-gate")
    assert_failed_cleanly(r, tmp_path, "no cell is tagged `predict`")


def test_predict_is_not_a_function(tmp_path: Path) -> None:
    notebook(tmp_path, ("model = 2.0", []), ("predict = lambda x: model * x", ["predict"]))
    r = cli_build(tmp_path, "train.ipynb", "-o", "svc", "--no-gate")
    assert_failed_cleanly(r, tmp_path, "cell 3", "`predict` is assigned, not defined")


def test_unpicklable_artifact(tmp_path: Path) -> None:
    notebook(tmp_path, ("model = (i for i in range(3))", []),
             ("def predict(x: float) -> float:\n    return next(model) * x", ["predict"]))
    r = cli_build(tmp_path, "train.ipynb", "-o", "svc", "--no-gate")
    assert_failed_cleanly(r, tmp_path, "artifact `model` (defined in cell 2) cannot be serialised", "generator")


def test_open_file_artifact(tmp_path: Path) -> None:
    notebook(tmp_path, ("model = open(__import__('os').devnull)", []),
             ("def predict(x: float) -> float:\n    return x if model else 0.0", ["predict"]))
    r = cli_build(tmp_path, "train.ipynb", "-o", "svc", "--no-gate")
    assert_failed_cleanly(r, tmp_path, "artifact `model` (defined in cell 2) cannot be serialised")


def test_a_cell_that_raises(tmp_path: Path) -> None:
    notebook(tmp_path, ("model = 2.0", []), ("raise ValueError('bad data')", []), GOOD_PREDICT)
    r = cli_build(tmp_path, "train.ipynb", "-o", "svc", "--no-gate")
    assert_failed_cleanly(r, tmp_path, "cell 3 raised ValueError: bad data")


def test_target_not_empty(tmp_path: Path) -> None:
    notebook(tmp_path, ("model = 2.0", []), GOOD_PREDICT)
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "mine.txt").write_text("keep me")
    r = cli_build(tmp_path, "train.ipynb", "-o", "svc", "--no-gate")
    assert r.returncode == 2 and "svc is not empty: use --force" in r.stderr
    assert (tmp_path / "svc" / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["svc", "train.ipynb"]


def test_lint_gate_blocks_errors(tmp_path: Path) -> None:
    notebook(tmp_path, ("import random\nmodel = random.random()", []), GOOD_PREDICT)
    r = cli_build(tmp_path, "train.ipynb", "-o", "svc")
    assert_failed_cleanly(r, tmp_path, "lint found", "NB101", "--no-gate")


def test_unknown_parameter(tmp_path: Path) -> None:
    notebook(tmp_path, ("alpha = 1.0", ["parameters"]), ("model = alpha", []), GOOD_PREDICT)
    r = cli_build(tmp_path, "train.ipynb", "-o", "svc", "--no-gate", "-p", "beta=2")
    assert_failed_cleanly(r, tmp_path, "-p beta=...", "assigns no `beta`", "alpha")


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ([("def predict(*xs):\n    return 1", ["predict"])], "*args/**kwargs"),
        ([("def predict():\n    return 1", ["predict"])], "takes no inputs"),
        ([("def predict(x=[i for i in range(2)]):\n    return x", ["predict"])], "not a literal"),
        ([("def predict(x: float) -> float:\n    return x * unknown_thing", ["predict"])],
         "`predict` needs `unknown_thing`, which no cell defines"),
        ([("%matplotlib inline\nimport numpy", ["serve"]), ("def predict(x):\n    return x", ["predict"])],
         "uses IPython syntax"),
        ([("def predict(x):\n    return x", ["predict"]), ("def predict(y):\n    return y", ["predict"])],
         "2 cells are tagged `predict`"),
        ([("async def predict(x):\n    return x", ["predict"])], "not `async def`"),
    ],
)
def test_plan_errors(tmp_path: Path, cells, message: str) -> None:
    path = notebook(tmp_path, *cells)
    with pytest.raises(BuildError, match=message.replace("*", r"\*").replace("(", r"\(")):
        make_plan(read_notebook(path))


def test_schema_and_artifacts_from_the_predict_signature(tmp_path: Path) -> None:
    path = notebook(
        tmp_path,
        ("import numpy as np", ["serve"]),
        ("scale = float('2.0')\nmodel = dict(a=1)", []),
        ("def clean(x):\n    return x * scale", ["serve"]),
        ("def predict(x: float, kind: str = 'a', n: int = 3) -> float:\n    return np.log(clean(x)) + model[kind]",
         ["predict"]),
    )
    plan = make_plan(read_notebook(path))
    assert [(f.name, f.annotation, f.required, f.default) for f in plan.fields] == [
        ("x", "float", True, None), ("kind", "str", False, "a"), ("n", "int", False, 3)]
    assert plan.artifacts == ["scale", "model"]
    assert plan.artifact_cells == {"scale": 3, "model": 3}
    assert plan.export_modules == ["numpy"]
    assert plan.return_annotation == "float"


@pytest.mark.parametrize(("text", "expected"), [("C=0.5", ("C", 0.5)), ("name=abc", ("name", "abc")),
                                                 ("xs=[1, 2]", ("xs", [1, 2])), ("flag=True", ("flag", True))])
def test_parse_parameter(text: str, expected) -> None:
    assert parse_parameter(text) == expected


def test_parse_parameter_rejects_garbage() -> None:
    with pytest.raises(BuildError, match="expected name=value"):
        parse_parameter("novalue")


# --- execution limits: the kernel runs asynchronously, so time limits and deaths are seen ---


def build_error(tmp_path: Path, path: Path, **options) -> str:
    """Build in-process; the BuildError's message (and nothing may be left beside the notebook)."""
    from nb2prod.converter.pipeline import BuildOptions, build

    with pytest.raises(BuildError) as info:
        build(BuildOptions(notebook=path, output=tmp_path / "svc", gate=False, **options))
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.suffix not in (".ipynb", ".py"))
    assert leftovers == [], leftovers  # no svc, no `.svc.nb2prod-*` staging folder
    return str(info.value)


def test_timeout_stops_a_slow_cell(tmp_path: Path) -> None:
    import time

    path = notebook(tmp_path, ("model = 2.0", []), ("import time\ntime.sleep(30)", []), GOOD_PREDICT)
    start = time.monotonic()
    message = build_error(tmp_path, path, cell_timeout=2)
    assert time.monotonic() - start < 20
    assert "cell 3 took longer than 2 s" in message


def test_a_dying_kernel_fails_the_build(tmp_path: Path) -> None:
    path = notebook(tmp_path, ("model = 2.0", []), ("import os\nos._exit(1)", []), GOOD_PREDICT)
    assert "the kernel died while running cell 3" in build_error(tmp_path, path, cell_timeout=60)


# --- artifacts the service could not unpickle ---


def test_artifact_of_a_notebook_class_the_service_cannot_define(tmp_path: Path) -> None:
    # A class defined inside an `if` is no top-level definition the service can export.
    path = notebook(tmp_path, ("if True:\n    class Scaler:\n        k = 2.0", []), ("scaler = Scaler()", []),
                    ("def predict(x: float) -> float:\n    return scaler.k * x", ["predict"]))
    message = build_error(tmp_path, path)
    assert "artifact `scaler` (defined in cell 3) is an instance of `Scaler`, defined in the notebook (`__main__`)" \
        in message
    assert "move the class into a package the service installs" in message


def test_artifact_of_an_earlier_definition_of_a_notebook_class(tmp_path: Path) -> None:
    path = notebook(tmp_path, ("class Scaler:\n    k = 2.0", []), ("scaler = Scaler()", []),
                    ("class Scaler:\n    k = 3.0", []),
                    ("def predict(x: float) -> float:\n    return scaler.k * x", ["predict"]))
    message = build_error(tmp_path, path)
    assert "artifact `scaler` (defined in cell 3) is an instance of an earlier definition of `Scaler`" in message


def test_artifact_of_a_local_module(tmp_path: Path) -> None:
    (tmp_path / "feats.py").write_text("def double(x):\n    return 2 * x\n")
    path = notebook(tmp_path, ("import functools\nimport feats", []), ("model = {'f': feats.double}", []),
                    ("def predict(x: float) -> float:\n    return model['f'](x)", ["predict"]))
    message = build_error(tmp_path, path)
    assert "artifact `model` (defined in cell 3) refers to the function `double`, defined in `feats` (feats.py" \
        in message


# --- plan checks: serve code at import time, annotations, training code ---


def test_serve_code_reading_an_artifact_at_import_time(tmp_path: Path) -> None:
    path = notebook(tmp_path, ("labels = sorted({'a', 'b'})", []), ("LABELS = [l.upper() for l in labels]", ["serve"]),
                    ("def predict(i: int) -> str:\n    return LABELS[i]", ["predict"]))
    with pytest.raises(BuildError, match="serve cell 3 reads `labels` at import time; the service loads artifacts "
                                         "after importing the code"):
        make_plan(read_notebook(path))


def test_serve_code_reading_an_artifact_inside_functions_is_fine(tmp_path: Path) -> None:
    path = notebook(tmp_path, ("labels = sorted({'a', 'b'})", []),
                    ("def upper():\n    return [l.upper() for l in labels]\nfirst = lambda: labels[0]", ["serve"]),
                    ("def predict(i: int) -> str:\n    return upper()[i] + first()", ["predict"]))
    assert make_plan(read_notebook(path)).artifacts == ["labels"]


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [("typing.Optional[str]", "Optional[str]"), ("typing.List[float]", "List[float]"),
     ("list[float] | None", "list[float] | None"), ("Literal['a', 'b']", "Literal['a', 'b']"),
     ("tuple[int, ...]", "tuple[int, ...]"), ("dict[str, typing.Union[int, str]]", "dict[str, Union[int, str]]")],
)
def test_supported_annotations_are_normalised(tmp_path: Path, annotation: str, expected: str) -> None:
    path = notebook(tmp_path, (f"import typing\nfrom typing import Literal\ndef predict(x: {annotation}):\n"
                               "    return 1", ["predict"]))
    assert make_plan(read_notebook(path)).fields[0].annotation == expected


@pytest.mark.parametrize(("annotation", "part"), [("np.ndarray", ""), ("pd.DataFrame", ""), ("Color", ""),
                                                  ("list[np.float64]", "(`np.float64`)"), ("'str'", "")])
def test_unsupported_annotations(tmp_path: Path, annotation: str, part: str) -> None:
    path = notebook(tmp_path, (f"def predict(x: {annotation}):\n    return 1", ["predict"]))
    with pytest.raises(BuildError) as info:
        make_plan(read_notebook(path))
    message = str(info.value)
    assert f"the annotation of `x` is `{annotation}`{' ' + part if part else ''}, which the request schema" \
        in message
    assert "Optional" in message and "list[float]" in message


def test_return_annotation_outside_the_response_types_is_served_as_any(tmp_path: Path) -> None:
    path = notebook(tmp_path, ("import numpy as np\nimport typing", ["serve"]), ("w = 2.0", []),
                    ("def predict(x: float) -> 'np.ndarray':\n    return np.array([w * x])", ["predict"]),
                    ("example = {'x': 1.0}", ["example"]))
    from nb2prod.converter.pipeline import BuildOptions, build

    result = build(BuildOptions(notebook=path, output=tmp_path / "svc", gate=False))
    schema = (result.output / result.package_name / "schema.py").read_text()
    assert "prediction: Any" in schema
    compile(schema, "schema.py", "exec")


def test_output_that_does_not_fit_the_return_annotation(tmp_path: Path) -> None:
    path = notebook(tmp_path, ("import numpy as np", ["serve"]), ("w = 2", []),
                    ("def predict(x: int) -> int:\n    return np.array([w * x])", ["predict"]),
                    ("examples = [{'x': 1}]", ["example"]))
    assert "predict is annotated -> int but returned list for example 1" in build_error(tmp_path, path)


@pytest.mark.parametrize(
    ("code", "message"),
    [("from math import *\nmodel = pi", "training cell 2 uses `import *`, which cannot run inside train.py's "
                                        "function: import the names you use"),
     ("model = 1.0\ndef bump():\n    global model\n    model += 1\nbump()", "training cell 2 declares `global model`")],
)
def test_training_code_that_cannot_run_in_a_function(tmp_path: Path, code: str, message: str) -> None:
    path = notebook(tmp_path, (code, []), GOOD_PREDICT)
    with pytest.raises(BuildError, match=re.escape(message)):
        make_plan(read_notebook(path))


@pytest.mark.parametrize(
    ("given", "ok"),
    [("n=200", True), ("n=2.5", True), ("n=abc", False), ("n=True", False), ("name='x'", True), ("name=3", False),
     ("opt=[1, 2]", True)],
)
def test_parameter_overrides_keep_the_kind_of_the_cell_value(tmp_path: Path, given: str, ok: bool) -> None:
    path = notebook(tmp_path, ("n = 100\nname = 'a'\nopt = None", ["parameters"]), ("model = n", []),
                    ("def predict(x: float) -> float:\n    return model * x", ["predict"]))
    key, value = parse_parameter(given)
    if ok:
        assert make_plan(read_notebook(path), {key: value}).parameters[key] == value
    else:
        with pytest.raises(BuildError, match=f"sets `{key}` to"):
            make_plan(read_notebook(path), {key: value})


def test_nan_outputs_are_recorded_as_json_null(tmp_path: Path) -> None:
    from nb2prod.converter import BuildOptions, build

    path = notebook(tmp_path, ("model = float('nan')", []),
                    ("def predict(x: float) -> float:\n    return model * x", ["predict"]),
                    ("examples = [{'x': 1.0}]", ["example"]))
    result = build(BuildOptions(path, tmp_path / "svc", gate=False))
    assert result.capture.examples == [{"input": {"x": 1.0}, "output": None}]


# --- the stage events: one Reporter.stage per stage ---


def _recorded() -> tuple[list[tuple[str, str, str]], Any]:
    from nb2prod.converter.events import Reporter

    seen: list[tuple[str, str, str]] = []
    reporter = Reporter(lambda e: seen.append((e.stage, e.status, e.message)))
    return seen, reporter


def test_a_stage_emits_start_then_done_with_its_summary_and_time() -> None:
    events: list[Any] = []
    from nb2prod.converter.events import Reporter

    reporter = Reporter(events.append)
    with reporter.stage("analyse", "reading the tags") as stage:
        stage.progress("half way", current=1)
        stage.summary("predict(x)", fields=["x"])
    assert [(e.stage, e.status, e.message) for e in events] == [
        ("analyse", "start", "reading the tags"), ("analyse", "progress", "half way"),
        ("analyse", "done", "predict(x)"),
    ]
    assert events[1].detail == {"current": 1} and events[2].detail == {"fields": ["x"]}
    assert events[2].seconds is not None and events[2].seconds >= 0
    assert reporter.timings == {"analyse": events[2].seconds}


def test_a_stage_that_raises_emits_failed_with_the_message_and_re_raises() -> None:
    seen, reporter = _recorded()
    with pytest.raises(BuildError, match="no predict cell"):
        with reporter.stage("analyse"):
            raise BuildError("no predict cell")
    assert seen == [("analyse", "start", ""), ("analyse", "failed", "no predict cell")]

    seen.clear()
    with pytest.raises(OSError):
        with reporter.stage("render"):
            raise OSError(28, "No space left on device")
    assert seen == [("render", "start", ""), ("render", "failed", "OSError: [Errno 28] No space left on device")]


def test_a_failed_stage_emits_one_failed_event() -> None:
    """``stage.fail`` says what the stream shows; the error raised after it says more, once."""
    seen, reporter = _recorded()
    with pytest.raises(BuildError):
        with reporter.stage("lint") as stage:
            stage.fail("2 error(s)")
            raise BuildError("lint found 2 error(s) that block the build: ...")
    assert seen == [("lint", "start", ""), ("lint", "failed", "2 error(s)")]

    seen.clear()
    with reporter.stage("verify") as stage:  # failed without an exception: the build goes on
        stage.fail("the tests failed")
    assert seen == [("verify", "start", ""), ("verify", "failed", "the tests failed")]


def test_a_stage_that_hands_over_ends_as_the_stage_then_running() -> None:
    """execute -> capture happens inside the kernel run: the block ends whichever stage runs."""
    seen, reporter = _recorded()
    with reporter.stage("execute", "running") as stage:
        reporter.done("execute", "10 cells ran")  # what the kernel runner does after the last cell
        reporter.start("capture", "serialising")
        assert stage.name == "capture"
        stage.summary("1 artifact(s)")
    assert seen == [("execute", "start", "running"), ("execute", "done", "10 cells ran"),
                    ("capture", "start", "serialising"), ("capture", "done", "1 artifact(s)")]

    seen.clear()
    with pytest.raises(BuildError):
        with reporter.stage("execute") as stage:
            stage.then("capture", "serialising", done="3 cells ran")
            raise BuildError("artifact `model` cannot be serialised")
    assert seen == [("execute", "start", ""), ("execute", "done", "3 cells ran"), ("capture", "start", "serialising"),
                    ("capture", "failed", "artifact `model` cannot be serialised")]


def test_a_failing_capture_is_reported_by_the_capture_stage(tmp_path: Path) -> None:
    from nb2prod.converter import BuildOptions, build
    from nb2prod.converter.events import Event

    path = notebook(tmp_path, ("model = (i for i in range(3))", []),
                    ("def predict(x: float) -> float:\n    return next(model) * x", ["predict"]))
    events: list[Event] = []
    with pytest.raises(BuildError, match="cannot be serialised"):
        build(BuildOptions(path, tmp_path / "svc", gate=False), events.append)
    ended = [(e.stage, e.status) for e in events if e.status in ("done", "failed")]
    assert ended == [("lint", "done"), ("analyse", "done"), ("execute", "done"), ("capture", "failed")]
