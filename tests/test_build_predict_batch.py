"""A notebook's vectorised `predict_batch(frame)`, built for real: its generated tests compare it with `predict`.

A regression of a number and a category (a pipeline with a one-hot encoder) is built three times: with a right
`predict_batch`, with one that answers differently from `predict` for some rows, and without one. The generated
project's own tests are run by this interpreter: they pass for the right one, fail (naming the comparison on
the `reference` sample) for the wrong one, and have no predict_batch tests without it.
"""

from __future__ import annotations

import json

import pytest
from _notebooks import code, md, write
from test_build_extrapolating_examples import IMPORTS, PREDICT, TRAIN, run_generated_tests

from nb2prod.converter import BuildOptions, BuildResult, build

pytestmark = [pytest.mark.slow, pytest.mark.kernel]  # builds notebooks in a kernel, runs their test suites

BATCHES = {
    "right": ("def predict_batch(frame: pd.DataFrame) -> list[float]:\n"
              "    return model.predict(frame[['x', 'colour']]).round(6).tolist()"),
    # wrong for the blue rows only: the example (red) agrees, the reference sample does not
    "wrong": ("def predict_batch(frame):\n"
              "    answers = model.predict(frame[['x', 'colour']]).round(6)\n"
              "    return (answers + (frame['colour'] == 'blue') * 1.0).tolist()"),
    "none": "",
}


def build_variant(folder: pytest.TempPathFactory, name: str) -> BuildResult:
    root = folder.mktemp(name)
    notebook = write(
        root / f"{name}.ipynb",
        md(f"# Batches ({name})\nA regression with a vectorised predict."),
        code(IMPORTS, tags=["serve"]),
        code(TRAIN),
        code(PREDICT + ("\n\n\n" + BATCHES[name] if BATCHES[name] else ""), tags=["predict"]),
        code("reference = df[['x', 'colour']]", tags=["reference"]),
        code("examples = [{'x': 4.0, 'colour': 'red'}, {'x': 7.5}]", tags=["example"]),
    )
    return build(BuildOptions(notebook, root / f"{name}-service"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuildResult]:
    return {name: build_variant(tmp_path_factory, name) for name in BATCHES}


def test_a_right_predict_batch_passes_its_generated_tests(built: dict[str, BuildResult]) -> None:
    result = built["right"]
    sample = json.loads((result.output / "tests" / "reference_sample.json").read_text(encoding="utf-8"))
    assert 50 <= len(sample) <= 100 and {"red", "blue"} == {row["colour"] for row in sample}
    assert all(set(row) == {"x", "colour"} for row in sample)
    assert "predict_batch=model.predict_batch" in (result.output / result.package_name / "service.py").read_text()
    run = run_generated_tests(result.output)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "to compare predict_batch with predict on" not in run.stdout  # neither comparison was skipped


def test_a_predict_batch_that_disagrees_with_predict_fails_them(built: dict[str, BuildResult]) -> None:
    run = run_generated_tests(built["wrong"].output)
    assert run.returncode == 1, run.stdout[-3000:]
    failed = sorted(line for line in run.stdout.splitlines() if line.startswith("FAILED"))
    assert [line.split(" ")[1] for line in failed] == [
        "tests/test_batch.py::test_predict_batch_answers_as_predict[reference]",
        "tests/test_batch.py::test_predict_batch_serves_the_batch_endpoint",
    ], failed


def test_without_predict_batch_nothing_changes(built: dict[str, BuildResult]) -> None:
    result = built["none"]
    assert not (result.output / "tests" / "reference_sample.json").exists()
    assert "predict_batch" not in (result.output / "tests" / "test_batch.py").read_text(encoding="utf-8")
    assert "predict_batch=" not in (result.output / result.package_name / "service.py").read_text(encoding="utf-8")
