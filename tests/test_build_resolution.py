"""A notebook as people write it builds as it is (DESIGN 5): imports in the first cell,
helpers and constants in untagged cells, a fitted model in a variable, names bound again
in a later experiment. Built with --verify, served with uvicorn, retrained with `train`.
The static rows of the resolution table are in test_resolve.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from _notebooks import code, md, write
from _services import running_service

from nb2prod.converter import BuildOptions, build

pytestmark = [pytest.mark.slow, pytest.mark.kernel]

CELLS = [
    md("# Iris, as a course notebook has it"),
    code("import numpy as np, pandas as pd\nfrom sklearn.datasets import load_iris\n"
         "from sklearn.linear_model import LogisticRegression as LR"),
    code("FEATURES = ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)']\n"
         "SCALE = 1.0"),
    code("def to_frame(values):\n    return pd.DataFrame([scaled(values)], columns=FEATURES)\n\n\n"
         "def scaled(values):\n    return [v * SCALE for v in values]"),
    code("data = load_iris(as_frame=True)\nX, y = data.data, data.target\n"
         "model = LR(max_iter=500).fit(X, y)\nnames = [str(n) for n in data.target_names]"),
    code("def predict(sepal_length: float, sepal_width: float, petal_length: float, petal_width: float) -> str:\n"
         "    frame = to_frame([sepal_length, sepal_width, petal_length, petal_width])\n"
         "    return names[int(model.predict(frame)[0])]", tags=["predict"]),
    code("examples = [{'sepal_length': 5.1, 'sepal_width': 3.5, 'petal_length': 1.4, 'petal_width': 0.2},\n"
         "            {'sepal_length': 6.7, 'sepal_width': 3.0, 'petal_length': 5.2, 'petal_width': 2.3}]",
         tags=["example"]),
    code("assert predict(**examples[0]) == 'setosa'", tags=["test"]),
    # A later experiment binds the names again: the service keeps what reached predict.
    code("SCALE = 100.0\nnames = ['x', 'y', 'z']\nmodel = None"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("resolution")
    nb = write(tmp / "course.ipynb", *CELLS)
    return build(BuildOptions(nb, tmp / "course-service", gate=False, verify=True))


def test_the_build_resolves_imports_helpers_constants_and_artifacts(built) -> None:
    assert built.verified is True, built.verify_log[-3000:]
    plan = built.plan
    assert sorted(plan.artifacts) == ["model", "names"]
    model_py = (built.output / built.package_name / "model.py").read_text(encoding="utf-8")
    served = model_py.split("# ---- end of notebook code ----")[0]
    assert "numpy" not in served, "only the aliases the serving code reads"
    for text in ("import pandas as pd", "SCALE = 1.0", "def to_frame(values):", "def scaled(values):",
                 "# --- notebook cell 4 ---"):
        assert text in model_py
    assert "LogisticRegression" not in model_py.split("# ---- end of notebook code ----")[0], \
        "only what the serving code reads"
    requirements = (built.output / "requirements.txt").read_text(encoding="utf-8")
    assert "pandas==" in requirements and "scikit-learn==" in requirements


def test_the_service_answers_what_the_notebook_predict_answered(built, tmp_path: Path) -> None:
    recorded = built.capture.examples
    assert [e["output"] for e in recorded] == ["setosa", "virginica"], "the values that reach predict"
    with running_service(built.output, built.package_name, log_path=tmp_path / "svc.log") as service:
        with httpx.Client(base_url=service.url, timeout=30, trust_env=False) as client:
            for example in recorded:
                response = client.post("/predict", json=example["input"])
                assert response.status_code == 200, response.text
                assert response.json()["prediction"] == example["output"]


def test_train_rebuilds_the_artifacts_the_service_loads(built, tmp_path: Path) -> None:
    out = tmp_path / "retrained"
    env = {"PYTHONPATH": str(built.output), "PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", built.package_name, "train", "--output-dir", str(out)]
    proc = subprocess.run(command, cwd=built.output, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    inputs = json.dumps([e["input"] for e in built.capture.examples])
    check = (f"from {built.package_name} import model\n"
             f"model.load_artifacts({str(out)!r})\n"
             f"print(json.dumps([model.predict(**e) for e in {inputs}]))")
    proc = subprocess.run([sys.executable, "-c", "import json\n" + check], cwd=built.output, capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == [e["output"] for e in built.capture.examples]


def test_a_failed_verify_names_the_failing_test_and_its_error(tmp_path: Path) -> None:
    # A test cell that holds in the notebook's kernel, and not in the service's tests.
    cells = [*CELLS[:7], code("import sys\nassert 'ipykernel' in sys.modules, 'not in a kernel'", tags=["test"])]
    nb = write(tmp_path / "course.ipynb", *cells)
    proc = subprocess.run([sys.executable, "-m", "nb2prod", "build", str(nb), "-o", str(tmp_path / "svc"),
                           "--no-gate", "--verify"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    (line,) = [text for text in proc.stderr.splitlines() if "failed its checks" in text]
    assert "tests/test_notebook.py::test_cell_8 failed: AssertionError: not in a kernel" in line, line
    assert "Traceback" not in proc.stderr


def test_what_an_exported_class_imports_is_a_requirement(tmp_path: Path) -> None:
    # `squash` is an artifact; its class comes into the service because the artifact needs it,
    # and the module its method imports (nothing else does) must be installed with it.
    nb = write(
        tmp_path / "squash.ipynb",
        code("class Squasher:\n    def __call__(self, x):\n        import scipy.special\n"
             "        return float(scipy.special.expit(x))"),
        code("squash = Squasher()"),
        code("def predict(x: float) -> float:\n    return squash(x)", tags=["predict"]),
        code("example = {'x': 0.0}", tags=["example"]),
    )
    result = build(BuildOptions(nb, tmp_path / "svc", gate=False))
    assert result.capture.exports == ["Squasher"]
    model_py = (result.output / result.package_name / "model.py").read_text(encoding="utf-8")
    assert "class Squasher:" in model_py
    requirements = (result.output / "requirements.txt").read_text(encoding="utf-8")
    assert "scipy==" in requirements, requirements
