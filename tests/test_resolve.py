"""Resolution by reaching binding (DESIGN 5): each row of the table, statically.

Nothing here runs a kernel: the plan is made from the notebook's source. The builds of
such notebooks (serve, parity, retrain) are in test_build_resolution.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from _notebooks import code, write

from nb2prod.converter.errors import BuildError
from nb2prod.converter.pipeline import _model_code, _train_code
from nb2prod.converter.plan import BuildPlan, make_plan
from nb2prod.converter.resolve import ARTIFACT, CONSTANT, DEFINITION, IMPORT
from nb2prod.notebook import read_notebook

PREDICT = ["predict"]


def plan_of(tmp_path: Path, *cells: tuple[str, list[str]]) -> BuildPlan:
    path = write(tmp_path / "nb.ipynb", *(code(source, tags=tags) for source, tags in cells))
    return make_plan(read_notebook(path))


def kinds(plan: BuildPlan) -> dict[str, tuple[str, int]]:
    assert plan.resolution is not None
    return {n.name: (n.kind, n.cell) for n in plan.resolution.needs.values()}


def exported_code(plan: BuildPlan) -> str:
    model = _model_code(plan)
    ast.parse(model)  # the service's code compiles
    return model


def test_import_as_and_from_import_as_become_the_same_imports(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        ("import numpy as np, json\nimport os.path\nfrom math import sqrt as root, pi", []),
        ("def predict(x: float) -> float:\n    return float(np.log(x)) + root(x) + len(json.dumps(os.path.sep))",
         PREDICT),
    )
    assert kinds(plan) == {"np": (IMPORT, 1), "root": (IMPORT, 1), "json": (IMPORT, 1), "os": (IMPORT, 1)}
    model = exported_code(plan)
    for line in ("import numpy as np, json", "import os.path", "from math import sqrt as root"):
        assert f"\n{line}\n" in model, model
    assert "pi" not in model.replace("predict", ""), "only the aliases predict uses"
    assert plan.export_modules[:3] == ["numpy", "json", "os"]
    assert plan.artifacts == []


def test_a_module_imported_inside_a_function_is_a_dependency(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        ("def load_vector(x):\n    import numpy\n    return numpy.array([x])", []),
        ("def predict(x: float) -> float:\n    return float(load_vector(x)[0])", PREDICT),
    )
    assert kinds(plan) == {"load_vector": (DEFINITION, 1)}
    assert "numpy" in plan.export_modules


def test_a_lambda_is_a_definition(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        ("SUFFIX = '!'\nshout = lambda s: s.upper() + SUFFIX", []),
        ("def predict(s: str) -> str:\n    return shout(s)", PREDICT),
    )
    assert kinds(plan) == {"shout": (DEFINITION, 1), "SUFFIX": (CONSTANT, 1)}
    assert plan.notebook_definitions == ["predict"], "a lambda has no name a pickle could refer to"
    assert "shout = lambda s: s.upper() + SUFFIX" in exported_code(plan)


def test_a_helper_calling_a_helper_is_exported_with_what_it_needs_in_notebook_order(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        ("import math", []),
        ("def outer(x):\n    return inner(x) * FACTOR", []),
        ("FACTOR = 3\n\ndef inner(x):\n    return math.sqrt(x)", []),
        ("unrelated = 1\ndef not_needed():\n    return 0", []),
        ("def predict(x: float) -> float:\n    return outer(x)", PREDICT),
    )
    assert kinds(plan) == {"outer": (DEFINITION, 2), "inner": (DEFINITION, 3), "FACTOR": (CONSTANT, 3),
                           "math": (IMPORT, 1)}
    model = exported_code(plan)
    order = [model.index(text) for text in ("import math", "def outer", "FACTOR = 3", "def inner", "def predict")]
    assert order == sorted(order), model
    assert "# --- notebook cell 3 ---" in model and "not_needed" not in model
    assert plan.resolution is not None and "`outer`" in plan.resolution.needs["inner"].reader


def test_literal_constants_are_copied_computed_values_are_artifacts(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        ("FEATURES = ['a', 'b']\nLIMITS = {'a': (0, 1.5), 'b': (-1, None)}\nNAME: str = 'm'\nTOTAL = sum([1, 2])", []),
        ("GROWN = ['x']\nGROWN.append('y')\nPAIR = 1, 2\nSHUFFLED = [1, 2, 3]\nrandom.shuffle(SHUFFLED)", []),
        ("def predict(x: float) -> list:\n    return [FEATURES, LIMITS, NAME, TOTAL, GROWN, PAIR, SHUFFLED, x]",
         PREDICT),
    )
    found = kinds(plan)
    assert {n for n, (k, _) in found.items() if k == CONSTANT} == {"FEATURES", "LIMITS", "NAME", "PAIR"}
    # computed, or a literal changed in place afterwards: the kernel's value is the one to serve
    assert plan.artifacts == ["TOTAL", "GROWN", "SHUFFLED"]
    assert "FEATURES = ['a', 'b']" in exported_code(plan)


def test_the_reaching_binding_wins_over_a_later_one(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        ("THRESHOLD = 0.5\nimport math as m", []),
        ("def predict(x: float) -> bool:\n    return m.floor(x) > THRESHOLD", PREDICT),
        ("example = {'x': 1.0}", ["example"]),
        ("THRESHOLD = 0.9\nimport numpy as m", []),
    )
    assert kinds(plan) == {"THRESHOLD": (CONSTANT, 1), "m": (IMPORT, 1)}
    model = exported_code(plan)
    assert "THRESHOLD = 0.5" in model and "0.9" not in model and "import math as m" in model
    assert sorted(plan.rebound) == ["THRESHOLD", "m"], "the run must serve the values that reach predict"


def test_a_name_bound_only_below_the_predict_cell_takes_its_last_binding(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        ("def predict(x: float) -> float:\n    return x * model_weight", PREDICT),
        ("model_weight = float('2')", []),
    )
    assert plan.artifacts == ["model_weight"] and plan.rebound == []


def test_a_class_the_notebook_defines_is_exported_when_an_artifact_needs_it(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        ("import numpy as np\nfrom sklearn.base import BaseEstimator, TransformerMixin", []),
        ("OFFSET = 1.0\n\nclass LogScaler(BaseEstimator, TransformerMixin):\n    def fit(self, X, y=None):\n"
         "        return self\n    def transform(self, X):\n        return np.log(np.asarray(X) + OFFSET)", []),
        ("scaler = LogScaler().fit([[1.0]])", []),
        ("def predict(x: float) -> float:\n    return float(scaler.transform([[x]])[0][0])", PREDICT),
    )
    assert plan.artifacts == ["scaler"]
    assert plan.notebook_definitions == ["LogScaler", "predict"], "what the capture may alias for the service"
    assert plan.resolution is not None
    assert plan.resolution.add(["LogScaler"], "the artifact `scaler`") == []
    model = exported_code(plan)
    for text in ("class LogScaler(BaseEstimator, TransformerMixin):", "OFFSET = 1.0",
                 "\nfrom sklearn.base import BaseEstimator, TransformerMixin\n", "import numpy as np"):
        assert text in model, model
    train = _train_code(plan)
    assert "class LogScaler(" not in train and "pass  # class LogScaler" in train, train
    assert "scaler = LogScaler().fit" in train


def test_a_torch_module_subclass_is_exported_with_its_imports(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        ("import torch\nfrom torch import nn", []),
        ("HIDDEN = 8\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
         "        self.layer = nn.Linear(2, HIDDEN)\n    def forward(self, x):\n"
         "        return self.layer(x).sum()", []),
        ("net = Net()", []),
        ("def predict(a: float, b: float) -> float:\n    with torch.no_grad():\n"
         "        return float(net(torch.tensor([a, b])))", PREDICT),
    )
    assert plan.artifacts == ["net"] and plan.notebook_definitions == ["Net", "predict"]
    assert plan.resolution is not None and plan.resolution.add(["Net"], "the artifact `net`") == []
    assert kinds(plan)["nn"] == (IMPORT, 1) and kinds(plan)["HIDDEN"] == (CONSTANT, 2)
    assert "torch" in plan.export_modules


def test_an_exported_class_may_not_need_a_computed_value(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        ("vocabulary = sorted({'b', 'a'})", []),
        ("class Encoder:\n    def encode(self, word):\n        return vocabulary.index(word)", []),
        ("encoder = Encoder()", []),
        ("def predict(word: str) -> int:\n    return encoder.encode(word)", PREDICT),
    )
    assert plan.resolution is not None
    assert plan.resolution.add(["Encoder"], "the artifact `encoder`") == ["vocabulary"]


def test_import_blocks_and_magic_bindings(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        ("try:\n    import ujson as fastjson\nexcept ImportError:\n    import json as fastjson", []),
        ("%time fitted = dict(a=1)", []),
        ("%%capture log\nprint('hi')", []),
        ("def predict(x: str) -> int:\n    return len(fastjson.dumps(fitted)) + len(str(log))", PREDICT),
    )
    assert kinds(plan) == {"fastjson": (IMPORT, 1), "fitted": (ARTIFACT, 2), "log": (ARTIFACT, 3)}
    assert "except ImportError:\n    import json as fastjson" in exported_code(plan)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ([("weights = [1, 2]", ["skip"]), ("def predict(x: float) -> float:\n    return x * weights[0]", PREDICT)],
         "`predict` needs `weights`, which only a `skip` cell binds (cell 1): the build never runs skip cells"),
        ([("X_train = [[1.0]]", []), ("def mean():\n    return X_train[0][0]", []), ("del X_train", []),
          ("def predict(x: float) -> float:\n    return x - mean()", PREDICT)],
         "function `mean` (cell 2) reads `X_train`, which cell 3 deletes (`del X_train`) before the serving code"),
        ([("from math import *", []), ("def predict(x: float) -> float:\n    return floor(x)", PREDICT)],
         "`predict` needs `floor`, which no cell binds by name; `from math import *` in cell 1 may: "
         "import it by name (`from math import floor`)"),
        ([("def predict(x: float) -> float:\n    return x * nowhere", PREDICT)],
         "`predict` needs `nowhere`, which no cell defines"),
        ([("def helper(x):\n    get_ipython().system('ls')\n    return x", []),
          ("def predict(x: float) -> float:\n    return helper(x)", PREDICT)],
         "`predict` uses `helper` (cell 1), whose definition uses IPython syntax"),
        ([("labels = sorted({'a'})", []), ("def tag(f=labels):\n    return f", []),
          ("def predict(x: float) -> str:\n    return tag()[0]", PREDICT)],
         "`tag` (cell 2), which `predict` uses, reads `labels` when it is defined"),
    ],
)
def test_names_the_service_cannot_get_are_one_clear_error(tmp_path: Path, cells, message: str) -> None:
    with pytest.raises(BuildError) as caught:
        plan_of(tmp_path, *cells)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_module_beside_the_notebook_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "feats.py").write_text("def clean(x):\n    return x\n", encoding="utf-8")
    with pytest.raises(BuildError, match=r"`predict` uses `clean`, imported in cell 1 from `feats`, which is "
                                         r"feats.py beside the notebook: the service cannot install it"):
        plan_of(tmp_path, ("from feats import clean", []),
                ("def predict(x: float) -> float:\n    return clean(x)", PREDICT))


def test_serve_cells_still_force_code_into_the_service(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        ("import math", []),
        ("import json\nCACHE = {}\ndef unused_by_predict():\n    return json.dumps(CACHE)", ["serve"]),
        ("def predict(x: float) -> float:\n    return math.sqrt(x)", PREDICT),
    )
    model = exported_code(plan)
    assert "# --- notebook cell 2 (serve) ---" in model and "def unused_by_predict" in model
    assert kinds(plan) == {"math": (IMPORT, 1)}
    assert "class" not in _train_code(plan) and "unused_by_predict" not in _train_code(plan)
