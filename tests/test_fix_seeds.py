"""Fixes of the reproducibility, kernel-metadata and output rules (issue 14).

Each fix: lint a notebook, fix it, lint again (tests/fixcheck.py): the finding is gone,
nothing new appears, a second fix changes nothing, bytes elsewhere are unchanged; where
the fix touches code, the fixed notebook runs in a fresh kernel (marked slow).
"""

from __future__ import annotations

import importlib.util
import json
import platform

import pytest
from fixcheck import check_fix, make_notebook

from nb2prod.config import Overrides
from nb2prod.engine import lint_file
from nb2prod.fixes.run import fix_file

HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None
needs_sklearn = pytest.mark.skipif(not HAS_SKLEARN, reason="scikit-learn is not installed")
TITLE = "# md: # Title"


def _fix_of(path, code):
    return next(f.fix for f in lint_file(path).findings if f.code == code)


# -- NB101 / NB102: one seed, right after the import -------------------------------------


@pytest.mark.slow
def test_python_random_is_seeded_right_after_its_import_and_the_notebook_runs(tmp_path):
    check = check_fix(tmp_path, [TITLE, "import random", "rows = [1, 2, 3]\nrandom.shuffle(rows)"], "NB101", run=True)
    assert check.sources()[1] == "import random\nrandom.seed(0)"


def test_the_seed_never_goes_above_the_import_in_a_first_cell_that_runs_before_it(tmp_path):
    check = check_fix(tmp_path, [TITLE, "print('start')", "import numpy as np\nx = np.random.rand(3)"], "NB102")
    assert check.sources()[1] == "print('start')"
    assert check.sources()[2] == "import numpy as np\nnp.random.seed(0)\nx = np.random.rand(3)"


@pytest.mark.slow
def test_an_existing_seed_variable_is_used_when_it_is_bound_before_the_import(tmp_path):
    cells = [TITLE, "SEED = 1234", "import numpy as np\nimport random", "x = np.random.rand(2)\nrandom.random()"]
    check = check_fix(tmp_path, cells, "NB102", run=True)
    assert check.sources()[2] == "import numpy as np\nnp.random.seed(SEED)\nimport random\nrandom.seed(SEED)"


def test_a_seed_variable_bound_after_the_import_is_not_used(tmp_path):
    cells = [TITLE, "import numpy as np", "SEED = 7\nx = np.random.rand(2)"]
    check = check_fix(tmp_path, cells, "NB102")
    assert check.sources()[1] == "import numpy as np\nnp.random.seed(0)"


def test_the_alias_the_notebook_uses_is_kept(tmp_path):
    cells = [TITLE, "from numpy import random as npr\nimport numpy", "x = npr.rand(2)"]
    check = check_fix(tmp_path, cells, "NB102")
    assert check.sources()[1] == "from numpy import random as npr\nnpr.seed(0)\nimport numpy"


def test_a_seed_inside_a_time_magic_cell_goes_after_the_import_in_its_body(tmp_path):
    cells = [TITLE, "%%time\nimport numpy as np\nx = np.random.rand(2)"]
    check = check_fix(tmp_path, cells, "NB102")
    assert check.sources()[1] == "%%time\nimport numpy as np\nnp.random.seed(0)\nx = np.random.rand(2)"


def test_crlf_cells_get_crlf_lines_and_indented_imports_an_indented_seed(tmp_path):
    cells = [TITLE, "import numpy as np\r\nx = np.random.rand(2)\r\n"]
    check = check_fix(tmp_path, cells, "NB102")
    assert check.sources()[1] == "import numpy as np\r\nnp.random.seed(0)\r\nx = np.random.rand(2)\r\n"


@pytest.mark.parametrize(
    "cells",
    [
        pytest.param([TITLE, "import numpy as np; x = np.random.rand(2)"], id="import-and-draw-on-one-line"),
        pytest.param([TITLE, "x = 1", "import numpy as np\nnp.random.seed(1)", "import numpy as np"], id="seeded"),
        pytest.param([TITLE, "from numpy.random import rand\nx = rand(2)"], id="no-module-to-seed-through"),
        pytest.param([TITLE, "if True:\n    import numpy as np\nx = np.random.rand(2)"], id="import-not-top-level"),
    ],
)
def test_no_seed_fix_where_the_seed_cannot_go_right(tmp_path, cells):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(make_notebook(cells)), encoding="utf-8")
    for f in lint_file(path).findings:
        if f.code == "NB102":
            assert f.fix is None, f.fix


def test_a_seed_set_after_the_draw_is_not_duplicated(tmp_path):
    cells = [TITLE, "import numpy as np\nx = np.random.rand(2)", "np.random.seed(0)"]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(make_notebook(cells)), encoding="utf-8")
    found = [f for f in lint_file(path).findings if f.code == "NB102"]
    assert found and found[0].fix is None  # moving the user's seed is the user's call


def test_torch_and_tensorflow_are_seeded_through_their_own_calls(tmp_path):
    (tmp_path / "t").mkdir()
    check = check_fix(tmp_path / "t", [TITLE, "import torch", "w = torch.randn(3)"], "NB104")
    assert check.sources()[1] == "import torch\ntorch.manual_seed(0)"
    (tmp_path / "k").mkdir()
    check = check_fix(tmp_path / "k", [TITLE, "import tensorflow as tf", "x = tf.random.normal((2,))"], "NB105")
    assert check.sources()[1] == "import tensorflow as tf\ntf.keras.utils.set_random_seed(0)"


# -- NB103: a generator gets a seed -----------------------------------------------------


@pytest.mark.slow
def test_an_unseeded_generator_gets_the_seed_and_runs(tmp_path):
    cells = [TITLE, "import numpy as np", "rng = np.random.default_rng()\nold = np.random.RandomState(None)"]
    check = check_fix(tmp_path, cells, "NB103", run=True)
    assert check.sources()[2] == "rng = np.random.default_rng(0)\nold = np.random.RandomState(0)"


def test_a_generator_made_in_a_loop_gets_only_an_unsafe_fix(tmp_path):
    cells = [TITLE, "import numpy as np", "for i in range(3):\n    rng = np.random.default_rng()"]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(make_notebook(cells)), encoding="utf-8")
    assert not _fix_of(path, "NB103").safe  # every iteration would draw the same numbers
    assert not fix_file(path, Overrides(select=("NB103",))).changed
    check = check_fix(tmp_path, cells, "NB103", unsafe=True)
    assert "default_rng(0)" in check.sources()[2]


# -- NB106 / NB109: random_state= ----------------------------------------------------------


@needs_sklearn
@pytest.mark.slow
def test_random_state_is_added_to_each_call_and_the_notebook_runs(tmp_path):
    cells = [
        TITLE,
        "from sklearn.model_selection import train_test_split\nfrom sklearn.cluster import KMeans\n"
        "from sklearn.ensemble import RandomForestClassifier",
        "X = [[i, i % 3] for i in range(20)]\ny = [i % 2 for i in range(20)]\n"
        "X_train, X_test, y_train, y_test = train_test_split(\n    X,\n    y,\n    test_size=0.25,\n)\n"
        "km = KMeans(n_clusters=2, n_init=1).fit(X)\nclf = RandomForestClassifier(n_estimators=3, random_state=None)\n"
        "clf.fit(X_train, y_train)",
    ]
    check = check_fix(tmp_path, cells, "NB106", run=True)
    src = check.sources()[2]
    assert "    test_size=0.25, random_state=0,\n)" in src
    assert "KMeans(n_clusters=2, n_init=1, random_state=0)" in src
    assert "RandomForestClassifier(n_estimators=3, random_state=0)" in src


def test_random_state_uses_the_seed_variable_and_an_empty_call_gets_the_keyword_alone(tmp_path):
    cells = [TITLE, "from sklearn.cluster import KMeans\nRANDOM_STATE = 3", "km = KMeans()"]
    check = check_fix(tmp_path, cells, "NB106")
    assert check.sources()[2] == "km = KMeans(random_state=RANDOM_STATE)"


def test_random_state_in_a_loop_is_an_unsafe_fix(tmp_path):
    cells = [TITLE, "from sklearn.cluster import KMeans", "models = [KMeans(n_clusters=k) for k in range(2, 5)]"]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(make_notebook(cells)), encoding="utf-8")
    fix = _fix_of(path, "NB106")
    assert fix is not None and not fix.safe


def test_nb109_gets_random_state_too(tmp_path):
    cells = [TITLE, "from sklearn.preprocessing import QuantileTransformer", "qt = QuantileTransformer(n_quantiles=10)"]
    check = check_fix(tmp_path, cells, "NB109")
    assert check.sources()[2] == "qt = QuantileTransformer(n_quantiles=10, random_state=0)"


# -- NB205 / NB206: kernel metadata ---------------------------------------------------------


@pytest.mark.slow
def test_missing_kernel_metadata_is_written_in_sorted_place_and_the_notebook_runs(tmp_path):
    nb = make_notebook([TITLE, "x = 1"], metadata={"authors": [{"name": "a"}], "zz": 1})
    check = check_fix(tmp_path, nb, "NB205", run=True)
    meta = check.data["metadata"]
    assert list(meta) == ["authors", "kernelspec", "language_info", "zz"]
    assert meta["kernelspec"] == {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    assert meta["language_info"] == {"name": "python", "version": platform.python_version()}


def test_a_kernelspec_without_name_keeps_its_other_keys(tmp_path):
    nb = make_notebook([TITLE, "x = 1"], metadata={"kernelspec": {"display_name": "My env"},
                                                  "language_info": {"name": "python", "version": "3.10.4"}})
    check = check_fix(tmp_path, nb, "NB205")
    assert check.data["metadata"]["kernelspec"] == {"display_name": "My env", "language": "python", "name": "python3"}
    assert check.data["metadata"]["language_info"]["version"] == "3.10.4"


def test_an_r_notebook_gets_no_kernel_fix(tmp_path):
    nb = make_notebook([TITLE, "x <- 1"], metadata={"jupytext": {"main_language": "R"}})
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert all(f.fix is None for f in lint_file(path).findings if f.code in ("NB205", "NB206"))


# -- NB30x and NB603: outputs (unsafe) ---------------------------------------------------------


def _executed(cells, counts, outputs=None):
    nb = make_notebook(cells)
    for cell, count in zip(nb["cells"][1:], counts, strict=True):
        cell["execution_count"] = count
    for index, outs in (outputs or {}).items():
        nb["cells"][index]["outputs"] = outs
    return nb


def test_out_of_order_counts_are_cleared_only_with_unsafe_fixes(tmp_path):
    nb = _executed([TITLE, "x = 1", "y = x + 1"], [2, 1])
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    assert not fix_file(path, Overrides(select=("NB3",))).changed  # clearing saved results is never safe
    check = check_fix(tmp_path, nb, "NB301", unsafe=True)
    assert [c["execution_count"] for c in check.data["cells"][1:]] == [None, None]


def test_an_error_output_is_cleared_with_the_others(tmp_path):
    err = {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": []}
    nb = _executed([TITLE, "x = 1", "raise ValueError('bad')"], [1, 2], {2: [err]})
    check = check_fix(tmp_path, nb, "NB303", unsafe=True)
    assert all(c.get("outputs", []) == [] for c in check.data["cells"])


def test_an_output_with_an_email_is_removed_and_the_other_outputs_stay(tmp_path):
    keep = {"output_type": "stream", "name": "stdout", "text": ["total: 3\n"]}
    leak = {"output_type": "stream", "name": "stdout", "text": ["row 1 maria.gonzalez84@gmail.com 3 items\n"]}
    nb = _executed([TITLE, "contact = 'jane'\nprint('total: 3')\nprint(contact)"], [1], {1: [keep, leak]})
    check = check_fix(tmp_path, nb, "NB603", unsafe=True)
    cell = check.data["cells"][1]
    assert cell["outputs"] == [keep] and cell["execution_count"] == 1


def test_an_output_showing_a_secret_is_removed(tmp_path):
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"  # a made-up GitHub token, split so no scanner flags it
    leak = {"output_type": "stream", "name": "stdout", "text": [f"token {token}\n"]}
    keep = {"output_type": "execute_result", "data": {"text/plain": ["3"]}, "metadata": {}, "execution_count": 1}
    nb = _executed([TITLE, "x = 3\nx"], [1], {1: [leak, keep]})
    check = check_fix(tmp_path, nb, "NB602", unsafe=True)
    assert check.data["cells"][1]["outputs"] == [keep]


def test_an_output_with_too_many_lines_is_removed(tmp_path):
    long = {"output_type": "stream", "name": "stdout", "text": [f"{i}\n" for i in range(600)]}
    nb = _executed([TITLE, "for i in range(600):\n    print(i)"], [1], {1: [long]})
    check = check_fix(tmp_path, nb, "NB704", unsafe=True)
    assert check.data["cells"][1]["outputs"] == [] and check.data["cells"][1]["execution_count"] == 1


def test_a_requirements_file_that_would_be_incomplete_is_an_unsafe_fix(tmp_path):
    nb = tmp_path / "nb.ipynb"
    nb.write_text(json.dumps(make_notebook([TITLE, "import numpy\nimport surely_not_installed_pkg_xyz"])),
                  encoding="utf-8")
    fix = _fix_of(nb, "NB203")
    assert fix is not None and not fix.safe and "surely-not-installed-pkg-xyz" in fix.message.replace("_", "-")
    assert not fix_file(nb, Overrides(select=("NB203",))).changed
    assert not (tmp_path / "requirements.txt").exists()


def test_a_missing_language_version_alone_is_recorded(tmp_path):
    nb = make_notebook([TITLE, "x = 1"], metadata={"kernelspec": {"display_name": "Python 3", "language": "python",
                                                                  "name": "python3"}})
    check = check_fix(tmp_path, nb, "NB206")
    assert check.data["metadata"]["language_info"] == {"name": "python", "version": platform.python_version()}
    assert check.data["metadata"]["kernelspec"] == nb["metadata"]["kernelspec"]


@pytest.mark.parametrize(("counts", "code"), [([None, 1], "NB302"), ([1, 3], "NB306")])
def test_stale_execution_state_is_cleared_with_unsafe_fixes(tmp_path, counts, code):
    nb = _executed([TITLE, "x = 1", "y = x + 1"], counts)
    check = check_fix(tmp_path, nb, code, unsafe=True)
    assert [c.get("execution_count") for c in check.data["cells"][1:]] == [None, None]


def test_an_output_with_a_phone_number_is_removed(tmp_path):
    leak = {"output_type": "stream", "name": "stdout", "text": ["call +1 415 767 2231 now\n"]}
    nb = _executed([TITLE, "print(customer)"], [1], {1: [leak]})
    nb["cells"][1]["source"] = "customer = 'x'\nprint(customer)"
    check = check_fix(tmp_path, nb, "NB604", unsafe=True)
    assert check.data["cells"][1]["outputs"] == []


HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_KERAS = importlib.util.find_spec("keras") is not None


@pytest.mark.slow
@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_the_torch_seed_runs(tmp_path):
    check = check_fix(tmp_path, [TITLE, "import torch", "w = torch.randn(3)\nassert w.shape == (3,)"], "NB104",
                      run=True)
    assert check.sources()[1] == "import torch\ntorch.manual_seed(0)"


@pytest.mark.slow
@pytest.mark.skipif(not (HAS_KERAS and HAS_TORCH), reason="keras (on the torch backend) is not installed")
def test_the_keras_seed_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")  # the kernel inherits it
    cells = [TITLE, "import keras", "model = keras.Sequential([keras.layers.Dense(2)])\nmodel.build((None, 3))"]
    check = check_fix(tmp_path, cells, "NB105", run=True)
    assert check.sources()[1] == "import keras\nkeras.utils.set_random_seed(0)"
