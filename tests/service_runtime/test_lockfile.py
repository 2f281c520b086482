"""runtime/lockfile.py: only the files the lock names, each checked against its sha256 before any loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nb2prod.service_runtime import lockfile


def test_load_verify_and_retrain(package: Path, tmp_path: Path) -> None:
    (package / "artifacts" / "unlisted.joblib").write_bytes(b"not a pickle: never read")
    assert lockfile.load_artifacts(package) == {"factor": 2.0}
    lock_path = lockfile.write_artifacts({"factor": 3.0}, package, tmp_path / "out")
    lock = json.loads(lock_path.read_text(encoding="utf-8"))
    assert "retrained_at" in lock and lockfile.load_artifacts(tmp_path / "out") == {"factor": 3.0}
    with pytest.raises(lockfile.ArtifactError, match="the training code defined no factor"):
        lockfile.write_artifacts({}, package)


def test_a_changed_or_missing_artifact_is_refused(package: Path) -> None:
    with (package / "artifacts" / "factor.joblib").open("ab") as file:
        file.write(b"\0")
    with pytest.raises(lockfile.ArtifactError, match="refusing to load a file that is not the one"):
        lockfile.load_artifacts(package)
    (package / "artifacts" / "factor.joblib").unlink()
    with pytest.raises(lockfile.ArtifactError, match="is missing"):
        lockfile.verify_artifacts(package)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"artifacts": None}, "has no list of artifacts"),
        ({"artifacts": [{"name": "factor"}]}, "lacks file, format, sha256"),
        ({"artifacts": [{"name": "f", "file": "f", "format": "pickle", "sha256": ""}]}, "unknown format 'pickle'"),
        ({"artifacts": [{"name": "f", "file": "../../etc/passwd", "format": "joblib", "sha256": ""}]}, "is outside"),
    ],
)
def test_a_bad_lock_is_refused(package: Path, change: dict[str, object], message: str) -> None:
    lock = json.loads((package / lockfile.LOCK_NAME).read_text(encoding="utf-8"))
    (package / lockfile.LOCK_NAME).write_text(json.dumps({**lock, **change}), encoding="utf-8")
    with pytest.raises(lockfile.ArtifactError, match=message):
        lockfile.verify_artifacts(package)


def test_no_lock_and_not_json(tmp_path: Path) -> None:
    with pytest.raises(lockfile.ArtifactError, match="no lock file"):
        lockfile.read_lock(tmp_path)
    (tmp_path / lockfile.LOCK_NAME).write_text("{", encoding="utf-8")
    with pytest.raises(lockfile.ArtifactError, match="is not valid JSON"):
        lockfile.read_lock(tmp_path)
