"""runtime/serializers.py: each artifact in its library's own format, loaded back identical; the choice
order, falling through, plug-ins, the lock's checks, and the notebook's own classes saved against an alias."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # keras 3 on the CPU torch build of these machines

import importlib.metadata
import json
import sys
import textwrap
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nb2prod.service_runtime import lockfile, serializers
from nb2prod.service_runtime.serializers import NOTEBOOK_MODULE, NoSerializerError, Serializer


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    """Each test discovers the plug-ins afresh, and leaves no fake one behind."""
    serializers.registry(refresh=True)
    yield
    serializers.registry(refresh=True)


def save(obj: Any, folder: Path, name: str = "obj", aliases: dict[str, Any] | None = None) -> dict[str, Any]:
    """Save `obj` as the capture step does, into a package folder's artifacts/ and its lock; the lock entry."""
    (folder / "artifacts").mkdir(parents=True, exist_ok=True)
    with serializers.aliased(aliases or {}):
        saved = serializers.registry().save(obj, folder / "artifacts", name)
    entry = {"name": name, "file": saved.path.name, "format": saved.serializer.name,
             "sha256": lockfile.sha256_of(saved.path), "type": f"{type(obj).__module__}.{type(obj).__qualname__}",
             "trusted": list(saved.fields.get("trusted") or []), "bytes": saved.path.stat().st_size,
             "options": saved.fields.get("options") or {}, "exports": sorted(aliases or {}), "modules": saved.modules}
    lock_path = folder / lockfile.LOCK_NAME
    lock = json.loads(lock_path.read_text()) if lock_path.is_file() else {"artifacts": []}
    lock["artifacts"].append(entry)
    lock_path.write_text(json.dumps(lock), encoding="utf-8")
    return entry


def round_trip(obj: Any, tmp_path: Path, fmt: str, **load: Any) -> Any:
    entry = save(obj, tmp_path / "pkg")
    assert entry["format"] == fmt, entry
    return lockfile.load_artifacts(tmp_path / "pkg", **load)["obj"]


def data(n: int = 120) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(n, 4)), columns=["a", "b", "c", "d"])
    y = ((x.a + x.b > 0).astype(int) + (x.c > 0.8)).to_numpy()
    return x, y


def same(a: Any, b: Any) -> bool:
    """Bit-identical arrays (object arrays: equal items of the same types)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.hasobject:
        flat_a, flat_b = a.ravel().tolist(), b.ravel().tolist()
        return [type(v) for v in flat_a] == [type(v) for v in flat_b] and flat_a == flat_b
    return a.tobytes() == b.tobytes()


# ---- a round trip per built-in format, with a real small fitted model of each library ----


def test_scikit_learn_goes_to_skops(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = data()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y)
    loaded = round_trip(model, tmp_path, "skops")
    assert same(model.predict_proba(x), loaded.predict_proba(x)) and same(model.classes_, loaded.classes_)


@pytest.mark.parametrize("kind", ["XGBClassifier", "XGBRegressor", "XGBRFClassifier", "XGBRanker", "Booster"])
def test_xgboost_goes_to_its_model_file(tmp_path: Path, kind: str) -> None:
    import xgboost as xgb

    x, y = data()
    if kind == "Booster":
        model: Any = xgb.train({"max_depth": 3}, xgb.DMatrix(x, label=y), num_boost_round=5)
    elif kind == "XGBRanker":
        model = xgb.XGBRanker(n_estimators=5, max_depth=3).fit(x, y, qid=np.repeat(np.arange(12), 10))
    else:
        model = getattr(xgb, kind)(n_estimators=5, max_depth=3, random_state=0).fit(x, y)
    loaded = round_trip(model, tmp_path, "xgboost")
    assert type(loaded) is type(model)
    # the service needs scikit-learn for xgboost's sklearn API (its classes derive from sklearn's)
    assert ("sklearn" in serializers.walk(model).modules) is (kind != "Booster")
    if kind == "Booster":
        assert same(model.predict(xgb.DMatrix(x)), loaded.predict(xgb.DMatrix(x)))
        return
    assert same(model.predict(x), loaded.predict(x))
    assert list(loaded.feature_names_in_) == ["a", "b", "c", "d"]
    assert (loaded.n_estimators, loaded.max_depth) == (5, 3)  # the hyperparameters, from the lock entry
    if hasattr(model, "predict_proba"):
        assert same(model.predict_proba(x), loaded.predict_proba(x)) and same(model.classes_, loaded.classes_)


def test_lightgbm_booster_goes_to_its_model_file_and_the_sklearn_wrapper_to_joblib(tmp_path: Path) -> None:
    import lightgbm as lgb

    x, y = data()
    booster = lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1}, lgb.Dataset(x, y), 8)
    loaded = round_trip(booster, tmp_path / "booster", "lightgbm")
    assert same(booster.predict(x), loaded.predict(x))
    wrapper = lgb.LGBMClassifier(n_estimators=8, verbose=-1).fit(x, y)
    loaded = round_trip(wrapper, tmp_path / "wrapper", "joblib")
    assert same(wrapper.predict_proba(x), loaded.predict_proba(x))


def test_catboost_goes_to_cbm(tmp_path: Path) -> None:
    import catboost as cb

    x, y = data()
    labels = np.array(["low", "mid", "high"])[y]
    model = cb.CatBoostClassifier(iterations=10, depth=3, verbose=False, random_seed=0,
                                  allow_writing_files=False).fit(x, labels)  # no catboost_info/ in the cwd
    loaded = round_trip(model, tmp_path, "catboost")
    assert type(loaded) is cb.CatBoostClassifier
    assert same(model.predict(x), loaded.predict(x)) and same(model.predict_proba(x), loaded.predict_proba(x))
    assert list(loaded.classes_) == list(model.classes_)


def test_torch_modules_and_tensors(tmp_path: Path) -> None:
    import torch
    from torch import nn

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).eval()
    loaded = round_trip(net, tmp_path / "module", "torch")
    x = torch.randn(5, 4)
    assert type(loaded) is nn.Sequential and torch.equal(net(x), loaded(x))
    entry = json.loads((tmp_path / "module" / "pkg" / lockfile.LOCK_NAME).read_text())["artifacts"][0]
    assert "torch.nn.modules.linear.Linear" in entry["trusted"]
    state = round_trip(net.state_dict(), tmp_path / "tensors", "torch-tensors")
    assert list(state) == list(net.state_dict()) and all(torch.equal(state[k], v) for k, v in net.state_dict().items())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_keras_goes_to_dot_keras(tmp_path: Path) -> None:
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="relu"), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    loaded = round_trip(model, tmp_path, "keras")
    entry = json.loads((tmp_path / "pkg" / lockfile.LOCK_NAME).read_text())["artifacts"][0]
    assert entry["options"] == {"backend": keras.backend.backend()} and "torch" in entry["modules"]
    assert same(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


KERAS_LAYER = '''
import keras


class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
'''


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_keras_layer_the_notebook_defines_is_found_and_loads_against_the_services(tmp_path: Path) -> None:
    import keras

    notebook, service = types.ModuleType("__main__"), types.ModuleType("svc_model")
    for module in (notebook, service):
        exec(compile(KERAS_LAYER, f"<{module.__name__}>", "exec"), module.__dict__)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), notebook.Scale(3.0)])
    assert ("__main__", "Scale", "class") in {(m, q, k) for m, q, k, _ in serializers.walk(model).refs}
    assert save(model, tmp_path / "pkg", aliases={"Scale": notebook.Scale})["format"] == "keras"
    loaded = lockfile.load_artifacts(tmp_path / "pkg", notebook_module=service)["obj"]
    assert type(loaded.layers[-1]) is service.Scale and loaded.layers[-1].factor == 3.0
    x = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    assert same(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_statsmodels_results_go_to_its_own_pickle(tmp_path: Path) -> None:
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=60), "g": rng.choice(["a", "b"], 60)})
    frame["y"] = 2 * frame.x + (frame.g == "a") + rng.normal(size=60)
    results = smf.ols("y ~ x + g", frame).fit()
    loaded = round_trip(results, tmp_path, "statsmodels")
    assert same(results.predict(frame), loaded.predict(frame)) and same(results.params, loaded.params)


FORMULA_NOTEBOOK = '''
import numpy as np
import pandas as pd
import statsmodels.formula.api as smf


def double_it(x):
    return 2 * x


rng = np.random.default_rng(0)
frame = pd.DataFrame({"x": rng.uniform(1, 5, 40), "z": rng.normal(size=40)})
frame["y"] = 3 * np.log(frame.x) - frame.z + rng.normal(scale=0.1, size=40)
results = smf.ols("y ~ np.log(x) + double_it(z)", frame).fit()
'''


def test_a_statsmodels_formula_loads_with_the_functions_and_modules_it_names(tmp_path: Path) -> None:
    """statsmodels evaluates a formula again when it unpickles, in its caller's namespace: the
    service's load gives it the notebook's function (exported) and the modules the formula names."""
    notebook, service = types.ModuleType("__main__"), types.ModuleType("svc_model")
    exec(compile(FORMULA_NOTEBOOK, "<notebook>", "exec"), notebook.__dict__)
    exec(compile("def double_it(x):\n    return 2 * x\n", "<svc_model>", "exec"), service.__dict__)
    results = notebook.results
    assert {"np", "double_it", "x", "z"} <= set(serializers.walk(results).names)
    entry = save(results, tmp_path / "pkg", "results", aliases={"double_it": notebook.double_it})
    assert entry["format"] == "statsmodels"
    lock = json.loads((tmp_path / "pkg" / lockfile.LOCK_NAME).read_text())
    lock["artifacts"][0]["options"] = {"names": {"np": "numpy"}}  # as the capture records the formula's modules
    (tmp_path / "pkg" / lockfile.LOCK_NAME).write_text(json.dumps(lock))
    smpickle = importlib.import_module("statsmodels.iolib.smpickle")
    with pytest.raises(Exception, match="is not defined"):  # loaded where neither name is visible
        serializers._call_in({}, smpickle.load_pickle, str(tmp_path / "pkg" / "artifacts" / "results.pickle"))
    loaded = lockfile.load_artifacts(tmp_path / "pkg", notebook_module=service)["results"]
    new = pd.DataFrame({"x": [1.5, 4.0], "z": [0.3, -1.0]})
    assert same(results.predict(new), loaded.predict(new))


def test_numpy_arrays_go_to_npy_without_pickle(tmp_path: Path) -> None:
    array = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4) / 7)
    loaded = round_trip(array, tmp_path / "floats", "numpy")
    assert same(array, loaded) and loaded.flags.f_contiguous
    objects = np.array([{"a": 1}, None], dtype=object)  # needs a pickle: not .npy
    assert round_trip(objects, tmp_path / "objects", "joblib").tolist() == objects.tolist()


def test_pandas_goes_to_parquet_when_exact(tmp_path: Path) -> None:
    frame = pd.DataFrame({"n": [1, 2, 3], "f": [0.1, np.nan, -0.0], "s": ["a", None, "c"],
                          "c": pd.Categorical(["x", "y", "x"]),
                          "t": pd.to_datetime(["2024-01-01", None, "2024-03-01"])},
                         index=pd.Index([10, 20, 30], name="id"))
    pd.testing.assert_frame_equal(round_trip(frame, tmp_path / "frame", "parquet"), frame, check_exact=True)
    series = pd.Series([1.5, 2.5], index=["a", "b"], name="price")
    pd.testing.assert_series_equal(round_trip(series, tmp_path / "series", "parquet"), series, check_exact=True)
    numbered = pd.DataFrame([[1, 2]])  # integer column names: parquet refuses them, joblib keeps them
    pd.testing.assert_frame_equal(round_trip(numbered, tmp_path / "numbered", "joblib"), numbered)


def test_json_only_when_it_round_trips_exactly(tmp_path: Path) -> None:
    value = {"labels": ["a", "b"], "threshold": 0.5, "n": 3, "on": True, "none": None}
    assert round_trip(value, tmp_path / "plain", "json") == value
    for i, inexact in enumerate([{"pair": (1, 2)}, {1: "a"}, [float("nan")], np.float64(0.5)]):
        loaded = round_trip(inexact, tmp_path / f"inexact{i}", "joblib")
        assert type(loaded) is type(inexact) and repr(loaded) == repr(inexact)


def test_lambdas_and_closures_go_to_cloudpickle(tmp_path: Path) -> None:
    offset = 3

    def add(x: int) -> int:
        return x + offset

    loaded = round_trip({"f": lambda x: 2 * x, "g": add}, tmp_path, "cloudpickle")
    assert loaded["f"](4) == 8 and loaded["g"](4) == 7


# ---- the choice ----


def test_the_order_is_the_libraries_own_formats_first_then_joblib_then_cloudpickle() -> None:
    names = serializers.registry().names()
    assert names[-3:] == ["skops", "joblib", "cloudpickle"]
    assert names.index("json") < names.index("skops")
    for own in ("xgboost", "lightgbm", "catboost", "torch", "keras", "statsmodels"):
        assert names.index(own) < names.index("torch-tensors") < names.index("numpy") < names.index("json")


class _Failing(Serializer):
    name, suffix, priority = "always-fails", ".bad", 1000

    def handles(self, obj: Any) -> bool:
        return True

    def dump(self, obj: Any, path: Path) -> dict[str, Any] | None:
        path.write_bytes(b"half written")
        raise ValueError("disk on fire")


def test_a_failing_dump_falls_through_to_the_next(tmp_path: Path) -> None:
    registry = serializers.Registry([_Failing(), *serializers.builtin_serializers()])
    saved = registry.save({"a": 1}, tmp_path, "obj")
    assert saved.serializer.name == "json" and saved.tried == [("always-fails", "ValueError: disk on fire")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["obj.json"]  # the half-written file is gone


@pytest.mark.parametrize(
    ("make", "what"),
    [(lambda: (i for i in range(3)), "a generator"), (lambda: open(os.devnull), "an open file"),
     (threading.Lock, "a thread lock (threading.Lock)")],
)
def test_what_no_serialiser_saves_is_named(tmp_path: Path, make: Any, what: str) -> None:
    obj = make()
    try:
        with pytest.raises(NoSerializerError) as info:
            serializers.registry().save(obj, tmp_path, "obj")
    finally:
        if hasattr(obj, "close"):
            obj.close()
    assert info.value.what == what
    tried = ["joblib"] if what == "an open file" else ["joblib", "cloudpickle"]  # cloudpickle would copy a file
    assert [name for name, _ in info.value.tried] == tried
    assert str(info.value) == f"{what}, which no serialiser can save (tried: {', '.join(tried)})"
    assert list(tmp_path.iterdir()) == []


# ---- plug-ins ----

PLUGIN = '''
from pathlib import Path

LOADS = []


class Upper:
    """Saves str subclasses named Shout as upper-case text."""

    name, suffix, priority, modules = "shout", ".shout", 500, ("shoutlib",)

    def handles(self, obj):
        return type(obj).__name__ == "Shout"

    def dump(self, obj, path):
        Path(path).write_text(obj.upper())
        return {"options": {"length": len(obj)}}

    def load(self, path, entry):
        LOADS.append(entry["name"])
        return Path(path).read_text().lower()
'''


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    """The plug-in module `fake_shout_plugin`, declared by an entry point of the group, and a broken one."""
    folder = tmp_path / "plugin"
    folder.mkdir()
    (folder / "fake_shout_plugin.py").write_text(textwrap.dedent(PLUGIN))
    monkeypatch.syspath_prepend(str(folder))
    points = importlib.metadata.EntryPoints([
        importlib.metadata.EntryPoint("shout", "fake_shout_plugin:Upper", serializers.ENTRY_POINT_GROUP),
        importlib.metadata.EntryPoint("broken", "no_such_plugin_module:Thing", serializers.ENTRY_POINT_GROUP),
        importlib.metadata.EntryPoint("other", "json:dumps", "some.other.group"),
    ])
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **kw: points.select(**kw) if kw else points)
    serializers.registry(refresh=True)
    import fake_shout_plugin

    yield fake_shout_plugin
    del sys.modules["fake_shout_plugin"]


class Shout(str):
    pass


def test_a_plugin_from_an_entry_point_saves_loads_and_is_required(plugin: types.ModuleType, tmp_path: Path) -> None:
    registry = serializers.registry()
    assert registry.names()[0] == "shout" and [name for name, _ in registry.broken] == ["broken"]
    entry = save(Shout("hello"), tmp_path / "pkg")
    assert entry["format"] == "shout" and entry["options"] == {"length": 5}
    assert entry["modules"] == ["shoutlib", "fake_shout_plugin"]  # its distribution goes into the requirements
    assert (tmp_path / "pkg" / "artifacts" / "obj.shout").read_text() == "HELLO"
    assert lockfile.load_artifacts(tmp_path / "pkg") == {"obj": "hello"} and plugin.LOADS == ["obj"]


def test_an_unknown_format_is_refused_naming_the_plugin_to_install(plugin: types.ModuleType, tmp_path: Path) -> None:
    save(Shout("hello"), tmp_path / "pkg")
    lock = json.loads((tmp_path / "pkg" / lockfile.LOCK_NAME).read_text())
    lock["artifacts"][0]["format"] = "onnx"
    (tmp_path / "pkg" / lockfile.LOCK_NAME).write_text(json.dumps(lock))
    with pytest.raises(lockfile.ArtifactError) as info:
        lockfile.load_artifacts(tmp_path / "pkg")
    message = str(info.value)
    assert "artifact 'obj': unknown format 'onnx'" in message
    assert "install the serialiser plug-in that provides it (entry point group 'nb2prod.serializers')" in message
    assert "the plug-in 'broken' failed to load: ModuleNotFoundError" in message
    assert plugin.LOADS == []


def test_a_changed_file_is_refused_before_anything_loads(plugin: types.ModuleType, tmp_path: Path) -> None:
    save(Shout("first"), tmp_path / "pkg", "a")
    save(Shout("second"), tmp_path / "pkg", "b")
    (tmp_path / "pkg" / "artifacts" / "b.shout").write_text("TAMPERED")
    with pytest.raises(lockfile.ArtifactError, match="'b'.* has sha256 .* refusing to load"):
        lockfile.load_artifacts(tmp_path / "pkg")
    assert plugin.LOADS == []  # not even `a`, whose file is intact


def test_a_plugin_that_is_not_a_serialiser_or_takes_a_builtin_name_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    points = importlib.metadata.EntryPoints([
        importlib.metadata.EntryPoint("nothing", "json:dumps", serializers.ENTRY_POINT_GROUP),
        importlib.metadata.EntryPoint("clash", f"{__name__}:_JsonClash", serializers.ENTRY_POINT_GROUP),
    ])
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **kw: points.select(**kw) if kw else points)
    registry = serializers.build_registry()
    broken = dict(registry.broken)
    assert "is not a serialiser: it has no name, suffix, priority" in broken["nothing"]
    assert "uses the name 'json', which another serialiser has" in broken["clash"]
    assert registry.names() == serializers.build_registry(plugins=False).names()


class _JsonClash(Serializer):
    name, suffix, priority = "json", ".j", 1


# ---- the notebook's own classes ----

NOTEBOOK_CODE = '''
import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin


class Clip(BaseEstimator, TransformerMixin):
    def __init__(self, low=-1.0, high=1.0):
        self.low, self.high = low, high

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.clip(X, self.low, self.high)


def double(X):
    return 2 * X


class Net(torch.nn.Module):
    def __init__(self, n):
        super().__init__()
        self.hidden = torch.nn.Linear(n, 5)
        self.out = torch.nn.Linear(5, 1)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))
'''


def notebook_module(name: str) -> types.ModuleType:
    """The code as a module called `name` ("__main__" plays the notebook; not registered in sys.modules)."""
    module = types.ModuleType(name)
    exec(compile(NOTEBOOK_CODE, f"<{name}>", "exec"), module.__dict__)
    return module


def test_a_notebook_class_loads_against_the_services_own_definition(tmp_path: Path) -> None:
    import torch
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    notebook = notebook_module("__main__")
    x, y = data()
    pipeline = make_pipeline(notebook.Clip(-0.5, 0.5), FunctionTransformer(notebook.double), LinearRegression())
    pipeline.fit(x.to_numpy(), y)
    torch.manual_seed(0)
    net = notebook.Net(4).eval()
    definitions = {"Clip": notebook.Clip, "double": notebook.double, "Net": notebook.Net}
    assert save(pipeline, tmp_path / "pkg", "pipeline", aliases=definitions)["format"] == "joblib"
    entry = save(net, tmp_path / "pkg", "net", aliases={"Net": notebook.Net})
    assert entry["format"] == "torch" and f"{NOTEBOOK_MODULE}.Net" in entry["trusted"]
    assert notebook.Clip.__module__ == "__main__" and NOTEBOOK_MODULE not in sys.modules  # all restored

    service = notebook_module("svc_model")  # the generated model.py, with the exported source
    with pytest.raises(lockfile.ArtifactError, match="names the notebook's Clip, Net, double: pass the module"):
        lockfile.load_artifacts(tmp_path / "pkg")
    loaded = lockfile.load_artifacts(tmp_path / "pkg", notebook_module=service)
    assert type(loaded["pipeline"].steps[0][1]) is service.Clip and type(loaded["net"]) is service.Net
    assert loaded["pipeline"].steps[1][1].func is service.double
    assert same(pipeline.predict(x.to_numpy()), loaded["pipeline"].predict(x.to_numpy()))
    inputs = torch.randn(6, 4)
    assert torch.equal(net(inputs), loaded["net"](inputs))
    assert NOTEBOOK_MODULE not in sys.modules

    # Retraining (train.py): objects of the service's classes, written and loaded the same way.
    lockfile.write_artifacts(loaded, tmp_path / "pkg", tmp_path / "retrained", notebook_module=service)
    again = lockfile.load_artifacts(tmp_path / "retrained", notebook_module=service)
    assert torch.equal(net(inputs), again["net"](inputs)) and type(again["pipeline"].steps[0][1]) is service.Clip
    assert service.Clip.__module__ == "svc_model"


def test_retraining_aliases_a_class_the_training_code_defines_itself(tmp_path: Path) -> None:
    notebook = notebook_module("__main__")
    save(notebook.Clip(0.0, 2.0), tmp_path / "pkg", "clip", aliases={"Clip": notebook.Clip})

    def run_training() -> dict[str, object]:  # a class defined inside train.py's function
        class Clip(notebook.Clip):  # type: ignore[name-defined,misc]
            pass

        return {"clip": Clip(0.0, 3.0)}

    lockfile.write_artifacts(run_training(), tmp_path / "pkg", tmp_path / "retrained")
    service = notebook_module("svc_model")
    clip = lockfile.load_artifacts(tmp_path / "retrained", notebook_module=service)["clip"]
    assert type(clip) is service.Clip and clip.high == 3.0


def test_aliasing_restores_everything_even_when_the_dump_fails() -> None:
    notebook = notebook_module("__main__")
    with pytest.raises(RuntimeError), serializers.aliased({"Net": notebook.Net}) as alias:
        assert notebook.Net.__module__ == NOTEBOOK_MODULE and sys.modules[NOTEBOOK_MODULE] is alias
        raise RuntimeError
    assert (notebook.Net.__module__, notebook.Net.__qualname__) == ("__main__", "Net")
    assert NOTEBOOK_MODULE not in sys.modules


def test_the_walk_names_what_a_pickle_refers_to() -> None:
    notebook = notebook_module("__main__")
    found = serializers.walk({"model": notebook.Clip(), "f": notebook.double, "lam": lambda: 1})
    refs = {(module, qualname, kind) for module, qualname, kind, _ in found.refs}
    assert {("__main__", "Clip", "instance"), ("__main__", "double", "function")} <= refs
    assert any("<lambda>" in qualname for _, qualname, _, _ in found.refs)  # walked on by cloudpickle
    assert found.error is None and {"__main__", "sklearn"} <= found.modules
