"""Artifacts in their library's own format, end to end (DESIGN 5): notebooks written as people write them
(plain untagged cells) with an XGBoost classifier, a torch `nn.Module` subclass the notebook defines, a
custom scikit-learn transformer class in a Pipeline, and a statsmodels formula calling a notebook function,
built, served with uvicorn on 127.0.0.1 and retrained;
and the objects no serialiser can save, each a one-line build error that leaves nothing behind.
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
from test_build_e2e import assert_same

from nb2prod.converter import BuildOptions, build
from nb2prod.converter.errors import BuildError

pytestmark = [pytest.mark.slow, pytest.mark.kernel]

XGBOOST = [
    md("# Iris with XGBoost"),
    code("import numpy as np\nimport xgboost as xgb\nfrom sklearn.datasets import load_iris"),
    code("data = load_iris()\n"
         "model = xgb.XGBClassifier(n_estimators=12, max_depth=3, random_state=0).fit(data.data, data.target)"),
    code("def predict(sepal_length: float, sepal_width: float, petal_length: float, petal_width: float) -> dict:\n"
         "    row = np.array([[sepal_length, sepal_width, petal_length, petal_width]])\n"
         "    return {'label': int(model.predict(row)[0]), 'classes': [int(c) for c in model.classes_],\n"
         "            'proba': [float(p) for p in model.predict_proba(row)[0]]}", tags=["predict"]),
    code("examples = [{'sepal_length': 5.1, 'sepal_width': 3.5, 'petal_length': 1.4, 'petal_width': 0.2},\n"
         "            {'sepal_length': 6.7, 'sepal_width': 3.0, 'petal_length': 5.2, 'petal_width': 2.3}]",
         tags=["example"]),
]

TORCH = [
    md("# A small regression network"),
    code("import torch\nfrom torch import nn"),
    code("class Net(nn.Module):\n"
         "    def __init__(self, n_in, hidden):\n"
         "        super().__init__()\n"
         "        self.hidden = nn.Linear(n_in, hidden)\n"
         "        self.out = nn.Linear(hidden, 1)\n\n"
         "    def forward(self, x):\n"
         "        return self.out(torch.tanh(self.hidden(x)))"),
    code("torch.manual_seed(0)\nX = torch.randn(64, 3)\ny = X @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.1\n"
         "net = Net(3, 8)\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
         "for _ in range(30):\n    opt.zero_grad()\n    loss = ((net(X) - y) ** 2).mean()\n"
         "    loss.backward()\n    opt.step()\nnet.eval()"),
    code("def predict(a: float, b: float, c: float) -> float:\n"
         "    with torch.no_grad():\n"
         "        return float(net(torch.tensor([[a, b, c]]))[0, 0])", tags=["predict"]),
    code("examples = [{'a': 0.5, 'b': -1.0, 'c': 2.0}, {'a': 0.0, 'b': 0.0, 'c': 0.0}]", tags=["example"]),
]

PIPELINE = [
    md("# A pipeline with a transformer of the notebook's own"),
    code("import numpy as np\nfrom sklearn.base import BaseEstimator, TransformerMixin\n"
         "from sklearn.datasets import load_diabetes\nfrom sklearn.linear_model import Ridge\n"
         "from sklearn.pipeline import make_pipeline"),
    code("class Winsorize(BaseEstimator, TransformerMixin):\n"
         "    def __init__(self, quantile=0.05):\n"
         "        self.quantile = quantile\n\n"
         "    def fit(self, X, y=None):\n"
         "        self.low_ = np.quantile(X, self.quantile, axis=0)\n"
         "        self.high_ = np.quantile(X, 1 - self.quantile, axis=0)\n"
         "        return self\n\n"
         "    def transform(self, X):\n"
         "        return np.clip(X, self.low_, self.high_)"),
    code("data = load_diabetes()\nmodel = make_pipeline(Winsorize(0.1), Ridge(alpha=0.5)).fit(data.data, data.target)"),
    code("def predict(age: float, sex: float, bmi: float, bp: float, s1: float, s2: float, s3: float, s4: float,\n"
         "            s5: float, s6: float) -> float:\n"
         "    return float(model.predict(np.array([[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]]))[0])",
         tags=["predict"]),
    code("example = dict(zip(['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'],\n"
         "                   [float(v) for v in data.data[3]]))", tags=["example"]),
]

FORMULA = [
    md("# A formula that calls a function of the notebook's own"),
    code("import numpy as np\nimport pandas as pd\nimport statsmodels.formula.api as smf"),
    code("def double_it(x):\n    return 2 * x"),
    code("rng = np.random.default_rng(0)\n"
         "frame = pd.DataFrame({'x': rng.uniform(1, 5, 50), 'z': rng.normal(size=50)})\n"
         "frame['y'] = 3 * np.log(frame.x) - frame.z + rng.normal(scale=0.1, size=50)\n"
         "res = smf.ols('y ~ np.log(x) + double_it(z)', frame).fit()"),
    code("def predict(x: float, z: float) -> float:\n"
         "    return float(res.predict(pd.DataFrame({'x': [x], 'z': [z]})).iloc[0])", tags=["predict"]),
    code("examples = [{'x': 2.0, 'z': 0.5}, {'x': 4.5, 'z': -1.0}]", tags=["example"]),
]

NOTEBOOKS = {"iris_xgb": XGBOOST, "torch_net": TORCH, "winsorized": PIPELINE, "formula": FORMULA}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serializers")
    return {name: build(BuildOptions(write(tmp / name / f"{name}.ipynb", *cells), tmp / f"{name}-service",
                                     gate=False))
            for name, cells in NOTEBOOKS.items()}


def lock_of(result) -> dict:
    return json.loads((result.output / result.package_name / "nb2prod.lock.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("name", "fmt", "exports", "requirement"),
                         [("iris_xgb", "xgboost", [], "xgboost=="), ("torch_net", "torch", ["Net"], "torch=="),
                          ("winsorized", "joblib", ["Winsorize"], "joblib=="),
                          ("formula", "statsmodels", ["double_it"], "statsmodels==")])
def test_each_artifact_in_its_format(built, name: str, fmt: str, exports: list[str], requirement: str) -> None:
    result = built[name]
    (artifact,) = lock_of(result)["artifacts"]
    assert (artifact["format"], artifact.get("exports", [])) == (fmt, exports)  # left out when there are none
    assert result.capture.exports == exports
    requirements = (result.output / "requirements.txt").read_text(encoding="utf-8")
    assert requirement in requirements
    if fmt == "xgboost":  # XGBClassifier derives from scikit-learn's classes: the service imports sklearn
        assert "scikit-learn==" in requirements
    model_py = (result.output / result.package_name / "model.py").read_text(encoding="utf-8")
    for export in exports:  # the source is in the service, and the artifact loads against it
        assert f"class {export}(" in model_py or f"def {export}(" in model_py
    if fmt == "statsmodels":  # the formula's modules, for statsmodels to evaluate it again when it loads
        assert artifact["options"] == {"names": {"np": "numpy"}}
    if fmt == "torch":
        assert "__nb2prod_notebook__.Net" in artifact["trusted"]


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_the_service_answers_exactly_what_the_notebook_answered(built, name: str, tmp_path: Path) -> None:
    result = built[name]
    recorded = result.capture.examples
    assert recorded
    with running_service(result.output, result.package_name, log_path=tmp_path / "svc.log") as service:
        with httpx.Client(base_url=service.url, timeout=30, trust_env=False) as client:
            for example in recorded:
                response = client.post("/predict", json=example["input"])
                assert response.status_code == 200, response.text
                assert response.json()["prediction"] == example["output"]  # exactly: same bits, same labels


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_retrained_artifacts_are_written_in_the_same_format_and_load(built, name: str, tmp_path: Path) -> None:
    result = built[name]
    out = tmp_path / "retrained"
    env = {"PYTHONPATH": str(result.output), "PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", result.package_name, "train", "--output-dir", str(out)],
                          cwd=result.output, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    retrained = json.loads((out / "nb2prod.lock.json").read_text(encoding="utf-8"))["artifacts"]
    assert [(a["format"], a.get("exports")) for a in retrained] == [(a["format"], a.get("exports"))
                                                                    for a in lock_of(result)["artifacts"]]
    inputs = json.dumps([e["input"] for e in result.capture.examples])
    check = (f"import json\nfrom {result.package_name} import model\nmodel.load_artifacts({str(out)!r})\n"
             f"print(json.dumps([model.predict(**e) for e in {inputs}]))")
    proc = subprocess.run([sys.executable, "-c", check], cwd=result.output, capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    # The same training again, in another process: floats to 1e-9 (a BLAS may sum in another order), labels exactly.
    assert_same(json.loads(proc.stdout), [e["output"] for e in result.capture.examples])


@pytest.mark.parametrize(
    ("make", "what", "tried"),
    [("(i * i for i in range(3))", "a generator", "joblib, cloudpickle"),
     ("open(__import__('os').devnull)", "an open file", "joblib"),
     ("__import__('threading').Lock()", "a thread lock (threading.Lock)", "joblib, cloudpickle")],
)
def test_what_no_serialiser_can_save_is_one_line_and_nothing_is_written(tmp_path: Path, make: str, what: str,
                                                                        tried: str) -> None:
    path = write(tmp_path / "train.ipynb", md("# Bad"), code("x0 = 1"), code(f"state = {make}"),
                 code("def predict(x: float) -> float:\n    return x if state is not None else 0.0", tags=["predict"]),
                 code("example = {'x': 1.0}", tags=["example"]))
    with pytest.raises(BuildError) as info:
        build(BuildOptions(notebook=path, output=tmp_path / "svc", gate=False))
    message = str(info.value)
    assert message == (f"artifact `state` (defined in cell 3) cannot be serialised: it is {what}, which no serialiser "
                       f"can save (tried: {tried}): compute plain data or a model object in the training cells, and "
                       "keep what cannot be saved inside `predict` or a function it calls")
    assert "\n" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.ipynb"]  # no svc, no staging folder
