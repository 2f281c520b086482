"""The build's typed records: the lock, the model card and the context a template renders.

:class:`Lock` is ``<package>/nb2prod.lock.json``; :meth:`Lock.to_json` is its one
serialiser and :func:`write_lock` its one writer: the build writes the lock into the
rendered project itself (a template renders none). :class:`BuildContext` is
what the template is rendered with; :meth:`BuildContext.cookiecutter_context` turns it
into the documented context keys (docs/templates.md) at the render boundary, and nowhere
else is that dict made.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from nb2prod.converter.plan import Field

__all__ = [
    "LOCK_FILE", "BuildContext", "DataFile", "FileRef", "Lock", "LockedArtifact", "ModelCard", "NotebookRef",
    "read_lock", "write_lock",
]

LOCK_FILE = "nb2prod.lock.json"  # <package>/nb2prod.lock.json: also how a folder is known as a build's project


@dataclass(frozen=True)
class NotebookRef:
    name: str
    sha256: str  # empty when the notebook has no file


@dataclass(frozen=True)
class FileRef:
    """A file beside the lock that the service checks like an artifact (``profile.json``)."""

    file: str
    sha256: str


@dataclass(frozen=True)
class LockedArtifact:
    """One serialised artifact, as the capture step wrote it, and the cell that defines it."""

    name: str
    file: str  # relative to <package>/artifacts/
    format: str  # the serialiser's name (service_runtime/serializers.py): skops, xgboost, torch, json, joblib...
    sha256: str
    type: str  # qualified class name
    trusted: list[str]  # the types its loader may construct (skops, torch)
    bytes: int
    cell: int | None
    options: dict[str, Any] = field(default_factory=dict)  # the format's details (e.g. the Keras backend)
    exports: list[str] = field(default_factory=list)  # the notebook's classes and functions it names

    OPTIONAL: ClassVar[tuple[str, ...]] = ("options", "exports")  # left out of the lock file when empty

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LockedArtifact:
        return cls(name=data["name"], file=data["file"], format=data["format"], sha256=data["sha256"],
                   type=data["type"], trusted=list(data["trusted"]), bytes=data["bytes"], cell=data.get("cell"),
                   options=dict(data.get("options") or {}), exports=list(data.get("exports") or []))


@dataclass(frozen=True)
class DataFile:
    """A file the notebook read while the build ran it (:mod:`.lineage`), hashed after the run."""

    path: str  # relative to the project root (POSIX separators), absolute when outside it
    bytes: int
    sha256: str
    cell: int | None  # the notebook cell that opened it first (None: a step the build added, or unknown)
    outside_project: bool = False
    modified: bool = False  # the notebook wrote it after reading it: the sha256 is of the file the run left

    OPTIONAL: ClassVar[tuple[str, ...]] = ("outside_project", "modified")  # left out of the lock file when false

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataFile:
        return cls(path=data["path"], bytes=data["bytes"], sha256=data["sha256"], cell=data.get("cell"),
                   outside_project=bool(data.get("outside_project")), modified=bool(data.get("modified")))


@dataclass(frozen=True)
class Lock:
    """``nb2prod.lock.json`` (DESIGN 7): what the build ran, with what, and what it made."""

    nb2prod_version: str
    built_at: str  # ISO 8601, UTC, whole seconds
    notebook: NotebookRef
    python: str  # the build kernel's full version
    parameters: dict[str, Any]
    seeds: list[dict[str, Any]]  # {"call", "value", "cell"}: the seeds the notebook sets
    lint_score: int | None
    artifacts: list[LockedArtifact]
    packages: dict[str, str]  # every distribution the build kernel had imported, with its version
    requirements: list[str]
    examples: int  # how many examples the build recorded
    profile: FileRef | None = None  # the `reference` profile, when the notebook has one
    data: list[DataFile] = field(default_factory=list)  # the files the notebook read (DESIGN 7, "Lineage")
    data_outputs: list[str] = field(default_factory=list)  # files it wrote, then read back: outputs, not data
    # What the notebook's `metrics` cells printed in the build's run ({"name", "value", "printed", "cell"}):
    # the model card's table, and the baseline of the service's live quality (service_runtime/quality.py).
    metrics: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.profile is None:
            del data["profile"]
        for entry in data["data"]:
            for key in DataFile.OPTIONAL:
                if not entry[key]:
                    del entry[key]
        if not self.data_outputs:
            del data["data_outputs"]
        if not self.metrics:
            del data["metrics"]
        for artifact in data["artifacts"]:  # an artifact without format details or notebook classes reads as before
            for key in LockedArtifact.OPTIONAL:
                if not artifact[key]:
                    del artifact[key]
        return data

    def to_json(self) -> str:
        """The lock file's text: sorted keys, two-space indent, a final newline."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lock:
        profile = data.get("profile")
        return cls(
            nb2prod_version=data["nb2prod_version"],
            built_at=data["built_at"],
            notebook=NotebookRef(**data["notebook"]),
            python=data["python"],
            parameters=dict(data["parameters"]),
            seeds=list(data["seeds"]),
            lint_score=data["lint_score"],
            artifacts=[LockedArtifact.from_dict(a) for a in data["artifacts"]],
            packages=dict(data["packages"]),
            requirements=list(data["requirements"]),
            examples=data["examples"],
            profile=FileRef(**profile) if profile is not None else None,
            data=[DataFile.from_dict(d) for d in data.get("data", [])],
            data_outputs=list(data.get("data_outputs", [])),
            metrics=[dict(m) for m in data.get("metrics", [])],
        )

    @classmethod
    def from_json(cls, text: str) -> Lock:
        return cls.from_dict(json.loads(text))


def write_lock(path: Path, lock: Lock) -> Path:
    """Write ``lock`` to ``path`` (its :meth:`Lock.to_json` text)."""
    path.write_text(lock.to_json(), encoding="utf-8")
    return path


def read_lock(path: Path) -> Lock:
    return Lock.from_json(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ModelCard:
    """What MODEL_CARD.md says (docs/templates.md, "The model card"); every string is
    ready for Markdown. The nested tables are rows of such strings."""

    title: str
    description: str
    purpose: str
    owner: dict[str, str]  # name, source
    inputs: list[dict[str, str]]  # name, type, required, default, seen
    output: dict[str, str]  # type
    example: dict[str, str] | None  # request, response, fence; None without examples
    examples: int
    training_data: dict[str, Any]
    metrics: list[dict[str, str]]
    metric_outputs: list[dict[str, Any]]
    metrics_note: str
    versions: dict[str, Any]
    lineage: dict[str, Any]
    limitations: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BuildContext:
    """What the template is rendered with (docs/templates.md lists the keys it becomes)."""

    project_name: str
    package_name: str
    title: str  # as the notebook wrote it (see :meth:`cookiecutter_context`)
    description: str
    python_version: str  # major.minor
    nb2prod_version: str
    notebook_name: str
    fields: list[Field]
    return_annotation: str
    model_code: str
    train_code: str
    test_code: str
    examples: list[dict[str, Any]]
    parameters: dict[str, Any]
    profile: dict[str, Any] | None
    lock: Lock
    model_card: ModelCard
    predict_batch: bool = False  # the notebook defines the vectorised `predict_batch(frame)`

    def cookiecutter_context(self) -> dict[str, Any]:
        """The documented context keys (docs/templates.md), made here and only here."""
        return {
            "project_name": self.project_name,
            "package_name": self.package_name,
            "title": _verbatim(self.title),
            "description": _verbatim(self.description),
            "python_version": self.python_version,
            "nb2prod_version": self.nb2prod_version,
            "notebook_name": self.notebook_name,
            "_fields": [f.to_dict() for f in self.fields],
            "_return_annotation": self.return_annotation,
            "_predict_batch": self.predict_batch,
            "_model_code": self.model_code,
            "_train_code": self.train_code,
            "_test_code": self.test_code,
            "_artifacts": [asdict(a) for a in self.lock.artifacts],
            "_examples": self.examples,
            "_requirements": list(self.lock.requirements),
            "_parameters": self.parameters,
            "_profile": self.profile or {},
            "_lock": self.lock.to_dict(),
            "_model_card": self.model_card.to_dict(),
        }


def _verbatim(text: str) -> str:
    """Cookiecutter renders plain (non ``_``) string values as Jinja: keep a title such as
    "Costs in {{region}}" as written."""
    if "{" in text or "%" in text:
        return "{% raw %}" + text + "{% endraw %}"
    return text
