"""What the runtime needs of one notebook: its `predict`, its schema, its files and its settings' prefix.

The generated package's `service.py` builds one `Service` from its own `model.py` and `schema.py`; the
app, the batch scorer and the command line of this runtime take it as an argument, so the runtime
never imports a notebook's module itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .lockfile import PathLike
from .schema import read_metadata
from .settings import DEFAULT_MAX_BATCH_SIZE, Settings


@dataclass(frozen=True)
class Service:
    """One notebook's service, as the runtime sees it.

    `predict(**inputs)` is the notebook's function; `load_artifacts(directory)` verifies and loads
    the artifacts of a folder laid out like the package (None: the package's own) and makes them
    the globals `predict` (and `predict_batch`) read; `train(output_dir)` reruns the training code and returns
    the path of the new lock. `request_model` holds the keyword arguments of `predict`, `response_model` its
    answer as a `prediction` field.
    """

    package: str
    """The import name, e.g. `iris_service`: the loggers are `<package>.access`, `.drift`, `.predict`."""
    project: str
    """The distribution name and command, e.g. `iris-service`."""
    package_dir: Path
    """Where the package's lock, artifacts, `metadata.json` and `profile.json` are."""
    predict: Callable[..., Any]
    load_artifacts: Callable[[PathLike | None], Mapping[str, Any]]
    request_model: type[BaseModel]
    response_model: type[BaseModel]
    train: Callable[[PathLike | None], Path] | None = None
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
    """The default of `<PREFIX>_MAX_BATCH_SIZE`."""
    env_prefix: str = ""
    """The prefix of the settings' environment variables; default: the package name in upper case."""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """The package's `metadata.json` (read from `package_dir` when not given)."""
    predict_batch: Callable[[Any], Any] | None = None
    """The notebook's vectorised `predict_batch(frame)`, if it defines one (see vectorised.py): a pandas
    DataFrame with one column per argument of `predict` in, one answer per row out."""

    def __post_init__(self) -> None:
        if not self.env_prefix:
            object.__setattr__(self, "env_prefix", self.package.upper())
        if not self.metadata:
            object.__setattr__(self, "metadata", read_metadata(self.package_dir))

    @property
    def examples(self) -> list[dict[str, Any]]:
        """The notebook's examples: `input` (keyword arguments of `predict`) and `output` (what it returned)."""
        return list(self.metadata.get("examples") or [])

    def settings(self, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from the environment (see settings.py)."""
        return Settings.from_env(self.env_prefix, environ, max_batch_size=self.max_batch_size)

    def folder(self, directory: PathLike | None) -> Path:
        """`directory`, or the package's own folder for None."""
        return Path(directory) if directory is not None else self.package_dir
