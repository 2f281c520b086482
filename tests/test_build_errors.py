"""Bad builds: a clear one-line error, a non-zero exit, and nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from nb2prod.build.errors import BuildError
from nb2prod.build.plan import make_plan, parse_parameter
from nb2prod.notebook import read_notebook

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
        ("scale = 2.0\nmodel = {'a': 1}", []),
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
