"""Runs INSIDE the notebook's kernel, after the notebook, as the build's last cell.

Its source is sent to the kernel as is (it must need nothing but the standard library,
and joblib or skops when they are installed there). It serialises the artifacts, records
``predict(**example)`` for every example (the parity record), the exact versions of the
distributions behind the imported modules, and the Python version, into
``capture.json`` in the output folder. Problems are recorded, not raised, so the build
can say which artifact or example failed and why.
"""

# ruff: noqa: PLC0415  (imports are local: this function's source is sent to a kernel)


def _nb2prod_capture(out_dir, artifact_names, export_modules):  # noqa: C901 - one self-contained job
    import hashlib
    import importlib.metadata as metadata
    import io
    import json
    import os
    import pickle
    import platform
    import site
    import sys
    import sysconfig

    namespace = globals()
    result = {
        "python": platform.python_version(),
        "artifacts": [],
        "examples": [],
        "errors": [],
        "versions": {},
        "needed_distributions": [],
    }
    pure_sklearn_modules = {"sklearn", "numpy", "scipy", "builtins", "copyreg", "collections", "_codecs",
                            "numbers", "functools", "joblib", "threadpoolctl"}

    class _Sink(io.RawIOBase):
        def write(self, b):  # noqa: D401 - a file that forgets
            return len(b)

    class _Recorder(pickle.Pickler):
        def __init__(self, file):
            super().__init__(file, protocol=4)
            self.modules = set()
            self.first_use = {}  # top-level module -> (qualified name, "instance"/"class"/"function")

        def reducer_override(self, obj):
            if isinstance(obj, type):
                module, what, kind = getattr(obj, "__module__", None), obj, "class"
            elif callable(obj) and isinstance(getattr(obj, "__qualname__", None), str):
                module, what, kind = getattr(obj, "__module__", None), obj, "function"
            else:
                module, what, kind = type(obj).__module__, type(obj), "instance"
            if isinstance(module, str):
                top = module.split(".", 1)[0]
                self.modules.add(top)
                self.first_use.setdefault(top, (getattr(what, "__qualname__", repr(what)), kind, module))
            return NotImplemented

    top_to_dists = metadata.packages_distributions()
    installed_roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        root = sysconfig.get_paths().get(key)
        if root:
            installed_roots.add(os.path.realpath(root))
    try:
        installed_roots.update(os.path.realpath(p) for p in site.getsitepackages())
        installed_roots.add(os.path.realpath(site.getusersitepackages()))
    except AttributeError:  # an old virtualenv's site module
        pass

    def is_installed(path):
        path = os.path.realpath(path)
        parts = path.split(os.sep)
        if "site-packages" in parts or "dist-packages" in parts:
            return True
        return any(path == root or path.startswith(root + os.sep) for root in installed_roots)

    def local_file(top):
        """The file of ``top`` when the service cannot install it: the notebook itself
        (``__main__``), or a module found neither in the standard library nor among the
        installed distributions (e.g. ``feats.py`` beside the notebook). Else None."""
        if top == "__main__":
            return "the notebook"
        if top in top_to_dists or top in sys.builtin_module_names:
            return None
        module = sys.modules.get(top)
        if module is None:
            return None
        paths = [getattr(module, "__file__", None)] + list(getattr(module, "__path__", None) or [])
        paths = [p for p in paths if isinstance(p, str) and os.path.isabs(p)]
        if not paths or any(is_installed(p) for p in paths):
            return None
        return paths[0]

    def sha256(path):
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()

    used_modules = set(export_modules)
    os.makedirs(os.path.join(out_dir, "artifacts"), exist_ok=True)
    for name in artifact_names:
        if name not in namespace:
            result["errors"].append({"artifact": name, "error": f"`{name}` is not defined after the notebook ran"})
            continue
        obj = namespace[name]
        recorder = _Recorder(_Sink())
        try:
            recorder.dump(obj)
        except Exception as exc:  # noqa: BLE001 - reported to the build with its type
            result["errors"].append({"artifact": name, "error": f"{type(exc).__name__}: {exc}"})
            continue
        local = [m for m in sorted(recorder.modules, key=lambda m: m != "__main__") if local_file(m)]
        if local:
            qualname, use, module = recorder.first_use[local[0]]
            if use == "instance" and (type(obj).__module__, type(obj).__qualname__) != (module, qualname):
                use = "held"
            result["errors"].append({"artifact": name, "local": {
                "module": module, "name": qualname, "kind": use, "file": local_file(local[0])}})
            continue
        used_modules |= recorder.modules
        kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
        fmt, trusted = "joblib", []
        path = os.path.join(out_dir, "artifacts", f"{name}.joblib")
        try:
            if "sklearn" in recorder.modules and recorder.modules <= pure_sklearn_modules:
                try:
                    import skops.io as sio
                except ImportError:
                    sio = None
                if sio is not None:
                    path = os.path.join(out_dir, "artifacts", f"{name}.skops")
                    sio.dump(obj, path)
                    trusted = sorted(sio.get_untrusted_types(file=path))
                    fmt = "skops"
                    used_modules.add("skops")
            if fmt == "joblib":
                try:
                    import joblib
                except ImportError:
                    result["errors"].append({"artifact": name, "error": "joblib is not installed in the notebook's "
                                             "environment (pip install joblib)"})
                    continue
                joblib.dump(obj, path)
                used_modules.add("joblib")
        except Exception as exc:  # noqa: BLE001
            result["errors"].append({"artifact": name, "error": f"{type(exc).__name__}: {exc}"})
            continue
        result["artifacts"].append({
            "name": name, "file": os.path.basename(path), "format": fmt, "sha256": sha256(path),
            "type": kind, "trusted": trusted, "bytes": os.path.getsize(path),
        })

    def jsonable(value):
        if hasattr(value, "tolist") and callable(value.tolist):
            return jsonable(value.tolist())
        if hasattr(value, "item") and callable(value.item) and type(value).__module__ == "numpy":
            return value.item()
        if isinstance(value, dict):
            return {str(k): jsonable(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [jsonable(v) for v in value]
        if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
            return None  # JSON has no NaN/Infinity: the service sends null, so record null
        json.dumps(value)  # raises TypeError for anything else
        return value

    if "examples" in namespace:
        examples = namespace["examples"]
    elif "example" in namespace:
        examples = [namespace["example"]]
    else:
        examples = []
    if not isinstance(examples, (list, tuple)):
        result["errors"].append({"example": 0, "error": "`examples` must be a list of dicts of predict's arguments"})
        examples = []
    predict = namespace.get("predict")
    for i, example in enumerate(examples):
        if not isinstance(example, dict) or not all(isinstance(k, str) for k in example):
            result["errors"].append({"example": i, "error": "an example must be a dict of predict's arguments"})
            continue
        try:
            inputs = jsonable(example)
            output = jsonable(predict(**example))
        except Exception as exc:  # noqa: BLE001
            result["errors"].append({"example": i, "error": f"{type(exc).__name__}: {exc}"})
            continue
        result["examples"].append({"input": inputs, "output": output})

    seen = {}
    for module in sorted({m.split(".", 1)[0] for m in list(sys.modules)}):
        for dist in top_to_dists.get(module, []):
            if dist not in seen:
                try:
                    seen[dist] = metadata.version(dist)
                except metadata.PackageNotFoundError:
                    continue
    result["versions"] = dict(sorted(seen.items(), key=lambda kv: kv[0].lower()))
    needed = []
    for module in sorted(used_modules):
        for dist in top_to_dists.get(module, []):
            if dist in seen and dist not in needed:
                needed.append(dist)
    result["needed_distributions"] = needed
    with open(os.path.join(out_dir, "capture.json"), "w", encoding="utf-8") as fh:
        json.dump(result, fh)
