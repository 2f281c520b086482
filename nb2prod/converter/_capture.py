"""Runs INSIDE the notebook's kernel, after the notebook, as the build's last cell.

Its source is sent to the kernel as is (it must need nothing but the standard library). It
serialises the artifacts with the registry of ``nb2prod/service_runtime/serializers.py``, which
the build sends to the kernel first, as the module ``_nb2prod_serializers``: each artifact in
the first format that saves it, the notebook's own classes and functions it names aliased so
that it loads against their source in the service (recorded as ``exports``). It records
``predict(**example)`` for every example (the parity record), the exact versions of the
distributions behind the imported modules, the Python version, and (when the notebook
has a ``reference`` cell) the profile of ``reference`` for drift monitoring, into
``capture.json`` in the output folder. Problems are recorded, not raised, so the build
can say which artifact or example failed and why.
"""

# Imports are local: this function's source is sent to a kernel. The annotations of its local
# variables are for mypy only (Python never evaluates them), so `Any` needs no import there.
from typing import Any


def _nb2prod_capture(out_dir, artifact_names, export_modules, profile_features=None,  # one job
                     notebook_definitions=(), reference_sample=0):
    import hashlib
    import importlib.metadata as metadata
    import json
    import os
    import pathlib
    import platform
    import site
    import sys
    import sysconfig

    namespace = globals()
    result: dict[str, Any] = {
        "python": platform.python_version(),
        "artifacts": [],
        "examples": [],
        "errors": [],
        "versions": {},
        "needed_distributions": [],
    }
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
    definitions = list(notebook_definitions)
    exports: list[str] = []
    artifact_dir = os.path.join(out_dir, "artifacts")
    os.makedirs(artifact_dir, exist_ok=True)
    serializers: Any = sys.modules.get("_nb2prod_serializers")  # sent to the kernel before this code
    registry = serializers.registry() if serializers is not None else None

    def notebook_object(qualname):
        """What ``qualname`` names in the notebook's namespace now (None if nothing)."""
        head, *rest = qualname.split(".")
        found = namespace.get(head)
        for attribute in rest:
            found = getattr(found, attribute, None)
        return found

    for name in artifact_names:
        if name not in namespace:
            result["errors"].append({"artifact": name, "error": f"`{name}` is not defined after the notebook ran"})
            continue
        if registry is None:
            result["errors"].append({"artifact": name, "error": "the build's serialisers are missing in the kernel"})
            continue
        obj = namespace[name]
        found = serializers.walk(obj)
        aliases: dict[str, Any] = {}
        local = None
        for module, qualname, kind, what in found.refs:
            top = module.split(".", 1)[0]
            where = local_file(top)
            if where is None:
                continue
            if module == "__main__" and "<" in qualname:
                continue  # a lambda, or a class or function made inside a function: saved by value (cloudpickle)
            head = qualname.split(".", 1)[0]
            if module == "__main__" and head in definitions and notebook_object(qualname) is what:
                aliases[head] = namespace[head]  # exported with its source: saved as __nb2prod_notebook__.<head>
                continue
            use = kind
            if use == "instance" and what is not type(obj):
                use = "held"
            local = {"module": module, "name": qualname, "kind": use, "file": where,
                     "stale": module == "__main__" and head in definitions}
            break
        if local is not None:
            result["errors"].append({"artifact": name, "local": local})
            continue
        looked_up = {}  # what the object looks up by name when it loads (a statsmodels formula's modules)
        for looked in found.names:
            value: Any = namespace.get(looked)
            module_name = value.__name__ if type(value).__name__ == "module" else None
            if looked in definitions and callable(value):
                aliases.setdefault(looked, value)
            elif module_name is not None and local_file(module_name.split(".", 1)[0]) is None:
                looked_up[looked] = module_name
                used_modules.add(module_name.split(".", 1)[0])
        kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
        try:
            with serializers.aliased(aliases):
                saved = registry.save(obj, pathlib.Path(artifact_dir), name)
        except serializers.NoSerializerError as exc:
            result["errors"].append({"artifact": name, "unsaveable": exc.what, "tried": exc.tried})
            continue
        except Exception as exc:  # reported to the build with its type
            result["errors"].append({"artifact": name, "error": f"{type(exc).__name__}: {exc}"})
            continue
        used_modules |= {m for m in found.modules if local_file(m) is None}
        used_modules.update(saved.modules)
        path = str(saved.path)
        entry = {
            "name": name, "file": os.path.basename(path), "format": saved.serializer.name, "sha256": sha256(path),
            "type": kind, "trusted": list(saved.fields.get("trusted") or []), "bytes": os.path.getsize(path),
        }
        options = {**(saved.fields.get("options") or {}), **({"names": looked_up} if looked_up else {})}
        if options:
            entry["options"] = options
        if aliases:
            entry["exports"] = sorted(aliases, key=definitions.index)
            exports.extend(n for n in entry["exports"] if n not in exports)
        result["artifacts"].append(entry)
    result["exports"] = sorted(exports, key=definitions.index)

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
    predict: Any = namespace.get("predict")
    for i, example in enumerate(examples):
        if not isinstance(example, dict) or not all(isinstance(k, str) for k in example):
            result["errors"].append({"example": i, "error": "an example must be a dict of predict's arguments"})
            continue
        # Three steps, three messages: the input recorded, predict called, its answer recorded.
        try:
            inputs = jsonable(example)
        except Exception as exc:
            result["errors"].append({"example": i, "stage": "input", "error": f"{type(exc).__name__}: {exc}"})
            continue
        try:
            answer = predict(**example)
        except SystemExit as exc:  # sys.exit() inside predict: not the capture step's own doing
            result["errors"].append({"example": i, "stage": "exit", "error": f"sys.exit({exc.code!r})"})
            continue
        except Exception as exc:
            result["errors"].append({"example": i, "stage": "call", "error": f"{type(exc).__name__}: {exc}"})
            continue
        try:
            output = jsonable(answer)
        except Exception as exc:
            result["errors"].append({"example": i, "stage": "output", "type": type(answer).__name__,
                                     "error": f"{type(exc).__name__}: {exc}"})
            continue
        result["examples"].append({"input": inputs, "output": output})

    if profile_features is not None:
        if "reference" not in namespace:
            result["errors"].append({"reference": True, "error": "it defines no `reference`"})
        else:
            try:
                result["profile"] = _nb2prod_profile(namespace["reference"], profile_features,
                                                     sample=reference_sample)
                result["reference_sample"] = result["profile"].pop("_sample", [])
            except ValueError as exc:
                result["errors"].append({"reference": True, "error": str(exc)})
            except Exception as exc:  # an object that does not read as documented
                result["errors"].append({"reference": True, "error": f"{type(exc).__name__}: {exc}"})

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


def _nb2prod_profile(reference, features, bins=10, max_categories=50, sample=0):  # one self-contained job
    """The profile of ``reference`` (the training inputs) for each of ``features``.

    ``features`` is a list of dicts: ``name``, ``kind`` (``numeric``, ``categorical``, or
    ``auto`` for an unannotated parameter: numeric if every present value is a number),
    ``required``. Columns are matched by name (a DataFrame's columns, the keys of records
    or of a dict of columns), or by position for a 2-D array or rows of lists, in the
    order of ``features`` (predict's parameters). Standard library only: pandas, polars
    and numpy objects are read through their ``columns``, ``tolist``/``to_list`` and
    ``item`` methods. Raises ValueError with a message for the user.
    """
    import bisect
    import json
    import math
    import numbers

    def plain(value):
        if type(value).__module__.split(".", 1)[0] == "numpy" and callable(getattr(value, "item", None)):
            return value.item()
        return value

    def as_list(values):
        for method in ("tolist", "to_list"):
            if callable(getattr(values, method, None)):
                return [plain(v) for v in getattr(values, method)()]
        return [plain(v) for v in values]

    def missing(value):
        if value is None:
            return True
        if isinstance(value, float):
            return value != value
        return type(value).__name__ in ("NAType", "NaTType")

    kind_of_reference = f"{type(reference).__module__}.{type(reference).__qualname__}"
    names = [f["name"] for f in features]
    columns = {}  # name -> list of values
    available = []
    positional = False
    if isinstance(reference, dict):
        available = [str(k) for k in reference]
        lengths = set()
        for key, values in reference.items():
            columns[str(key)] = as_list(values)
            lengths.add(len(columns[str(key)]))
        if len(lengths) > 1:
            raise ValueError("`reference` is a dict of columns of different lengths")
        n_rows = lengths.pop() if lengths else 0
    elif hasattr(reference, "columns"):  # a DataFrame (pandas, polars...)
        labels = list(reference.columns)
        available = [str(c) for c in labels]
        if len(set(available)) != len(available):
            dup = sorted({c for c in available if available.count(c) > 1})
            raise ValueError(f"`reference` has duplicate columns: {', '.join(dup)}")
        n_rows = len(reference)
        for i, label in enumerate(labels):
            if available[i] in names:
                columns[available[i]] = as_list(reference[label])
    elif hasattr(reference, "ndim") and callable(getattr(reference, "tolist", None)):
        if reference.ndim == 1 and len(features) == 1:
            rows: list[Any] = [[v] for v in reference.tolist()]
        elif reference.ndim == 2:
            rows = reference.tolist()
        else:
            raise ValueError(f"`reference` is a {reference.ndim}-D array: give a 2-D array, one column per "
                             "parameter of predict, in order")
        positional = True
    elif isinstance(reference, (list, tuple)):
        rows = list(reference)
        if rows and all(isinstance(r, dict) for r in rows):
            seen: dict[str, None] = {}
            for r in rows:
                for key in r:
                    seen.setdefault(str(key), None)
            available = list(seen)
            for name in names:
                if name in seen:
                    columns[name] = [plain(r.get(name)) for r in rows]
            n_rows = len(rows)
        elif rows and all(isinstance(r, (list, tuple)) for r in rows):
            positional = True
        elif rows:
            raise ValueError("`reference` is a list, but not of records (dicts) or rows (lists): got an item of "
                             f"type {type(next(r for r in rows if not isinstance(r, (dict, list, tuple)))).__name__}")
        else:
            n_rows = 0
    else:
        raise ValueError(f"`reference` is a {kind_of_reference}: give a DataFrame, a 2-D array, a list of records "
                         "(dicts) or a dict of columns, with the inputs of predict")
    if positional:
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            raise ValueError(f"the rows of `reference` have different lengths ({', '.join(map(str, sorted(widths)))})")
        width = widths.pop() if widths else 0
        if width > len(names):
            raise ValueError(f"`reference` has {width} columns but predict takes {len(names)} inputs "
                             f"({', '.join(names)}): its columns are matched to the inputs in order")
        available = names[:width]
        for i, name in enumerate(available):
            columns[name] = [plain(r[i]) for r in rows]
        n_rows = len(rows)
    if n_rows == 0:
        raise ValueError("`reference` has no rows")

    absent = [f["name"] for f in features if f["name"] not in columns and f["required"]]
    if absent:
        shown = ", ".join(available[:20]) + (f" and {len(available) - 20} more" if len(available) > 20 else "")
        by = "columns (matched by position)" if positional else "columns"
        raise ValueError(f"`reference` has no {'column' if len(absent) == 1 else 'columns'} for predict's "
                         f"{', '.join(f'`{n}`' for n in absent)}; its {by}: {shown or 'none'}")

    def category(value):
        return value if isinstance(value, str) else json.dumps(value) if isinstance(
            value, (bool, int, float)) else str(value)

    profile = {"format": 1, "rows": n_rows, "source": kind_of_reference, "bins": bins,
               "max_categories": max_categories, "features": {}, "unprofiled": {}}
    for feature in features:
        name, kind = feature["name"], feature["kind"]
        if name not in columns:
            profile["unprofiled"][name] = "not a column of `reference` (predict has a default for it)"
            continue
        values = columns[name]
        present = []
        n_missing = 0
        for value in values:
            if missing(value) or isinstance(value, float) and not math.isfinite(value):
                n_missing += 1
            else:
                present.append(value)
        if not present:
            if feature["required"]:
                raise ValueError(f"every value of `{name}` in `reference` is missing")
            profile["unprofiled"][name] = "every value in `reference` is missing"
            continue
        numeric = all(isinstance(v, numbers.Real) for v in present)
        if kind == "numeric" and not numeric:
            bad = next(v for v in present if not isinstance(v, numbers.Real))
            raise ValueError(f"predict takes a number for `{name}`, but `reference` has {bad!r} "
                             f"({type(bad).__name__}) in that column")
        if kind == "auto":
            kind = "numeric" if numeric and not all(isinstance(v, bool) for v in present) else "categorical"
        entry = {"kind": kind, "count": len(present), "missing": n_missing, "missing_rate": n_missing / n_rows}
        if kind == "numeric":
            present = [int(v) if isinstance(v, bool) else v for v in present]
            present = [v if isinstance(v, (int, float)) else float(v) for v in present]
            ordered = sorted(present)
            count = len(ordered)
            low, high = ordered[0], ordered[-1]
            mean = math.fsum(ordered) / count
            std = math.sqrt(math.fsum((v - mean) ** 2 for v in ordered) / (count - 1)) if count > 1 else 0.0
            edges: list[Any] = []
            for q in range(1, bins):
                pos = (count - 1) * q / bins
                lo = int(pos)
                frac = pos - lo
                cut = ordered[lo]
                if frac and lo + 1 < count:
                    cut = ordered[lo] + (ordered[lo + 1] - ordered[lo]) * frac
                if cut > low and (not edges or cut > edges[-1]):
                    edges.append(cut)
            counts = [0] * (len(edges) + 1)
            for v in ordered:
                counts[bisect.bisect_right(edges, v)] += 1
            entry.update({"min": low, "max": high, "mean": mean, "std": std, "edges": edges,
                          "proportions": [c / count for c in counts]})
        else:
            tally: dict[Any, int] = {}
            for v in present:
                key = category(v)
                tally[key] = tally.get(key, 0) + 1
            ranked = sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))
            kept = ranked[:max_categories]
            entry.update({"distinct": len(tally), "truncated": len(ranked) > max_categories,
                          "frequencies": {k: c / len(present) for k, c in kept},
                          "other": sum(c for _, c in ranked[max_categories:]) / len(present)})
        profile["features"][name] = entry
    if sample:
        rows_out = []
        if all(f["name"] in columns for f in features if f["required"]):
            kept_names = [n for n in names if n in columns]
            import random

            # a seeded random sample (rows evenly spaced would follow any period of the data), in row order
            for i in sorted(random.Random(0).sample(range(n_rows), min(n_rows, 3 * sample))):
                record = {n: columns[n][i] for n in kept_names}
                try:  # JSON numbers and text only: a row that JSON cannot carry is left out
                    json.dumps(record, allow_nan=False)
                except (TypeError, ValueError):
                    continue
                if not any(missing(v) for v in record.values()):
                    rows_out.append(record)
                if len(rows_out) == sample:
                    break
        profile["_sample"] = rows_out
    return profile
