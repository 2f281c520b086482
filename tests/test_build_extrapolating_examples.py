"""A notebook whose example lies outside its `reference` data passes its own generated tests.

Extrapolating can be the point of a model: a regression trained on x in [0, 10] asked for x = 25,
a category the training data never had. The service answers such an example by default (strict
mode is off), so the generated tests that send the example must hold for it, and the strict-mode
tests must pick inputs the reference had. Each notebook is built for real and its generated tests
are run, as the environment sets strict mode and as it does not; one project goes through
`verify` (a fresh venv), with one failing test added, to see that nothing else fails there and
that the summary of the failure names it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _notebooks import code, md, write

from nb2prod.converter import BuildOptions, BuildResult, build
from nb2prod.converter.requirements import verify, verify_failure_summary

pytestmark = [pytest.mark.slow, pytest.mark.kernel]  # builds notebooks in a kernel, runs their test suites

IMPORTS = (
    "import pandas as pd\n"
    "from sklearn.compose import make_column_transformer\n"
    "from sklearn.linear_model import LinearRegression\n"
    "from sklearn.pipeline import make_pipeline\n"
    "from sklearn.preprocessing import OneHotEncoder"
)
TRAIN = (
    "df = pd.DataFrame({'x': [float(i % 11) for i in range(300)],\n"
    "                   'colour': ['red' if i % 3 else 'blue' for i in range(300)]})\n"
    "df['y'] = 2.0 * df['x'] + (df['colour'] == 'red') * 3.0\n"
    "model = make_pipeline(\n"
    "    make_column_transformer((OneHotEncoder(handle_unknown='ignore'), ['colour']), remainder='passthrough'),\n"
    "    LinearRegression(),\n"
    ")\n"
    "model.fit(df[['x', 'colour']], df['y'])"
)
PREDICT = (
    "def predict(x: float, colour: str = 'red') -> float:\n"
    "    return round(float(model.predict(pd.DataFrame([[x, colour]], columns=['x', 'colour']))[0]), 6)"
)
EXAMPLES = {
    "numeric": "example = {'x': 25.0, 'colour': 'red'}",  # x beyond the reference's [0, 10]
    "categorical": "example = {'x': 4.0, 'colour': 'green'}",  # a colour the reference never had
    "both": "examples = [{'x': 25.0, 'colour': 'green'}, {'x': -3.0}]",
}
FAILING_TEST = "def test_added_to_fail():\n    assert 2 + 2 == 5, 'added by nb2prod tests to fail'\n"


class Progress:
    def progress(self, stage: str, message: str) -> None:
        pass


def build_variant(folder: Path, name: str) -> BuildResult:
    notebook = write(
        folder / name / f"{name}.ipynb",
        md(f"# Extrapolation ({name})\nA regression asked beyond its training data."),
        code(IMPORTS, tags=["serve"]),
        code(TRAIN),
        code(PREDICT, tags=["predict"]),
        code("reference = df[['x', 'colour']]", tags=["reference"]),
        code(EXAMPLES[name], tags=["example"]),
    )
    return build(BuildOptions(notebook, folder / f"{name}-service"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuildResult]:
    folder = tmp_path_factory.mktemp("extrapolating")
    return {name: build_variant(folder, name) for name in EXAMPLES}


def run_generated_tests(project: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The project's tests, run by this interpreter (which has what the service needs), leaving no cache."""
    environment = {**os.environ, "PYTHONPATH": str(project), "PYTHONDONTWRITEBYTECODE": "1",
                   "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **env}
    environment.pop("PYTEST_ADDOPTS", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-ra", "-q", "tests"],
                          cwd=project, env=environment, capture_output=True, text=True, timeout=600)


# "both" has a numeric and a categorical value beyond the reference: it runs the generated suite
# as the environment sets strict mode and as it does not (about 25 s a run); "numeric" once.
@pytest.mark.parametrize(("name", "strict"), [("both", False), ("both", True), ("numeric", False)],
                         ids=["default-both", "strict-env-both", "default-numeric"])
def test_the_generated_tests_hold_for_an_example_beyond_the_reference(
    built: dict[str, BuildResult], name: str, strict: bool
) -> None:
    result = built[name]
    features = result.capture.profile["features"]
    assert (features["x"]["min"], features["x"]["max"]) == (0.0, 10.0)
    assert set(features["colour"]["frequencies"]) == {"red", "blue"} and not features["colour"]["truncated"]
    outside = [e["input"] for e in result.capture.examples
               if not 0.0 <= e["input"]["x"] <= 10.0 or e["input"].get("colour", "red") not in {"red", "blue"}]
    assert outside, "the example lies outside the reference"

    env = {f"{result.package_name.upper()}_STRICT": "1"} if strict else {}
    run = run_generated_tests(result.output, **env)
    last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "passed" in last and "failed" not in last and "error" not in last, last


def test_in_a_fresh_venv_only_the_added_failing_test_fails_and_the_summary_names_it(
    built: dict[str, BuildResult], tmp_path: Path
) -> None:
    project = Path(shutil.copytree(built["both"].output, tmp_path / built["both"].output.name))
    (project / "tests" / "test_zz_added.py").write_text(FAILING_TEST, encoding="utf-8")
    ok, log = verify(project, Progress())
    assert not ok
    summary = verify_failure_summary(log)
    assert summary.startswith("tests/test_zz_added.py::test_added_to_fail failed: "
                              "AssertionError: added by nb2prod tests to fail (1 failed, "), log[-6000:]
    assert summary.endswith(" passed)") and "error" not in summary.split("(")[-1], summary
