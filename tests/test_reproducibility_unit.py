"""NB1xx details that fixtures show poorly: URL pinning, the scikit-learn table, notebook order."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from nb2prod.config import Overrides
from nb2prod.engine import lint_file
from nb2prod.rules.reproducibility.scan import (
    ALWAYS,
    DATA,
    NEVER,
    seed_effect,
    sklearn_effects,
    sklearn_position,
    sklearn_table,
)
from nb2prod.rules.reproducibility.urls import unpinned

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "url",
    [
        "https://raw.githubusercontent.com/acme/data/master/iris.csv",
        "https://raw.githubusercontent.com/acme/data/refs/heads/main/iris.csv",
        "https://github.com/acme/data/blob/main/iris.csv?raw=true",
        "https://github.com/acme/data/raw/develop/iris.csv",
        "https://github.com/acme/data/archive/master.zip",
        "https://github.com/acme/data/releases/latest/download/iris.csv",
        "https://gist.githubusercontent.com/someone/0123abcd/raw/iris.csv",
        "https://gitlab.com/acme/data/-/raw/main/iris.csv",
        "https://huggingface.co/datasets/acme/iris/resolve/main/iris.csv",
        "https://cdn.jsdelivr.net/gh/acme/data/iris.csv",
        "https://archive.ics.uci.edu/ml/machine-learning-databases/iris/iris.data",
        "http://example.com/recipeitems-latest.json.gz",
        "https://raw.githubusercontent.com/acme/data/main/v2/iris.csv",  # the branch decides
    ],
)
def test_unpinned_urls(url: str) -> None:
    assert unpinned(url) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://raw.githubusercontent.com/acme/data/3f2c9d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e/iris.csv",
        "https://raw.githubusercontent.com/acme/data/v1.2.0/iris.csv",
        "https://raw.githubusercontent.com/acme/data/refs/tags/2024.01/iris.csv",
        "https://github.com/acme/data/blob/3f2c9d1/iris.csv",
        "https://github.com/acme/data/releases/download/v2/iris.csv",
        "https://github.com/acme/data/archive/refs/tags/v1.0.zip",
        "https://huggingface.co/datasets/acme/iris/resolve/e6281661ce1c48d982bc483cf8a173c1bbeb5d31/x.csv",
        "https://cdn.jsdelivr.net/gh/acme/data@1.0.3/iris.csv",
        "https://zenodo.org/records/123456/files/iris.csv",
        "https://web.archive.org/web/20200101000000/http://example.com/iris.csv",
        "https://example.com/data/v3/iris.csv",
        "https://example.com/data/iris-1.4.2.tar.gz",
        "https://example.com/data/2024-01-31/iris.csv",
        "https://example.com/iris.csv?version=3",
        "https://download.pytorch.org/models/resnet18-f37072fd.pth",
        "http://localhost:8000/iris.csv",
        "https://raw.githubusercontent.com/acme/data/\x00/iris.csv",  # computed ref: cannot tell
        "https://example.com/\x00/iris.csv",
        "http://[::1",  # not a URL urllib can split
    ],
)
def test_pinned_or_unknown_urls(url: str) -> None:
    assert unpinned(url) is None


def test_sklearn_table_is_loaded_from_json() -> None:
    data = json.loads((ROOT / "nb2prod" / "data" / "sklearn_random_state.json").read_text())
    assert data["sklearn_version"]
    table, by_name = sklearn_table()
    assert "sklearn.ensemble.RandomForestClassifier" in table
    assert "sklearn.model_selection.train_test_split" in table
    assert "sklearn.linear_model.LinearRegression" not in table  # no random_state
    assert sklearn_position("sklearn.cross_validation.train_test_split")[0]  # old path
    # The measured seed effect covers every callable that accepts random_state.
    effects, _ = sklearn_effects()
    assert set(effects) == set(table)


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [
        # LogisticRegression: lbfgs ignores the seed; liblinear uses it for L1 and the dual.
        ("sklearn.linear_model.LogisticRegression", {}, NEVER),
        ("sklearn.linear_model.LogisticRegression", {"solver": "liblinear"}, NEVER),
        ("sklearn.linear_model.LogisticRegression", {"solver": "liblinear", "penalty": "l2", "C": ...}, NEVER),
        ("sklearn.linear_model.LogisticRegression", {"solver": "liblinear", "penalty": "l1"}, ALWAYS),
        ("sklearn.linear_model.LogisticRegression", {"solver": "liblinear", "dual": True}, ALWAYS),
        ("sklearn.linear_model.LogisticRegression", {"solver": "saga"}, ALWAYS),
        ("sklearn.linear_model.LogisticRegression", {"solver": ...}, DATA),  # unread: it depends
        ("sklearn.linear_model.LogisticRegression", {"solver": "no-such-solver"}, DATA),
        ("sklearn.linear_model.LogisticRegression", {"penalty": "l1"}, NEVER),  # lbfgs rejects it: it fails
        ("sklearn.svm.SVC", {}, NEVER),
        ("sklearn.svm.SVC", {"probability": True}, ALWAYS),
        ("sklearn.model_selection.KFold", {}, NEVER),
        ("sklearn.model_selection.KFold", {"shuffle": True}, ALWAYS),
        ("sklearn.model_selection.KFold", {"shuffle": 1}, DATA),  # 1 is not True
        ("sklearn.model_selection.train_test_split", {}, ALWAYS),
        ("sklearn.model_selection.train_test_split", {"shuffle": False}, NEVER),
        ("sklearn.datasets.make_moons", {"shuffle": False}, NEVER),
        ("sklearn.datasets.make_moons", {"shuffle": False, "noise": 0.1}, ALWAYS),
        ("sklearn.ensemble.RandomForestClassifier", {}, ALWAYS),
        ("sklearn.preprocessing.QuantileTransformer", {}, DATA),  # a subsample past 10,000 rows
        ("sklearn.decomposition.PCA", {}, NEVER),
        ("sklearn.decomposition.PCA", {"svd_solver": "randomized"}, ALWAYS),
        ("sklearn.cross_validation.KFold", {"shuffle": True}, ALWAYS),  # an old path, by short name
        ("sklearn.not_a_module.Unknown", {}, ALWAYS),  # not measured: the old default
    ],
)
def test_measured_seed_effect(name: str, given: dict[str, object], expected: str) -> None:
    assert seed_effect(name, given)[0] == expected


def test_seed_effect_numbers_compare_as_numbers() -> None:
    name = "sklearn.ensemble.GradientBoostingRegressor"
    assert seed_effect(name, {"subsample": 1, "max_features": None}) == seed_effect(
        name, {"subsample": 1.0, "max_features": None}
    )


def test_seed_effect_table_is_what_the_experiment_measures() -> None:
    """Rerun the experiment for a few quick callables: the committed outcomes come out."""
    sklearn = pytest.importorskip("sklearn")
    data = json.loads((ROOT / "nb2prod" / "data" / "sklearn_seed_effect.json").read_text())
    if data["sklearn_version"] != sklearn.__version__:
        pytest.skip(f"table made with scikit-learn {data['sklearn_version']}, {sklearn.__version__} installed")
    spec = importlib.util.spec_from_file_location("exp", ROOT / "tools" / "sklearn_seed_experiment.py")
    assert spec and spec.loader
    exp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(exp)
    _, effect = exp.run({"SVC", "KFold", "train_test_split", "make_moons", "Ridge"})
    for dotted, entry in effect.items():
        assert entry == data["effect"][dotted], dotted


def test_generated_table_matches_installed_sklearn() -> None:
    """The committed JSON is what the generator writes (when the same version is installed)."""
    sklearn = pytest.importorskip("sklearn")
    data = json.loads((ROOT / "nb2prod" / "data" / "sklearn_random_state.json").read_text())
    if data["sklearn_version"] != sklearn.__version__:
        pytest.skip(f"table made with scikit-learn {data['sklearn_version']}, {sklearn.__version__} installed")
    spec = importlib.util.spec_from_file_location("gen", ROOT / "tools" / "gen_sklearn_random_state.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    version, table = gen.collect()
    assert table == data["random_state"]


def _codes(path: Path) -> list[tuple[str, int | None, int]]:
    result = lint_file(path, Overrides(select=("NB1",)))
    assert not result.internal_errors
    return [(f.code, f.cell, f.line) for f in result.findings]


def test_subclass_instantiated_after_seed_is_seeded(write_nb) -> None:
    path = write_nb(
        "import torch\n\nclass Base(torch.nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.fc = torch.nn.Linear(2, 2)\n\nclass Net(Base):\n    pass\n",
        "torch.manual_seed(0)\nmodel = Net()",
    )
    assert _codes(path) == []


def test_mutually_recursive_functions_do_not_hang(write_nb) -> None:
    path = write_nb(
        "import numpy as np\n\ndef f():\n    g()\n    return np.random.rand()\n\ndef g():\n    f()\n",
        "f()\nnp.random.seed(0)",
    )
    assert _codes(path) == [("NB102", 2, 5)]


def test_seed_helper_counts_where_it_is_called(write_nb) -> None:
    path = write_nb(
        "import random\n\ndef seed_everything(s):\n    random.seed(s)\n",
        "a = random.random()",
        "seed_everything(1)\nb = random.random()",
    )
    result = lint_file(path, Overrides(select=("NB101",)))
    assert [(f.cell, f.line) for f in result.findings] == [(3, 1)]
    assert "before the seed in cell 4" in result.findings[0].message  # where it runs, not where defined


def test_deferred_draws_follow_the_name_through_constructors(write_nb) -> None:
    # The random flip draws when the loader built on the data set built on it is iterated.
    path = write_nb(
        "import torch\nfrom torchvision import datasets, transforms\nfrom torch.utils.data import DataLoader\n"
        "aug = transforms.RandomHorizontalFlip()\ntrain = datasets.ImageFolder('d', transform=aug)\n"
        "loader = DataLoader(train)",
        "for batch in loader:\n    break",
        "torch.manual_seed(0)",
    )
    assert _codes(path) == [("NB104", 2, 4)]


def test_deferred_draw_never_used_is_not_a_use(write_nb) -> None:
    path = write_nb("import torch\nloader = torch.utils.data.DataLoader([1, 2], shuffle=True)\n"
                    "drop = torch.nn.Dropout()")
    assert _codes(path) == []


def test_deferred_draw_inside_a_function_counts_only_without_any_seed(write_nb) -> None:
    src = "import torch\n\ndef loader():\n    return torch.utils.data.DataLoader([1, 2], shuffle=True)\n"
    assert _codes(write_nb(src, "for b in loader():\n    pass")) == [("NB104", 2, 4)]
    assert _codes(write_nb(src, "torch.manual_seed(0)", "for b in loader():\n    pass", name="b.ipynb")) == []


def test_only_the_first_unseeded_use_is_reported(write_nb) -> None:
    path = write_nb("import random\na = random.random()\nb = random.random()\nc = random.choice([1])")
    result = lint_file(path, Overrides(select=("NB101",)))
    assert [f.line for f in result.findings] == [2]
    assert "(+2 more before any seed)" in result.findings[0].message


def test_dataset_shuffle_is_tied_to_tensorflow_through_names(write_nb) -> None:
    path = write_nb(
        "import tensorflow as tf\nimport tensorflow_datasets as tfds\n"
        "(train, test), info = tfds.load('mnist', split=['train', 'test'], with_info=True)\n"
        "train = train.map(lambda x: x).cache()",
        "train = train.shuffle(1000)\nrng_items = other.shuffle(10)",
    )
    assert _codes(path) == [("NB105", 3, 1)]


def test_shell_downloads_in_bash_cells(write_nb) -> None:
    path = write_nb(
        "%%bash\nwget https://raw.githubusercontent.com/acme/data/main/a.csv\ncurl -sL https://api.example.com/x\n"
    )
    assert _codes(path) == [("NB107", 2, 2)]


def test_odd_code_never_crashes(write_nb) -> None:
    path = write_nb(
        "import pandas as pd, numpy as np, random, torch\n"
        "u = u\npd.read_csv(u)\npd.read_csv(*a)\npd.read_csv(**k)\npd.read_csv(f'{x!r:>{w}}')\n"
        "(lambda: 1)()\nnp.random.__dict__['rand']()\nrandom.seed(*s)\ntorch.manual_seed(**k)\n"
        "pd.read_csv('https://raw.githubusercontent.com/' + 3 * 'a')\n",
        "!curl -O {url}\n!wget $URL",
        "%%bash\n",
    )
    _codes(path)
