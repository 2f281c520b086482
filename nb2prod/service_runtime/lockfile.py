"""The lock, `nb2prod.lock.json`: which artifact files the service may load, and their sha256.

Every artifact the lock names is checked against its sha256 before any is loaded, and a
file the lock does not name is never read. Retraining writes new files in the same
formats and a copy of the lock with their new sha256s.

Every function takes the folder it reads: one laid out like the generated package
(`nb2prod.lock.json` beside `artifacts/`), the package's own or one written by `train`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

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
        if entry["format"] not in LOADERS:
            raise ArtifactError(
                f"artifact {entry['name']!r}: unknown format {entry['format']!r} (known: {', '.join(LOADERS)})"
            )
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


def load_artifacts(directory: PathLike) -> dict[str, Any]:
    """Verify every artifact the lock of `directory` names, then load them all; returns them by variable name."""
    loaded = {}
    for entry, path in verify_artifacts(directory):
        try:
            loaded[entry["name"]] = LOADERS[entry["format"]](path, entry)
        except Exception as exc:
            raise ArtifactError(f"artifact {entry['name']!r}: cannot load {path}: {exc}") from exc
    return loaded


def write_artifacts(objects: Mapping[str, Any], package_dir: PathLike, output_dir: PathLike | None = None) -> Path:
    """Write the artifacts the lock of `package_dir` names, taken from `objects`, into `output_dir`
    (default: `package_dir` itself).

    Each goes to the same file in the same format; the lock is copied there with the new
    sha256s and the time of retraining. Returns the path of the new lock.
    """
    lock = read_lock(package_dir)
    folder = Path(output_dir if output_dir is not None else package_dir)
    missing = [entry["name"] for entry in lock["artifacts"] if entry["name"] not in objects]
    if missing:
        raise ArtifactError(f"the training code defined no {', '.join(missing)}")
    for entry in lock["artifacts"]:
        path = _artifact_path(folder, entry)
        path.parent.mkdir(parents=True, exist_ok=True)
        DUMPERS[entry["format"]](objects[entry["name"]], path)
        entry["sha256"] = sha256_of(path)
    lock["retrained_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    lock_path: Path = folder / LOCK_NAME
    lock_path.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return lock_path


def _artifact_path(folder: Path, entry: Mapping[str, Any]) -> Path:
    root = (folder / ARTIFACTS_DIR).resolve()
    path = (root / str(entry["file"])).resolve()
    if not path.is_relative_to(root):
        raise ArtifactError(f"artifact {entry['name']!r}: {entry['file']!r} is outside {root}")
    return path


# The serialisation libraries are imported where they are used, so a service needs only
# the one of the formats it ships.


def _load_joblib(path: Path, entry: Mapping[str, Any]) -> Any:
    import joblib

    return joblib.load(path)


def _load_skops(path: Path, entry: Mapping[str, Any]) -> Any:
    import skops.io

    return skops.io.load(path, trusted=list(entry.get("trusted") or []))


def _dump_joblib(obj: Any, path: Path) -> None:
    import joblib

    joblib.dump(obj, path)


def _dump_skops(obj: Any, path: Path) -> None:
    import skops.io

    skops.io.dump(obj, path)


LOADERS: dict[str, Callable[[Path, Mapping[str, Any]], Any]] = {"joblib": _load_joblib, "skops": _load_skops}
DUMPERS: dict[str, Callable[[Any, Path], None]] = {"joblib": _dump_joblib, "skops": _dump_skops}
