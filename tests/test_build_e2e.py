"""End to end: build real notebooks, install each service into a venv, serve it with
uvicorn on 127.0.0.1 and compare its HTTP answers with what the notebook computed.

Three shapes beside the bundled iris example: a pipeline with a preprocessing `serve`
helper, a `predict` with categorical (str) inputs, and a regression.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import nbformat
import pytest
from _services import running_service
from nbformat import v4

from nb2prod.converter import BuildOptions, build

pytestmark = [pytest.mark.slow, pytest.mark.kernel]  # builds (and installs) projects, in a kernel
ROOT = Path(__file__).resolve().parent.parent
META = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
        "language_info": {"name": "python", "version": "3.11"}}

PIPELINE = [
    ("# Churn with a feature helper\nA classifier whose inputs are cleaned by a `serve` helper.", None),
    ("import numpy as np\nfrom sklearn.datasets import make_classification\n"
     "from sklearn.ensemble import RandomForestClassifier", ["serve"]),
    ("n_estimators = 50", ["parameters"]),
    ("def features(tenure_months: float, monthly_fee: float, support_calls: int) -> list[float]:\n"
     "    \"\"\"Scale raw fields the way the model was trained.\"\"\"\n"
     "    return [np.log1p(tenure_months), monthly_fee / 100.0, float(min(support_calls, 10))]", ["serve"]),
    ("X_raw, y = make_classification(n_samples=400, n_features=3, n_informative=3, n_redundant=0, random_state=0)\n"
     "X = np.array([features(abs(a) * 12, abs(b) * 50, int(abs(c) * 3)) for a, b, c in X_raw])\n"
     "model = RandomForestClassifier(n_estimators=n_estimators, random_state=0).fit(X, y)", []),
    ("def predict(tenure_months: float, monthly_fee: float, support_calls: int = 0) -> dict:\n"
     "    proba = model.predict_proba([features(tenure_months, monthly_fee, support_calls)])[0]\n"
     "    return {\"churn\": bool(proba[1] > 0.5), \"probability\": float(proba[1])}", ["predict"]),
    ("examples = [\n    {\"tenure_months\": 3, \"monthly_fee\": 80.0, \"support_calls\": 4},\n"
     "    {\"tenure_months\": 48, \"monthly_fee\": 20.0},\n]", ["example"]),
    ("assert 0.0 <= predict(**examples[0])[\"probability\"] <= 1.0", ["test"]),
]

CATEGORICAL = [
    ("# Delivery time by city and vehicle\nCategorical inputs as strings.", None),
    ("import pandas as pd\nfrom sklearn.compose import make_column_transformer\n"
     "from sklearn.linear_model import LinearRegression\nfrom sklearn.pipeline import make_pipeline\n"
     "from sklearn.preprocessing import OneHotEncoder", ["serve"]),
    ("rows = [(c, v, d) for c, base in [('paris', 30), ('lyon', 20), ('nice', 25)]\n"
     "        for v, extra in [('bike', 10), ('van', 0)] for d in (1.0, 2.0, 5.0)\n"
     "        for _ in [0]]\n"
     "df = pd.DataFrame(rows, columns=['city', 'vehicle', 'km'])\n"
     "df['minutes'] = [{'paris': 30, 'lyon': 20, 'nice': 25}[c] + {'bike': 10, 'van': 0}[v] + 4 * k\n"
     "                 for c, v, k in rows]", []),
    ("model = make_pipeline(\n"
     "    make_column_transformer((OneHotEncoder(handle_unknown='ignore'), ['city', 'vehicle']),"
     " remainder='passthrough'),\n    LinearRegression(),\n)\n"
     "model.fit(df[['city', 'vehicle', 'km']], df['minutes'])", []),
    ("def predict(city: str, vehicle: str = 'van', km: float = 1.0) -> float:\n"
     "    row = pd.DataFrame([[city, vehicle, km]], columns=['city', 'vehicle', 'km'])\n"
     "    return round(float(model.predict(row)[0]), 3)", ["predict"]),
    ("examples = [{'city': 'paris', 'vehicle': 'bike', 'km': 2.0}, {'city': 'nice'}]", ["example"]),
    ("assert abs(predict('lyon', 'van', 5.0) - 40.0) < 1e-6", ["test"]),
]

REGRESSION = [
    ("# Diabetes progression\nA ridge regression on the diabetes data that ships with scikit-learn.", None),
    ("from sklearn.datasets import load_diabetes\nfrom sklearn.linear_model import Ridge", ["serve"]),
    ("alpha = 1.0", ["parameters"]),
    ("data = load_diabetes()\nFEATURES = list(data.feature_names)\n"
     "model = Ridge(alpha=alpha).fit(data.data, data.target)", []),
    ("import matplotlib  # exploration only\nmatplotlib.get_backend()", ["skip"]),
    ("def predict(age: float, sex: float, bmi: float, bp: float, s1: float, s2: float, s3: float,"
     " s4: float, s5: float, s6: float) -> float:\n"
     "    values = [age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]\n"
     "    return float(model.predict([values])[0])", ["predict"]),
    ("example = dict(zip(FEATURES, [float(v) for v in data.data[0]]))", ["example"]),
]


def _write(tmp: Path, name: str, cells) -> Path:
    book = v4.new_notebook(metadata=META)
    for i, (src, tags) in enumerate(cells):
        cell = v4.new_markdown_cell(src) if tags is None else v4.new_code_cell(src, metadata={"tags": tags})
        cell["id"] = f"{name}-{i}"
        book.cells.append(cell)
    path = tmp / name / f"{name}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(book, path)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, object]:
    """Build the four services once for this module."""
    tmp = tmp_path_factory.mktemp("e2e")
    notebooks = {
        "iris": ROOT / "examples" / "iris" / "train.ipynb",
        "churn": _write(tmp, "churn", PIPELINE),
        "delivery": _write(tmp, "delivery", CATEGORICAL),
        "diabetes": _write(tmp, "diabetes", REGRESSION),
    }
    (tmp / "out").mkdir()
    results = {}
    for name, nb in notebooks.items():
        params = {"n_estimators": 30} if name == "churn" else {}
        results[name] = build(BuildOptions(nb, tmp / "out" / f"{name}-service", parameters=params, gate=False))
    return results


@pytest.fixture(scope="module")
def venv(built, tmp_path_factory) -> Path:
    """One fresh venv with every built service installed from its folder."""
    path = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    py = str(path / "bin" / "python")
    projects = [str(r.output) for r in built.values()]
    proc = subprocess.run([py, "-m", "pip", "install", "--quiet", *projects], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return path


def _request(url: str, body: object | None = None) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


@pytest.fixture
def serve(venv, tmp_path) -> Iterator:
    """`serve(package)`: the URL of the installed `package` served from the venv, once ready."""
    with ExitStack() as services:

        def start(package: str) -> str:
            log_path = tmp_path / f"{package}.log"
            service = services.enter_context(running_service(None, package, python=venv / "bin" / "python",
                                                             log_path=log_path))
            return service.url

        yield start


def assert_same(actual: object, expected: object) -> None:
    """Equal, with floats compared approximately, at any depth."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys()
        for key in expected:
            assert_same(actual[key], expected[key])
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert_same(a, e)
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-12)
    else:
        assert actual == expected


@pytest.mark.parametrize("name", ["iris", "churn", "delivery", "diabetes"])
def test_service_answers_what_the_notebook_computed(name: str, built, serve) -> None:
    result = built[name]
    base = serve(result.package_name)
    assert result.capture.examples, "the notebook's examples were recorded"
    for example in result.capture.examples:
        status, body = _request(base + "/predict", example["input"])
        assert status == 200, body
        assert_same(body["prediction"], example["output"])
    status, body = _request(base + "/predict/batch", {"instances": [e["input"] for e in result.capture.examples]})
    assert status == 200
    assert_same(body["predictions"], [e["output"] for e in result.capture.examples])


def test_bad_input_is_a_422_naming_the_field(built, serve) -> None:
    base = serve(built["iris"].package_name)
    status, body = _request(base + "/predict", {"sepal_length": "long", "sepal_width": 3.5, "petal_length": 1.4})
    assert status == 422
    fields = {tuple(err["loc"])[-1] for err in body["detail"]}
    assert {"sepal_length", "petal_width"} <= fields


def test_parameters_reach_the_artifacts(built) -> None:
    lock = json.loads((built["churn"].output / built["churn"].package_name / "nb2prod.lock.json").read_text())
    assert lock["parameters"]["n_estimators"] == 30
    assert {a["name"] for a in lock["artifacts"]} == {"model"}
    assert lock["python"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}")


def test_skip_cells_are_neither_run_nor_exported(built) -> None:
    result = built["diabetes"]
    model_code = (result.output / result.package_name / "model.py").read_text()
    assert "matplotlib" not in model_code
    assert "notebook cell 6 (predict)" in model_code


def test_generated_tests_pass_in_the_venv(built, venv) -> None:
    for result in built.values():
        proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "pytest", "httpx"],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               str(result.output / "tests")], capture_output=True, text=True, cwd=result.output)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_the_lock_records_what_the_metrics_cells_printed(built) -> None:
    """The baseline of the service's live quality (/performance): the lock's `metrics`, equal to the model card's."""
    from nb2prod.converter.model_card import parse_metrics

    result = built["iris"]
    lock = json.loads((result.output / result.package_name / "nb2prod.lock.json").read_text())
    card = {name: value for name, value, _ in parse_metrics((result.output / "MODEL_CARD.md").read_text())}
    recorded = {entry["name"]: entry["value"] for entry in lock["metrics"]}
    assert "accuracy" in recorded and 0.5 < recorded["accuracy"] <= 1.0
    assert {name: card[name] for name in recorded} == recorded
    assert all(isinstance(entry["cell"], int) and entry["printed"] for entry in lock["metrics"])
