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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

METADATA_FILE = "metadata.json"
ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
"""What a client's own prediction id may be: 1 to 128 letters, digits and `._:-`."""
PredictionId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=ID_PATTERN)]
ID_EXAMPLES = (
    "3f0c9a1e5b7d4c2a8e6f1b0d9c7a5e3f", "9b1d2e4f6a8c0e1f3a5b7c9d1e3f5a7b", "5e7a9c1b3d5f7e9a1c3b5d7f9e1a3c5b",
)

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
    """`BatchRequest`: `instances`, from 1 to `max_batch_size` requests of `request_model`, and optionally the
    client's own `ids` of their predictions (one per instance, all different)."""
    config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"instances": [dict(e["input"]) for e in examples[:max_batch_size]]}]},
    )
    ids_field = Field(
        default=None, min_length=1, max_length=max_batch_size, json_schema_extra={"uniqueItems": True},
        description="The ids of the predictions, one per instance in order, all different (1 to 128 letters, digits "
                    "and `._:-`); by default each gets a new uuid4 (32 hex digits). Send them to /feedback with the "
                    "true outcomes.",
    )
    model: type[BaseModel] = create_model(
        "BatchRequest",
        __config__=config,
        __doc__=f"Several calls of `predict` at once, at most {max_batch_size}.",
        instances=(list[request_model], Field(min_length=1, max_length=max_batch_size)),  # type: ignore[valid-type]
        ids=(list[PredictionId] | None, ids_field),
    )
    return model


def prediction_type(response_model: type[BaseModel]) -> Any:
    """The annotation of the `prediction` of a notebook's `PredictResponse`."""
    return response_model.model_fields["prediction"].annotation


def predict_response_model(response_model: type[BaseModel], examples: Sequence[Mapping[str, Any]]) -> type[BaseModel]:
    """`PredictionWithId`: the notebook's `PredictResponse` (its `prediction`) and the prediction's `id`."""
    shown: list[Any] = [{"prediction": e["output"], "id": ID_EXAMPLES[0]} for e in examples[:1] if "output" in e]
    model: type[BaseModel] = create_model(
        "PredictionWithId",
        __base__=response_model,
        __doc__="What `predict` returned, and the id of this prediction (send it to /feedback with the true outcome).",
        id=(str, Field(description="The prediction's id: the X-Prediction-Id header the client sent, or a new "
                                   "uuid4 (32 hex digits)", json_schema_extra={"examples": [ID_EXAMPLES[0]]})),
    )
    if shown:
        model.model_config["json_schema_extra"] = {"examples": shown}
        model.model_rebuild(force=True)
    return model


def batch_response_model(
    response_model: type[BaseModel], examples: Sequence[Mapping[str, Any]] = ()
) -> type[BaseModel]:
    """`BatchResponse`: `predictions`, a list of what `response_model` has as its `prediction`, and their `ids`."""
    outputs = [e["output"] for e in examples if "output" in e][: len(ID_EXAMPLES)]
    extra: dict[str, Any] | None = (
        {"examples": [{"predictions": outputs, "ids": list(ID_EXAMPLES[: len(outputs)])}]} if outputs else None
    )
    model: type[BaseModel] = create_model(
        "BatchResponse",
        __config__=ConfigDict(json_schema_extra=extra),
        __doc__="The predictions of a batch, in the order of its instances, and their ids (in the same order).",
        predictions=(list[prediction_type(response_model)], ...),  # type: ignore[misc,arg-type]
        ids=(list[str], ...),
    )
    return model


def feedback_models(
    response_model: type[BaseModel], max_items: int, examples: Sequence[Mapping[str, Any]] = ()
) -> tuple[type[BaseModel], type[BaseModel]]:
    """`Feedback` (the true `outcome` of the prediction `id`, of the type of its `prediction`) and
    `FeedbackBatch` (`feedback`: from 1 to `max_items` of them, the limit of a batch of predictions); the first
    example's output is the example outcome."""
    shown: list[Any] = [{"id": ID_EXAMPLES[0], "outcome": e["output"]} for e in examples[:1] if "output" in e]
    config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False,
                        json_schema_extra={"examples": shown} if shown else None)
    item: type[BaseModel] = create_model(
        "Feedback",
        __config__=config,
        __doc__="The true outcome of one prediction, of the type `predict` returns; it may come long after the "
                "prediction, and in any order.",
        id=(PredictionId, Field(description="The id /predict or /predict/batch answered with")),
        outcome=(prediction_type(response_model), Field(description="What the prediction should have been")),
    )
    batch: type[BaseModel] = create_model(
        "FeedbackBatch",
        __config__=ConfigDict(extra="forbid", strict=True),
        __doc__=f"The true outcomes of several predictions, at most {max_items}.",
        feedback=(list[item], Field(min_length=1, max_length=max_items)),  # type: ignore[valid-type]
    )
    return item, batch


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


class StoreState(BaseModel):
    """The prediction store: its kind, whether its database answers (else why not), and its writes: queued,
    dropped (the queue was full) and written."""

    kind: Literal["sqlite", "postgresql", "off"]
    up: bool
    reason: str
    queued: int
    dropped: int
    written: int


class ReadyStatus(BaseModel):
    """`ready`, or why not: `loading`, or `failed` with the reason; and the prediction store's state (a store that
    is down does not make the service unready: predictions go on, and are not kept)."""

    status: Literal["ready", "loading", "failed"]
    reason: str | None = None
    store: StoreState | None = None


class FeedbackResult(BaseModel):
    """What became of the outcomes: `matched` stored predictions; the `unknown` ids (no prediction stored with that
    id, yet: the outcome is kept and joins it if it arrives), and the `duplicates` (ids that already had an outcome,
    which is kept)."""

    matched: int
    unknown: list[str]
    duplicates: list[str]


class QualityReport(BaseModel):
    """Live quality over the recent predictions with feedback, against the notebook's own figures (see
    runtime/quality.py)."""

    status: Literal["ok", "degraded", "alert", "unknown"]
    reason: str
    kind: Literal["labels", "numbers"] | None
    count: int
    unscored: int
    metrics: dict[str, float | None]
    baseline: dict[str, float]
    change: dict[str, float | None]
    per_class: dict[str, dict[str, float]]
    window: dict[str, float | None]
    thresholds: dict[str, float]
    store_up: bool


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
