"""A toy service for the runtime's unit tests: a package folder (lock, one joblib artifact, metadata,
profile) and a `predict` that reads the artifact, wired into a `Service` as a generated `service.py` does."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import joblib
from pydantic import BaseModel

from nb2prod.service_runtime import lockfile
from nb2prod.service_runtime.schema import request_config
from nb2prod.service_runtime.service import Service

EXAMPLES = [{"input": {"x": 1.5, "colour": "red"}, "output": 3.0}, {"input": {"x": 2.0}, "output": 4.0}]
PROFILE = {
    "format": 1, "rows": 4, "bins": 2, "max_categories": 50,
    "features": {
        "x": {"kind": "numeric", "count": 4, "missing": 0, "missing_rate": 0.0, "min": 0.0, "max": 3.0,
              "edges": [1.0, 2.0], "proportions": [0.25, 0.5, 0.25]},
        "colour": {"kind": "categorical", "count": 4, "missing": 0, "missing_rate": 0.0, "distinct": 2,
                   "truncated": False, "frequencies": {"red": 0.5, "blue": 0.5}, "other": 0.0},
    },
    "unprofiled": {},
}


class PredictRequest(BaseModel):
    model_config = request_config(EXAMPLES)

    x: float
    colour: Literal["red", "blue", "green"] = "red"


class PredictResponse(BaseModel):
    prediction: float | None


class Toy:
    """The `model.py` of the toy notebook: `factor` is its artifact."""

    def __init__(self, package_dir: Path) -> None:
        self.package_dir = package_dir
        self.factor: Any = None
        self.loads = 0

    def predict(self, x: float, colour: str = "red") -> float:
        if x < 0:
            raise ValueError("secret text of a negative x")
        if x == 99:
            return "not a number"  # type: ignore[return-value]
        return float(self.factor * x)

    def load_artifacts(self, directory: lockfile.PathLike | None = None) -> dict[str, Any]:
        artifacts = lockfile.load_artifacts(directory if directory is not None else self.package_dir)
        self.factor = artifacts["factor"]
        self.loads += 1
        return artifacts

    def train(self, output_dir: lockfile.PathLike | None) -> Path:
        return lockfile.write_artifacts({"factor": 3.0}, self.package_dir, output_dir)


def write_package(folder: Path, profile: dict[str, Any] | None = PROFILE) -> Path:
    """A folder laid out like a generated package, with the artifact `factor` = 2.0."""
    (folder / "artifacts").mkdir(parents=True)
    joblib.dump(2.0, folder / "artifacts" / "factor.joblib")
    digest = lockfile.sha256_of(folder / "artifacts" / "factor.joblib")
    lock: dict[str, Any] = {
        "nb2prod_version": "0.0.0",
        "artifacts": [{"name": "factor", "file": "factor.joblib", "format": "joblib", "sha256": digest,
                       "type": "builtins.float", "trusted": []}],
    }
    if profile is not None:
        data = (json.dumps(profile, indent=2) + "\n").encode()
        (folder / "profile.json").write_bytes(data)
        lock["profile"] = {"file": "profile.json", "sha256": hashlib.sha256(data).hexdigest()}
    (folder / lockfile.LOCK_NAME).write_text(json.dumps(lock, indent=2), encoding="utf-8")
    metadata = {
        "project_name": "toy-service", "package_name": "toy_service", "version": "0.1.0", "title": "Toy",
        "description": "Doubles x.", "notebook_name": "toy.ipynb", "notebook_sha256": "ab" * 32,
        "nb2prod_version": "0.0.0", "python_version": "3.11", "return_annotation": "float",
        "parameters": {"factor": 2.0}, "examples": EXAMPLES,
    }
    (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return folder


def toy_service(folder: Path, **changes: Any) -> tuple[Service, Toy]:
    toy = Toy(folder)
    options: dict[str, Any] = {
        "package": "toy_service", "project": "toy-service", "package_dir": folder, "predict": toy.predict,
        "load_artifacts": toy.load_artifacts, "request_model": PredictRequest, "response_model": PredictResponse,
        "train": toy.train, "max_batch_size": 5, **changes,
    }
    return Service(**options), toy
