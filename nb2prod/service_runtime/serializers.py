"""The registry of artifact serialisers: each artifact in its library's own format, joblib or cloudpickle last.

Used in two places from this one source: in the build's kernel, where the capture step saves
each artifact with the first serialiser (by priority) that handles it and whose dump succeeds,
and in the generated service (`<package>/runtime/serializers.py`), where `lockfile` loads each
artifact with the serialiser the lock names. So this module needs nothing but the standard
library when it is imported; each library is imported, by name, inside the functions that use it,
and `handles()` decides from the type's module and MRO names alone, without importing a library
the object does not come from.

A serialiser (see `Serializer`) has a `name` (the format recorded in the lock), a file `suffix`, a
`priority` (higher is tried first), `modules` (the top-level modules the service needs to load
the format, which go into the generated requirements), `handles(obj)`, `dump(obj, path)` and
`load(path, entry)`, where `entry` is the artifact's lock entry. `dump` may return fields to add
to the entry: `trusted` (the types a loader may construct), `options` (format details, e.g. the
Keras backend) and `modules` (more modules the service needs; not stored in the entry).

Plug-ins: an entry point of the group `nb2prod.serializers` names a Serializer class (or an
instance); it is discovered with importlib.metadata in the kernel and in the service alike, and
the top-level module of the entry point joins its `modules`, so the generated project requires
the plug-in's distribution. docs/serializers.md documents the protocol.

Classes and functions the notebook defines: while an artifact is saved, `aliased()` gives them
the module `__nb2prod_notebook__` (`NOTEBOOK_MODULE`), so that a pickle (or a torch or Keras file)
names `__nb2prod_notebook__.X`; the service registers its `model` module under that name while
it loads (`notebook_alias()`), and the saved objects load against the classes exported there.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import io
import json
import os
import pickle
import re
import sys
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

__all__ = [
    "ENTRY_POINT_GROUP", "NOTEBOOK_MODULE", "NoSerializerError", "Registry", "Saved", "Serializer",
    "SerializerError", "Walk", "aliased", "builtin_serializers", "describe", "notebook_alias", "registry",
    "resolve", "walk",
]

ENTRY_POINT_GROUP = "nb2prod.serializers"
NOTEBOOK_MODULE = "__nb2prod_notebook__"
"""The module name under which the notebook's own classes and functions are saved and loaded."""


class SerializerError(RuntimeError):
    """A serialiser cannot save or load an object, or a plug-in is not a serialiser."""


class NoSerializerError(SerializerError):
    """No serialiser saved an object: `what` says what it is, `tried` which serialisers failed and why."""

    def __init__(self, what: str, tried: Sequence[tuple[str, str]]) -> None:
        self.what = what
        self.tried = list(tried)
        names = ", ".join(name for name, _ in self.tried) or "none handles it"
        super().__init__(f"{what}, which no serialiser can save (tried: {names})")


def _import(name: str) -> Any:
    """A library, imported only when a serialiser uses it (typed Any: most ship no types)."""
    return importlib.import_module(name)


def _mro_of(cls: type) -> list[tuple[str, str]]:
    mro = getattr(cls, "__mro__", None)
    if not isinstance(mro, tuple):  # a class whose metaclass hides it
        return []
    return [(str(getattr(c, "__module__", "") or ""), str(getattr(c, "__name__", ""))) for c in mro]


def _mro(obj: Any) -> list[tuple[str, str]]:
    """(module, class name) of each class of ``type(obj)``'s MRO, without importing anything."""
    return _mro_of(type(obj))


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def _has_base(obj: Any, top: str, names: Iterable[str]) -> bool:
    """Whether a class of ``type(obj)``'s MRO is one of ``names`` of the library ``top``."""
    wanted = set(names)
    return any(_top(module) == top and name in wanted for module, name in _mro(obj))


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class Serializer:
    """The protocol of a serialiser (subclass it, or give an object these attributes)."""

    name: str = ""
    """The format, as the lock records it."""
    suffix: str = ""
    """The file name's ending, e.g. `.json`."""
    priority: int = 0
    """Higher is tried first; ties in name order."""
    modules: tuple[str, ...] = ()
    """Top-level modules the service needs to load the format (for the generated requirements)."""

    def handles(self, obj: Any) -> bool:
        """Whether this serialiser is for `obj`, from its type (import nothing the object does not come from)."""
        return False

    def dump(self, obj: Any, path: Path) -> dict[str, Any] | None:
        """Save `obj` to `path`; raise if it cannot be saved exactly (the next serialiser is tried).

        May return fields for the lock entry: `trusted`, `options`, `modules` (see the module's docstring).
        """
        raise NotImplementedError

    def load(self, path: Path, entry: Mapping[str, Any]) -> Any:
        """The object saved at `path` (its sha256 already checked against `entry`)."""
        raise NotImplementedError


# ---- walking an object's pickle: the modules it needs, the classes and functions it names ----


class _Sink(io.RawIOBase):
    def write(self, b: Any) -> int:  # a file that forgets
        return len(b)

    def writable(self) -> bool:
        return True


class Walk:
    """What pickling an object touches: `modules` (top-level names), `refs` (module, qualname, kind,
    object) of each class, function or type of an instance it names, in first-use order, and
    `error` (the pickling error, when it failed part way)."""

    def __init__(self) -> None:
        self.modules: set[str] = set()
        self.refs: list[tuple[str, str, str, Any]] = []
        self.error: str | None = None
        self.names: list[str] = []
        """Names the object looks up when it loads (the functions and modules of a statsmodels formula)."""
        self._seen: set[int] = set()

    def record(self, obj: Any) -> None:
        if isinstance(obj, types.ModuleType):
            self.modules.add(_top(obj.__name__))
            return
        if isinstance(obj, type):
            what, kind = obj, "class"
        elif callable(obj) and isinstance(getattr(obj, "__qualname__", None), str) and not hasattr(obj, "__self__"):
            what, kind = obj, "function"
        else:
            what, kind = type(obj), "instance"
        module = getattr(what, "__module__", None)
        if not isinstance(module, str):
            return
        self.modules.add(_top(module))
        if isinstance(what, type):  # the class imports its bases' modules (xgboost's sklearn API needs sklearn)
            self.modules.update(_top(m) for m, _ in _mro_of(what) if m)
        if id(what) not in self._seen:
            self._seen.add(id(what))
            self.refs.append((module, str(getattr(what, "__qualname__", repr(what))), kind, what))


def _walker(base: type[pickle.Pickler], into: Walk) -> pickle.Pickler:
    class Recorder(base):  # type: ignore[valid-type,misc]  # a pickler class chosen at run time
        def reducer_override(self, obj: Any) -> Any:
            into.record(obj)
            parent = getattr(super(), "reducer_override", None)
            return parent(obj) if parent is not None else NotImplemented

    recorder: pickle.Pickler = Recorder(_Sink(), protocol=4)
    return recorder


def _keras_layers(obj: Any, into: Walk) -> None:
    """A Keras model pickles as the bytes of its `.keras` file, which hide the classes of its layers:
    record them (a layer the notebook defines must be exported and aliased too)."""
    if not Keras.handles(Keras(), obj):
        return
    flatten = getattr(obj, "_flatten_layers", None)
    layers = flatten(include_self=False, recursive=True) if callable(flatten) else getattr(obj, "layers", [])
    for layer in layers:
        into.record(type(layer))


_IDENTIFIER = re.compile(r"(?<![\w.'\"])[A-Za-z_][A-Za-z0-9_]*")


def formula_names(obj: Any) -> list[str]:
    """The names a statsmodels model's formula reads, in order (`np` and `double_it` of
    `y ~ np.log(x) + double_it(z)`, column names too): statsmodels evaluates the formula again
    when it unpickles, in the namespace of its caller."""
    if not Statsmodels.handles(Statsmodels(), obj):
        return []
    formula = getattr(getattr(obj, "model", None), "formula", None)
    if not isinstance(formula, str):
        return []
    return list(dict.fromkeys(_IDENTIFIER.findall(formula)))


def walk(obj: Any) -> Walk:
    """Pickle `obj` into nothing, recording what it names. When the standard pickler fails
    (a lambda, a closure), cloudpickle's, if installed, walks the rest (it saves those by value)."""
    result = Walk()
    with suppress(Exception):  # a model that cannot list its layers: what its pickle names is still walked
        _keras_layers(obj, result)
    result.names = formula_names(obj)
    try:
        _walker(pickle.Pickler, result).dump(obj)
        return result
    except Exception as exc:  # recorded: the serialisers decide what can be saved
        result.error = f"{type(exc).__name__}: {exc}"
    try:
        cloudpickle = _import("cloudpickle")
    except ImportError:
        return result
    try:
        _walker(cloudpickle.Pickler, result).dump(obj)
        result.error = None
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    return result


# ---- what an object is, in words ----


def describe(obj: Any) -> str:
    """What `obj` is, for a message: "a generator", "an open file", "a thread lock (threading.Lock)"..."""
    names = {f"{module}.{name}" for module, name in _mro(obj)}
    if isinstance(obj, types.GeneratorType):
        return "a generator"
    if isinstance(obj, types.AsyncGeneratorType):
        return "an async generator"
    if isinstance(obj, types.CoroutineType):
        return "a coroutine"
    if isinstance(obj, io.IOBase) or "_io._IOBase" in names:
        return "an open file" if not getattr(obj, "closed", False) else "a (closed) file object"
    if names & {"_thread.lock", "_thread.RLock"}:
        return "a thread lock (threading.Lock)"
    if "socket.socket" in names:
        return "a socket"
    if isinstance(obj, types.ModuleType):
        return f"the module `{obj.__name__}`"
    if isinstance(obj, types.FrameType):
        return "a stack frame"
    cls = type(obj)
    return f"an object of type `{cls.__module__}.{cls.__qualname__}`"


# ---- the notebook's own classes and functions ----


def _retag(obj: Any, module: str, qualname: str, saved: list[tuple[Any, str, str]]) -> None:
    old_module, old_qualname = obj.__module__, obj.__qualname__
    try:
        obj.__module__ = module
        obj.__qualname__ = qualname
    except (AttributeError, TypeError) as exc:
        raise SerializerError(f"cannot alias {old_module}.{old_qualname} as {module}.{qualname}: {exc}") from None
    saved.append((obj, old_module, old_qualname))
    if isinstance(obj, type):  # classes nested in it: `X.Inner` is looked up through X
        for value in list(vars(obj).values()):
            if (isinstance(value, type) and value.__module__ == old_module
                    and value.__qualname__ == f"{old_qualname}.{value.__name__}"):
                _retag(value, module, f"{qualname}.{value.__name__}", saved)


@contextmanager
def aliased(objects: Mapping[str, Any], module_name: str = NOTEBOOK_MODULE) -> Iterator[types.ModuleType]:
    """While it lasts, the classes and functions `objects` (by name) live in the module `module_name`:
    registered in sys.modules, holding them, and each one's `__module__` and `__qualname__` say so,
    so pickles and model files name `module_name.X`. Everything is restored afterwards."""
    alias = types.ModuleType(module_name, "the notebook's classes and functions, as an artifact names them")
    previous = sys.modules.get(module_name)
    saved: list[tuple[Any, str, str]] = []
    try:
        for name, obj in objects.items():
            setattr(alias, name, obj)
            _retag(obj, module_name, name, saved)
        sys.modules[module_name] = alias
        yield alias
    finally:
        for obj, module, qualname in reversed(saved):
            obj.__module__ = module
            obj.__qualname__ = qualname
        if previous is not None:
            sys.modules[module_name] = previous
        else:
            sys.modules.pop(module_name, None)


@contextmanager
def notebook_alias(module: types.ModuleType | None, module_name: str = NOTEBOOK_MODULE) -> Iterator[None]:
    """While it lasts, `module` (the service's `model` module) is importable as `module_name`, as the
    artifacts name the notebook's classes; nothing is registered for None."""
    if module is None:
        yield
        return
    previous = sys.modules.get(module_name)
    sys.modules[module_name] = module
    try:
        yield
    finally:
        if previous is not None:
            sys.modules[module_name] = previous
        else:
            sys.modules.pop(module_name, None)


def resolve(qualified: str) -> Any:
    """The object named `module.qualname` (the longest importable module prefix); `__main__.X` is
    looked up in the notebook's module (`NOTEBOOK_MODULE`). Raises SerializerError."""
    parts = qualified.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:i])
        if module_name == "__main__":
            module_name = NOTEBOOK_MODULE
        try:
            obj: Any = sys.modules.get(module_name) or importlib.import_module(module_name)
        except ImportError:
            continue
        try:
            for attribute in parts[i:]:
                obj = getattr(obj, attribute)
        except AttributeError:
            continue
        return obj
    if parts[0] in ("__main__", NOTEBOOK_MODULE):
        raise SerializerError(f"{qualified} is defined in the notebook, and the service's code defines no "
                              f"`{parts[-1]}` (load the artifacts with the package's model module as notebook_module)")
    raise SerializerError(f"cannot import {qualified}")


def _class_of(entry: Mapping[str, Any], top: str, bases: Iterable[str]) -> Any:
    """The recorded class of an artifact (`entry["type"]`), checked to derive from one of `bases` of `top`."""
    cls = resolve(str(entry.get("type", "")))
    wanted = set(bases)
    if not isinstance(cls, type) or not any(
        _top(getattr(c, "__module__", "")) == top and c.__name__ in wanted for c in cls.__mro__
    ):
        raise SerializerError(f"{entry.get('type')!r} is not a {top} model class")
    return cls


def _notebook_objects() -> dict[str, Any]:
    """The notebook's classes and functions of the alias module, if one is registered (Keras's custom objects)."""
    alias = sys.modules.get(NOTEBOOK_MODULE)
    if alias is None:
        return {}
    return {k: v for k, v in vars(alias).items() if not k.startswith("__") and (isinstance(v, type) or callable(v))}


# ---- the built-in serialisers ----

_PURE_SKLEARN = {"sklearn", "numpy", "scipy", "builtins", "copyreg", "collections", "_codecs", "numbers",
                 "functools", "joblib", "threadpoolctl"}


class Skops(Serializer):
    """scikit-learn objects whose pickle names only scikit-learn, numpy and scipy: skops, which loads
    without running code, constructing only the recorded `trusted` types."""

    name, suffix, priority, modules = "skops", ".skops", 60, ("skops",)

    def handles(self, obj: Any) -> bool:
        found = walk(obj)
        return found.error is None and "sklearn" in found.modules and found.modules <= _PURE_SKLEARN

    def dump(self, obj: Any, path: Path) -> dict[str, Any] | None:
        sio = _import("skops.io")
        sio.dump(obj, path)
        trusted = sorted(sio.get_untrusted_types(file=path))
        sio.load(path, trusted=trusted)  # it loads back, or the next serialiser is tried
        return {"trusted": trusted}

    def load(self, path: Path, entry: Mapping[str, Any]) -> Any:
        return _import("skops.io").load(path, trusted=list(entry.get("trusted") or []))


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # an array, or a comparison that fails
        return False


def _json_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The hyperparameters that survive JSON exactly."""
    kept = {}
    for key, value in params.items():
        try:
            if _same_json(json.loads(json.dumps(value, allow_nan=False)), value):
                kept[key] = value
        except (TypeError, ValueError):
            continue
    return kept


class XGBoost(Serializer):
    """XGBoost: the scikit-learn API classes (XGBClassifier, XGBRegressor, XGBRanker, XGBRF*...) and
    Booster, as XGBoost's own UBJSON model file; loaded into a new instance of the recorded class."""

    name, suffix, priority, modules = "xgboost", ".ubj", 100, ("xgboost",)
    _BASES = ("XGBModel", "Booster")

    def handles(self, obj: Any) -> bool:
        return _has_base(obj, "xgboost", self._BASES)

    def dump(self, obj: Any, path: Path) -> dict[str, Any] | None:
        obj.save_model(str(path))
        if _has_base(obj, "xgboost", ("XGBModel",)):  # the model file keeps the trees, not the hyperparameters
            defaults = type(obj)().get_params()
            params = {k: v for k, v in obj.get_params().items() if k not in defaults or not _same(v, defaults[k])}
            return {"options": {"params": _json_params(params)}}
        return None

    def load(self, path: Path, entry: Mapping[str, Any]) -> Any:
        cls = _class_of(entry, "xgboost", self._BASES)
        model = cls()
        model.load_model(str(path))
        params = (entry.get("options") or {}).get("params")
        if params:
            model.set_params(**params)
        return model


class LightGBM(Serializer):
    """A LightGBM Booster, as its model text file. (The scikit-learn wrappers, LGBMClassifier...,
    cannot be rebuilt from a model file with LightGBM's API: they go to joblib.)"""

    name, suffix, priority, modules = "lightgbm", ".txt", 100, ("lightgbm",)

    def handles(self, obj: Any) -> bool:
        return _has_base(obj, "lightgbm", ("Booster",))

    def dump(self, obj: Any, path: Path) -> dict[str, Any] | None:
        obj.save_model(str(path))
        return None

    def load(self, path: Path, entry: Mapping[str, Any]) -> Any:
        cls = _class_of(entry, "lightgbm", ("Booster",))
        return cls(model_file=str(path))


class CatBoost(Serializer):
    """CatBoost models (CatBoostClassifier, CatBoostRegressor, CatBoostRanker, CatBoost), as `.cbm`."""

    name, suffix, priority, modules = "catboost", ".cbm", 100, ("catboost",)

    def handles(self, obj: Any) -> bool:
        return _has_base(obj, "catboost", ("CatBoost",))

    def dump(self, obj: Any, path: Path) -> dict[str, Any] | None:
        obj.save_model(str(path), format="cbm")
        return None

    def load(self, path: Path, entry: Mapping[str, Any]) -> Any:
        model = _class_of(entry, "catboost", ("CatBoost",))()
        model.load_model(str(path), format="cbm")
        return model


def _torch_load(path: Path, trusted: Sequence[str]) -> Any:
    """`torch.load` with `weights_only=True`, allowing exactly the `trusted` globals (by the names
    the file uses, which may be the notebook's alias module)."""
    torch = _import("torch")
    allowed = [(resolve(name), name) for name in trusted]
    with torch.serialization.safe_globals(allowed):
        return torch.load(path, weights_only=True, map_location="cpu")


def _same_tensors(a: Any, b: Any) -> bool:
    torch = _import("torch")
    if isinstance(a, torch.Tensor):
        return (isinstance(b, torch.Tensor) and type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
                and bool(torch.equal(a, b)))
    if isinstance(a, Mapping):
        return (type(a) is type(b) and list(a) == list(b)
                and all(_same_tensors(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same_tensors(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


class TorchModule(Serializer):
    """A PyTorch `nn.Module` (a library's, or a subclass the notebook defines, whose source the
    service exports): the whole module with `torch.save`, loaded with `weights_only=True` allowing
    only the classes the file names, recorded as `trusted` (like skops: no other code runs on load)."""

    name, suffix, priority, modules = "torch", ".pt", 100, ("torch",)

    def handles(self, obj: Any) -> bool:
        return ("torch.nn.modules.module", "Module") in _mro(obj)

    def dump(self, obj: Any, path: Path) -> dict[str, Any] | None:
        torch = _import("torch")
        torch.save(obj, path)
        trusted = sorted(torch.serialization.get_unsafe_globals_in_checkpoint(path))
        loaded = _torch_load(path, trusted)
        if type(loaded) is not type(obj) or not _same_tensors(obj.state_dict(), loaded.state_dict()):
            raise SerializerError("the module does not load back with the same class and weights")
        return {"trusted": trusted}

    def load(self, path: Path, entry: Mapping[str, Any]) -> Any:
        return _torch_load(path, list(entry.get("trusted") or []))


def _tensors_only(obj: Any, depth: int = 0) -> bool | None:
    """True if `obj` is a tensor or containers of tensors (and plain keys/values) with at least
    one tensor, None if plain data without a tensor, False otherwise."""
    if depth > 50:
        return False
    if ("torch._C", "TensorBase") in _mro(obj) or ("torch", "Tensor") in _mro(obj):
        return True
    if obj is None or type(obj) in (str, int, float, bool):
        return None
    if type(obj) in (dict, list, tuple) or _mro(obj)[0] == ("collections", "OrderedDict"):  # a state dict
        items = list(obj.values()) + list(obj) if isinstance(obj, dict) else list(obj)
        found: bool | None = None
        for item in items:
            inner = _tensors_only(item, depth + 1)
            if inner is False:
                return False
            found = found or inner
        return found
    return False


class TorchTensors(Serializer):
    """Tensors, or dicts, lists and tuples of them (a state dict): `torch.save`, loaded with
    `weights_only=True` (tensors and plain containers only)."""

    name, suffix, priority, modules = "torch-tensors", ".pt", 95, ("torch",)

    def handles(self, obj: Any) -> bool:
        return _tensors_only(obj) is True

    def dump(self, obj: Any, path: Path) -> dict[str, Any] | None:
        torch = _import("torch")
        torch.save(obj, path)
        if not _same_tensors(obj, torch.load(path, weights_only=True, map_location="cpu")):
            raise SerializerError("the tensors do not load back equal")
        return None

    def load(self, path: Path, entry: Mapping[str, Any]) -> Any:
        return _import("torch").load(path, weights_only=True, map_location="cpu")


_KERAS_BACKEND_MODULES = {"torch": "torch", "tensorflow": "tensorflow", "jax": "jax", "numpy": "numpy",
                          "openvino": "openvino"}


class Keras(Serializer):
    """Keras 3 models, as `.keras` (loaded in safe mode); the backend is recorded, and set for the load
    when keras is not imported yet. Layers the notebook defines load from the service's exported classes."""

    name, suffix, priority, modules = "keras", ".keras", 100, ("keras",)

    def handles(self, obj: Any) -> bool:
        return any(module.startswith("keras.") and name in ("Model", "Sequential", "Functional")
                   for module, name in _mro(obj))

    def dump(self, obj: Any, path: Path) -> dict[str, Any] | None:
        keras = _import("keras")
        obj.save(str(path))
        loaded = keras.saving.load_model(str(path), custom_objects=_notebook_objects())
        before, after = obj.get_weights(), loaded.get_weights()
        numpy = _import("numpy")
        same = len(before) == len(after) and all(
            a.dtype == b.dtype and a.shape == b.shape and numpy.array_equal(a, b)
            for a, b in zip(before, after, strict=True)
        )
        if not same:
            raise SerializerError("the model does not load back with the same weights")
        backend = str(keras.backend.backend())
        extra = [_KERAS_BACKEND_MODULES[backend]] if backend in _KERAS_BACKEND_MODULES else []
        return {"options": {"backend": backend}, "modules": extra}

    def load(self, path: Path, entry: Mapping[str, Any]) -> Any:
        backend = (entry.get("options") or {}).get("backend")
        if isinstance(backend, str) and "keras" not in sys.modules:
            os.environ.setdefault("KERAS_BACKEND", backend)
        keras = _import("keras")
        custom = {name: resolve(f"{NOTEBOOK_MODULE}.{name}") for name in entry.get("exports") or []}
        return keras.saving.load_model(str(path), custom_objects=custom, safe_mode=True)


def _run(function: Callable[..., Any], *args: Any) -> Any:
    return function(*args)


def _call_in(namespace: dict[str, Any], function: Callable[..., Any], *args: Any) -> Any:
    """`function(*args)` called from a frame whose globals are `namespace` (what a statsmodels
    formula evaluated on unpickling sees)."""
    runner = types.FunctionType(_run.__code__, {**namespace, "__builtins__": __builtins__}, "_run")
    return runner(function, *args)


class Statsmodels(Serializer):
    """statsmodels results (a fitted OLS, GLM, ARIMA...): their own `save`, loaded with statsmodels' `load_pickle`.
    A model made from a formula evaluates it again when it loads: the notebook's functions it calls
    are exported (the entry's `exports`) and the modules it names are recorded (`options.names`),
    and the load sees both."""

    name, suffix, priority, modules = "statsmodels", ".pickle", 100, ("statsmodels",)

    def handles(self, obj: Any) -> bool:
        return any(_top(module) == "statsmodels" and name.endswith(("Results", "ResultsWrapper"))
                   for module, name in _mro(obj))

    def dump(self, obj: Any, path: Path) -> dict[str, Any] | None:
        obj.save(str(path))
        return None

    def load(self, path: Path, entry: Mapping[str, Any]) -> Any:
        namespace: dict[str, Any] = {}
        for name, module in ((entry.get("options") or {}).get("names") or {}).items():
            namespace[str(name)] = _import(str(module))
        for name in entry.get("exports") or []:
            namespace[str(name)] = resolve(f"{NOTEBOOK_MODULE}.{name}")
        return _call_in(namespace, _import("statsmodels.iolib.smpickle").load_pickle, str(path))


class Numpy(Serializer):
    """numpy arrays of a non-object dtype: `.npy`, written and read with `allow_pickle=False`."""

    name, suffix, priority, modules = "numpy", ".npy", 80, ("numpy",)

    def handles(self, obj: Any) -> bool:
        return (type(obj).__module__, type(obj).__name__) == ("numpy", "ndarray")

    def dump(self, obj: Any, path: Path) -> dict[str, Any] | None:
        numpy = _import("numpy")
        if obj.dtype.hasobject:
            raise SerializerError("an array of Python objects needs a pickle")
        with path.open("wb") as file:
            numpy.save(file, obj, allow_pickle=False)
        back = numpy.load(path, allow_pickle=False)
        if back.dtype != obj.dtype or back.shape != obj.shape or back.tobytes() != obj.tobytes():
            raise SerializerError("the array does not load back identical")
        return None

    def load(self, path: Path, entry: Mapping[str, Any]) -> Any:
        return _import("numpy").load(path, allow_pickle=False)


_SERIES_COLUMN = "__nb2prod_series__"


class Parquet(Serializer):
    """pandas DataFrames and Series, as parquet (pyarrow), when they load back exactly equal
    (values, dtypes, index, column names and attrs); else the next serialiser."""

    name, suffix, priority, modules = "parquet", ".parquet", 80, ("pandas", "pyarrow")

    def handles(self, obj: Any) -> bool:
        return _top(type(obj).__module__) == "pandas" and type(obj).__name__ in ("DataFrame", "Series")

    def dump(self, obj: Any, path: Path) -> dict[str, Any] | None:
        _import("pyarrow")
        testing = _import("pandas.testing")
        options: dict[str, Any] = {}
        frame = obj
        if type(obj).__name__ == "Series":
            if obj.name is not None and type(obj.name) is not str:
                raise SerializerError("a Series whose name is not a string")
            frame, options = obj.to_frame(name=_SERIES_COLUMN), {"series": True, "name": obj.name}
        frame.to_parquet(path, engine="pyarrow")
        loaded = self.load(path, {"options": options})
        compare = testing.assert_series_equal if options else testing.assert_frame_equal
        try:
            compare(obj, loaded, check_exact=True, check_index_type=True, check_freq=True, check_flags=True,
                    **({} if options else {"check_column_type": True}))
        except AssertionError as exc:
            raise SerializerError(f"it does not load back from parquet exactly: {' '.join(str(exc).split())}") from None
        if obj.attrs != loaded.attrs:
            raise SerializerError("its attrs do not load back from parquet")
        return {"options": options} if options else None

    def load(self, path: Path, entry: Mapping[str, Any]) -> Any:
        frame = _import("pandas").read_parquet(path, engine="pyarrow")
        options = entry.get("options") or {}
        if options.get("series"):
            series = frame[_SERIES_COLUMN]
            series.name = options.get("name")
            return series
        return frame


def _same_json(a: Any, b: Any) -> bool:
    """Equal, with the same types at every level (so 1 is not True, and a tuple is not a list)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class Json(Serializer):
    """Plain data that JSON gives back exactly: dicts with string keys, lists, str, int, finite
    float, bool, None (a tuple, a non-string key or NaN is not: the next serialiser is tried)."""

    name, suffix, priority, modules = "json", ".json", 70, ()

    def handles(self, obj: Any) -> bool:
        return type(obj) in (dict, list, str, int, float, bool, type(None))

    def dump(self, obj: Any, path: Path) -> dict[str, Any] | None:
        text = json.dumps(obj, allow_nan=False, ensure_ascii=False)
        if not _same_json(json.loads(text), obj):
            raise SerializerError("it does not round-trip through JSON exactly (a tuple, a non-string key...)")
        path.write_text(text + "\n", encoding="utf-8")
        return None

    def load(self, path: Path, entry: Mapping[str, Any]) -> Any:
        return json.loads(path.read_text(encoding="utf-8"))


class Joblib(Serializer):
    """Any picklable object, with joblib (a pickle: the sha256 check before loading is its safeguard)."""

    name, suffix, priority, modules = "joblib", ".joblib", 20, ("joblib",)

    def handles(self, obj: Any) -> bool:
        return True

    def dump(self, obj: Any, path: Path) -> dict[str, Any] | None:
        _import("joblib").dump(obj, path)
        return None

    def load(self, path: Path, entry: Mapping[str, Any]) -> Any:
        return _import("joblib").load(path)


_FILES = {("_io", name) for name in ("TextIOWrapper", "BufferedReader", "BufferedWriter", "BufferedRandom", "FileIO")}


class Cloudpickle(Serializer):
    """The last resort: cloudpickle, which saves lambdas, closures and classes made in functions by value.
    Not for objects that hold an open file (cloudpickle would save a copy of its content as a new file)."""

    name, suffix, priority, modules = "cloudpickle", ".cloudpickle", 10, ("cloudpickle",)

    def handles(self, obj: Any) -> bool:
        if isinstance(obj, io.IOBase):
            return _mro(obj)[0] not in _FILES
        return not any((module, qualname) in _FILES for module, qualname, _, _ in walk(obj).refs)

    def dump(self, obj: Any, path: Path) -> dict[str, Any] | None:
        cloudpickle = _import("cloudpickle")
        with path.open("wb") as file:
            cloudpickle.dump(obj, file)
        return None

    def load(self, path: Path, entry: Mapping[str, Any]) -> Any:
        cloudpickle = _import("cloudpickle")
        with path.open("rb") as file:
            return cloudpickle.load(file)


def builtin_serializers() -> list[Serializer]:
    return [XGBoost(), LightGBM(), CatBoost(), TorchModule(), TorchTensors(), Keras(), Statsmodels(), Skops(),
            Numpy(), Parquet(), Json(), Joblib(), Cloudpickle()]


# ---- the registry ----


class Saved:
    """An artifact saved: by which serialiser, where, the extra entry fields, and which failed before."""

    def __init__(self, serializer: Serializer, path: Path, fields: dict[str, Any], modules: list[str],
                 tried: list[tuple[str, str]]) -> None:
        self.serializer = serializer
        self.path = path
        self.fields = fields
        self.modules = modules
        self.tried = tried


def _handles(serializer: Serializer, obj: Any) -> bool:
    try:
        return bool(serializer.handles(obj))
    except Exception:  # a plug-in's handles() that fails does not handle it
        return False


_REQUIRED = ("name", "suffix", "priority", "handles", "dump", "load")


def _check_plugin(candidate: Any, where: str) -> Serializer:
    instance = candidate() if isinstance(candidate, type) else candidate
    missing = [a for a in _REQUIRED if not hasattr(instance, a)]
    if missing:
        raise SerializerError(f"{where} is not a serialiser: it has no {', '.join(missing)}")
    if not isinstance(instance.name, str) or not instance.name or not isinstance(instance.suffix, str):
        raise SerializerError(f"{where}: `name` must be a non-empty string and `suffix` a string")
    if not isinstance(instance.priority, int) or not all(callable(getattr(instance, a)) for a in _REQUIRED[3:]):
        raise SerializerError(f"{where}: `priority` must be an int and handles, dump, load methods")
    instance_: Serializer = instance
    return instance_


class Registry:
    """The serialisers, highest priority first (ties by name); `broken` lists plug-ins that failed to load."""

    def __init__(self, serializers: Iterable[Serializer],
                 broken: Iterable[tuple[str, str]] = (), extra_modules: Mapping[str, Sequence[str]] | None = None,
                 ) -> None:
        self.serializers = sorted(serializers, key=lambda s: (-s.priority, s.name))
        self.broken = list(broken)
        self._extra = {name: list(mods) for name, mods in (extra_modules or {}).items()}
        self._by_name = {s.name: s for s in self.serializers}

    def names(self) -> list[str]:
        return [s.name for s in self.serializers]

    def get(self, name: str) -> Serializer | None:
        return self._by_name.get(name)

    def modules(self, serializer: Serializer) -> list[str]:
        """The top-level modules the service needs for `serializer`'s format (a plug-in's own included)."""
        found = [*getattr(serializer, "modules", ()), *self._extra.get(serializer.name, ())]
        return list(dict.fromkeys(found))

    def save(self, obj: Any, directory: Path, stem: str) -> Saved:
        """Save `obj` as `directory/<stem><suffix>` with the first serialiser that handles it and whose
        dump succeeds. Raises NoSerializerError naming what `obj` is and what was tried."""
        tried: list[tuple[str, str]] = []
        for serializer in self.serializers:
            if not _handles(serializer, obj):
                continue
            path = directory / f"{stem}{serializer.suffix}"
            try:
                fields = dict(serializer.dump(obj, path) or {})
            except Exception as exc:
                tried.append((serializer.name, f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]))
                if path.is_file():
                    path.unlink()
                continue
            modules = [*self.modules(serializer), *(fields.pop("modules", None) or [])]
            return Saved(serializer, path, fields, list(dict.fromkeys(modules)), tried)
        raise NoSerializerError(describe(obj), tried)

    def unknown_format(self, fmt: str) -> str:
        """Why `fmt` cannot be loaded, for a message."""
        broken = "".join(f"; the plug-in {name!r} failed to load: {error}" for name, error in self.broken)
        return (f"unknown format {fmt!r} (known: {', '.join(self.names())}): install the serialiser plug-in that "
                f"provides it (entry point group {ENTRY_POINT_GROUP!r}){broken}")


def _entry_points() -> list[Any]:
    found: Any = importlib.metadata.entry_points()
    if hasattr(found, "select"):
        return list(found.select(group=ENTRY_POINT_GROUP))
    return list(found.get(ENTRY_POINT_GROUP, []))  # an entry_points() that returns a dict of groups


def build_registry(plugins: bool = True, builtins: Callable[[], list[Serializer]] = builtin_serializers) -> Registry:
    """A new registry of the built-in serialisers and, with `plugins`, those of the entry point group."""
    serializers = builtins()
    names = {s.name for s in serializers}
    broken: list[tuple[str, str]] = []
    extra: dict[str, list[str]] = {}
    for point in _entry_points() if plugins else []:
        where = f"the entry point {point.name!r} ({point.value})"
        try:
            serializer = _check_plugin(point.load(), where)
        except Exception as exc:
            broken.append((point.name, f"{type(exc).__name__}: {exc}"))
            continue
        if serializer.name in names:
            broken.append((point.name, f"{where} uses the name {serializer.name!r}, which another serialiser has"))
            continue
        names.add(serializer.name)
        serializers.append(serializer)
        extra[serializer.name] = [_top(str(point.value).split(":", 1)[0].strip())]
    return Registry(serializers, broken, extra)


_REGISTRY: list[Registry] = []


def registry(refresh: bool = False) -> Registry:
    """The registry of this process (built once; `refresh` rediscovers the plug-ins)."""
    if refresh or not _REGISTRY:
        _REGISTRY[:] = [build_registry()]
    return _REGISTRY[0]
