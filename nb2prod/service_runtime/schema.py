"""The shapes of the answers every service shares, the batch models built from a notebook's request and
response models, and the conversion of predictions to JSON.

A notebook's own `PredictRequest` (the keyword arguments of its `predict`) and `PredictResponse` are in
the package's `schema.py`. Requests are validated in pydantic's strict mode, from the JSON text
(`model_validate_json`): a JSON number is not accepted for a `str` field, nor a string (`"1.5"`) or a
boolean for a number, nor `0`/`1` or `"true"` for a `bool`; an integer is a valid `float`. Arrays are
accepted for tuples and sets, as strict mode allows in JSON (and not in Python).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

METADATA_FILE = "metadata.json"

REQUEST_CONFIG = ConfigDict(
    extra="forbid",
    strict=True,  # no coercion: "1.5" is not a float, true is not a number (see the module's docstring)
    allow_inf_nan=False,  # NaN and infinities are refused with 422, naming the field
    protected_namespaces=(),
)
"""The configuration of a `PredictRequest` (with `json_schema_extra` for its examples)."""


def read_metadata(package_dir: Path) -> dict[str, Any]:
    """The package's `metadata.json`: what the notebook and its build were, and its examples."""
    metadata: dict[str, Any] = json.loads((package_dir / METADATA_FILE).read_text(encoding="utf-8"))
    return metadata


def request_config(examples: Sequence[Mapping[str, Any]]) -> ConfigDict:
    """REQUEST_CONFIG, with the first example's input as the OpenAPI example."""
    return ConfigDict(**REQUEST_CONFIG, json_schema_extra={"examples": [dict(e["input"]) for e in examples[:1]]})


def batch_request_model(
    request_model: type[BaseModel], max_batch_size: int, examples: Sequence[Mapping[str, Any]]
) -> type[BaseModel]:
    """`BatchRequest`: `instances`, from 1 to `max_batch_size` requests of `request_model`."""
    config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"instances": [dict(e["input"]) for e in examples[:max_batch_size]]}]},
    )
    model: type[BaseModel] = create_model(
        "BatchRequest",
        __config__=config,
        __doc__=f"Several calls of `predict` at once, at most {max_batch_size}.",
        instances=(list[request_model], Field(min_length=1, max_length=max_batch_size)),  # type: ignore[valid-type]
    )
    return model


def batch_response_model(response_model: type[BaseModel]) -> type[BaseModel]:
    """`BatchResponse`: `predictions`, a list of what `response_model` has as its `prediction`."""
    annotation = response_model.model_fields["prediction"].annotation
    model: type[BaseModel] = create_model(
        "BatchResponse",
        __doc__="The predictions of a batch, in the order of its instances.",
        predictions=(list[annotation], ...),  # type: ignore[valid-type]
    )
    return model


class ErrorMessage(BaseModel):
    """The answer of a request the service does not serve: not ready (503), a body too large (413), or too slow
    (408)."""

    detail: str


class ValidationProblem(BaseModel):
    """One reason an input is refused: where (`loc`, e.g. `["body", "instances", 2, "x"]`), what and why."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = None
    ctx: dict[str, Any] | None = None


class ValidationErrors(BaseModel):
    """The answer 422: every reason the request, or the notebook's `predict` on it, failed."""

    detail: list[ValidationProblem]


class ReadyStatus(BaseModel):
    """`ready`, or why not: `loading`, or `failed` with the reason."""

    status: Literal["ready", "loading", "failed"]
    reason: str | None = None


def jsonable(value: Any) -> Any:
    """`value` as plain JSON-safe Python: numpy scalars and arrays (and pandas series) become lists and numbers."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars, pandas Series and Index
        return jsonable(value.tolist())
    if hasattr(value, "item"):
        return value.item()
    return value
