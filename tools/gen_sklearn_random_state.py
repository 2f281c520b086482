"""Write ``nb2prod/data/sklearn_random_state.json``: the public scikit-learn classes and
functions that accept ``random_state``, read from the installed scikit-learn.

    python tools/gen_sklearn_random_state.py

The linter (rule NB106) reads the JSON, so it never needs scikit-learn itself. Each entry
maps a public dotted name (``sklearn.ensemble.RandomForestClassifier``) to the position
``random_state`` may be passed at, or ``null`` when it can only be given by keyword.
Re-run after upgrading scikit-learn and commit the result.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import sys
import warnings
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "nb2prod" / "data" / "sklearn_random_state.json"


def _public_modules(sklearn) -> list[str]:
    names = ["sklearn"]
    for info in pkgutil.walk_packages(sklearn.__path__, "sklearn."):
        parts = info.name.split(".")[1:]
        if any(p.startswith("_") or p in {"tests", "externals", "conftest"} for p in parts):
            continue
        names.append(info.name)
    return sorted(names)


def _random_state_position(obj: object) -> tuple[bool, int | None]:
    """(random_state defaults to None?, its positional index or None when keyword-only)."""
    target = obj.__init__ if inspect.isclass(obj) else obj  # type: ignore[misc]
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return False, None
    params = [p for p in sig.parameters.values() if p.name != "self"]
    for i, p in enumerate(params):
        if p.name == "random_state":
            # A fixed default (0, 42) is already reproducible; a required one belongs to
            # a base class that notebooks do not call.
            if p.default is not None:
                return False, None
            positional = p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            return True, i if positional else None
    return False, None


def collect() -> tuple[str, dict[str, int | None]]:
    import sklearn

    table: dict[str, int | None] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for modname in _public_modules(sklearn):
            try:
                module = importlib.import_module(modname)
            except Exception:  # optional dependencies (pytest, matplotlib...) missing
                continue
            declared = getattr(module, "__all__", None)
            public = declared if declared is not None else [n for n in vars(module) if not n.startswith("_")]
            for attr in public:
                obj = getattr(module, attr, None)
                if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                    continue
                home = getattr(obj, "__module__", "")
                # Names a module merely imports (sklearn.calibration.LinearSVC) are not its API.
                if declared is None and home != modname and not home.startswith(modname + "."):
                    continue
                if not home.startswith("sklearn"):
                    continue
                accepts, position = _random_state_position(obj)
                if accepts:
                    table[f"{modname}.{attr}"] = position
    return sklearn.__version__, dict(sorted(table.items()))


def main() -> int:
    version, table = collect()
    payload = {
        "generated_by": "tools/gen_sklearn_random_state.py",
        "sklearn_version": version,
        "random_state": table,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {len(table)} entries (scikit-learn {version}) to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
