"""The lock, `nb2prod.lock.json`: which artifact files the service may load, and their sha256.

Every artifact the lock names is checked against its sha256 before any is loaded, and a
file the lock does not name is never read. Each is loaded by the serialiser its entry's
`format` names (serializers.py: the built-in ones and the plug-ins of the entry point group
`nb2prod.serializers`). Retraining writes new files in the same formats and a copy of the
lock with their new sha256s.

An artifact that names classes or functions the notebook defines (its entry's `exports`) was
saved with them in the module `__nb2prod_notebook__`: `load_artifacts(..., notebook_module=...)`
registers the package's `model` module, which defines them, under that name while it loads, and
`write_artifacts` saves the retrained objects the same way.

Every function takes the folder it reads: one laid out like the generated package
(`nb2prod.lock.json` beside `artifacts/`), the package's own or one written by `train`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import serializers

PathLike = str | os.PathLike[str]

LOCK_NAME = "nb2prod.lock.json"
ARTIFACTS_DIR = "artifacts"
ENTRY_KEYS = ("name", "file", "format", "sha256")


class ArtifactError(RuntimeError):
    """An artifact is missing, differs from its sha256 in the lock, or cannot be read."""


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_lock(directory: PathLike) -> dict[str, Any]:
    """The lock of `directory`, checked for a list of complete artifact entries of known formats."""
    path = Path(directory) / LOCK_NAME
    try:
        lock = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"no lock file at {path}") from None
    except ValueError as exc:
        raise ArtifactError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(lock, dict) or not isinstance(lock.get("artifacts"), list):
        raise ArtifactError(f"{path} has no list of artifacts")
    for entry in lock["artifacts"]:
        missing = [key for key in ENTRY_KEYS if not isinstance(entry, dict) or key not in entry]
        if missing:
            raise ArtifactError(f"{path}: artifact entry {entry!r} lacks {', '.join(missing)}")
        known = serializers.registry()
        if known.get(str(entry["format"])) is None:
            raise ArtifactError(f"artifact {entry['name']!r}: {known.unknown_format(str(entry['format']))}")
    return lock


def verify_artifacts(directory: PathLike) -> list[tuple[dict[str, Any], Path]]:
    """Check every artifact the lock of `directory` names against its sha256, without loading any.

    Returns each lock entry with the path of its file. Raises ArtifactError on the first
    artifact whose file is missing or is not the one the lock names.
    """
    folder = Path(directory)
    verified = []
    for entry in read_lock(folder)["artifacts"]:
        path = _artifact_path(folder, entry)
        if not path.is_file():
            raise ArtifactError(f"artifact {entry['name']!r}: {path} is missing")
        try:
            actual = sha256_of(path)
        except OSError as exc:
            raise ArtifactError(f"artifact {entry['name']!r}: cannot read {path}: {exc}") from exc
        if actual != entry["sha256"]:
            raise ArtifactError(
                f"artifact {entry['name']!r}: {path} has sha256 {actual}, the lock says {entry['sha256']}; "
                "refusing to load a file that is not the one the notebook produced"
            )
        verified.append((entry, path))
    return verified


def load_artifacts(directory: PathLike, notebook_module: types.ModuleType | None = None) -> dict[str, Any]:
    """Verify every artifact the lock of `directory` names, then load them all; returns them by variable name.

    `notebook_module`: the module that defines the notebook's classes and functions the artifacts
    name (the package's `model` module), registered as `__nb2prod_notebook__` while they load.
    """
    verified = verify_artifacts(directory)
    registry = serializers.registry()
    loaded = {}
    with serializers.notebook_alias(notebook_module):
        for entry, path in verified:
            serializer = registry.get(str(entry["format"]))
            if serializer is None:  # read_lock checked it: a plug-in gone since
                raise ArtifactError(f"artifact {entry['name']!r}: {registry.unknown_format(str(entry['format']))}")
            try:
                loaded[entry["name"]] = serializer.load(path, entry)
            except Exception as exc:
                exports = [str(name) for name in entry.get("exports") or []]
                hint = ""
                if exports and notebook_module is None:
                    hint = (f" (it names the notebook's {', '.join(exports)}: pass the module that defines them "
                            "as notebook_module)")
                raise ArtifactError(f"artifact {entry['name']!r}: cannot load {path}: {exc}{hint}") from exc
    return loaded


def write_artifacts(
    objects: Mapping[str, Any],
    package_dir: PathLike,
    output_dir: PathLike | None = None,
    notebook_module: types.ModuleType | None = None,
) -> Path:
    """Write the artifacts the lock of `package_dir` names, taken from `objects`, into `output_dir`
    (default: `package_dir` itself).

    Each goes to the same file in the same format; the lock is copied there with the new
    sha256s and the time of retraining. The notebook's classes and functions an entry names
    (`exports`) are aliased as when the build saved it: the ones the object refers to by that
    name, else those of `objects` or of `notebook_module` (default: the package's `model`
    module, when this is the runtime of a generated package). Returns the path of the new lock.
    """
    lock = read_lock(package_dir)
    folder = Path(output_dir if output_dir is not None else package_dir)
    missing = [entry["name"] for entry in lock["artifacts"] if entry["name"] not in objects]
    if missing:
        raise ArtifactError(f"the training code defined no {', '.join(missing)}")
    registry = serializers.registry()
    for entry in lock["artifacts"]:
        path = _artifact_path(folder, entry)
        path.parent.mkdir(parents=True, exist_ok=True)
        serializer = registry.get(str(entry["format"]))
        if serializer is None:
            raise ArtifactError(f"artifact {entry['name']!r}: {registry.unknown_format(str(entry['format']))}")
        obj = objects[entry["name"]]
        aliases = _notebook_objects(entry, obj, objects, notebook_module)
        try:
            with serializers.aliased(aliases):
                fields = serializer.dump(obj, path) or {}
        except Exception as exc:
            raise ArtifactError(f"artifact {entry['name']!r}: cannot write it as {entry['format']}: {exc}") from exc
        if "trusted" in fields:
            entry["trusted"] = fields["trusted"]
        if fields.get("options"):  # what the build recorded beside the format's own details is kept
            entry["options"] = {**(entry.get("options") or {}), **fields["options"]}
        entry["sha256"] = sha256_of(path)
        entry["bytes"] = path.stat().st_size
    lock["retrained_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    lock_path: Path = folder / LOCK_NAME
    lock_path.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return lock_path


def _notebook_objects(
    entry: Mapping[str, Any], obj: Any, objects: Mapping[str, Any], notebook_module: types.ModuleType | None
) -> dict[str, Any]:
    """The classes and functions to save as the notebook's `exports` of `entry`, by name."""
    names = [str(name) for name in entry.get("exports") or []]
    if not names:
        return {}
    module = notebook_module if notebook_module is not None else _package_model()
    homes = {"__main__", serializers.NOTEBOOK_MODULE} | ({module.__name__} if module is not None else set())
    referenced: dict[str, Any] = {}  # what the object refers to: the notebook's, the service's, train.py's own
    for home, qualname, _kind, what in serializers.walk(obj).refs:
        name = getattr(what, "__name__", None)
        if name in names and name not in referenced and (home in homes or "<locals>" in qualname):
            referenced[name] = what
    chosen = {}
    for name in names:
        found = referenced.get(name)
        if found is None and callable(objects.get(name)):
            found = objects[name]
        if found is None and module is not None:
            found = getattr(module, name, None)
        if found is None:
            raise ArtifactError(f"artifact {entry['name']!r} names the notebook's `{name}`, which neither the training "
                                "code nor the service's code defines")
        chosen[name] = found
    return chosen


def _package_model() -> types.ModuleType | None:
    """The `model` module of the generated package this runtime is part of (`<package>.runtime`),
    if it is imported."""
    package = __package__ or ""
    if not package.endswith(".runtime"):
        return None
    return sys.modules.get(package.rpartition(".")[0] + ".model")


def _artifact_path(folder: Path, entry: Mapping[str, Any]) -> Path:
    root = (folder / ARTIFACTS_DIR).resolve()
    path = (root / str(entry["file"])).resolve()
    if not path.is_relative_to(root):
        raise ArtifactError(f"artifact {entry['name']!r}: {entry['file']!r} is outside {root}")
    return path
