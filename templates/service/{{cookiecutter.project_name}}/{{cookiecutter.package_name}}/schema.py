"""The shapes of requests and responses, from the signature of the notebook's `predict`, and the limits on requests.

Requests are validated in pydantic's strict mode, from the JSON text (`model_validate_json`): a JSON
number is not accepted for a `str` field, nor a string (`"1.5"`) or a boolean for a number, nor `0`/`1`
or `"true"` for a `bool`; an integer is a valid `float`. Arrays are accepted for tuples and sets, as
strict mode allows in JSON (and not in Python).
"""
{%- set annotations = cookiecutter._fields | map(attribute="annotation") | join(" ") %}
{%- set words = annotations | replace("[", " ") | replace("]", " ") | replace(",", " ") | replace("|", " ") %}
{%- set typing_names = ["Any", "Literal"] %}
{%- for name in ["Dict", "List", "Optional", "Set", "Tuple", "Union"] if name in words.split() %}
{%- set _ = typing_names.append(name) %}
{%- endfor %}
{%- set prediction_type = cookiecutter._return_annotation if cookiecutter._return_annotation in ["str", "int", "float", "bool", "list", "dict"] else "Any" %}
{%- if prediction_type == "float" %}{% set prediction_type = "float | None" %}{% endif %}

import json
import math
import os
from pathlib import Path
from typing import {{ typing_names | join(", ") }}

from pydantic import BaseModel, ConfigDict, Field

METADATA: dict[str, Any] = json.loads((Path(__file__).parent / "metadata.json").read_text(encoding="utf-8"))
EXAMPLES: list[dict[str, Any]] = METADATA["examples"]
"""What the notebook's `predict(**input)` returned for each example `input`."""

MAX_BATCH_SIZE = int(os.environ.get("{{ cookiecutter.package_name | upper }}_MAX_BATCH_SIZE", "{{ cookiecutter.max_batch_size }}"))
MAX_BODY_BYTES = int(os.environ.get("{{ cookiecutter.package_name | upper }}_MAX_BODY_BYTES", str(1 << 20)))
"""The largest request body accepted, in bytes; a larger one is answered with 413."""
MAX_JSON_DEPTH = int(os.environ.get("{{ cookiecutter.package_name | upper }}_MAX_JSON_DEPTH", "32"))
"""How deeply a JSON body may nest objects and arrays; a deeper one is answered with 422."""


def _seconds(name: str, default: float) -> float:
    variable = f"{{ cookiecutter.package_name | upper }}_{name}"
    text = os.environ.get(variable, "").strip()
    try:
        value = float(text) if text else default
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise ValueError(f"{variable}={text!r} is not a positive number of seconds")
    return value


HEADER_TIMEOUT = _seconds("HEADER_TIMEOUT", 10.0)
"""Seconds a client has to send the request line and headers (from the connection, or from the first byte of a
later request on it); then it is answered with 408 and disconnected. Applies under `serve`."""
BODY_TIMEOUT = _seconds("BODY_TIMEOUT", 30.0)
"""Seconds a client has to send the whole body, from the end of its headers; then it is answered with 408."""


class PredictRequest(BaseModel):
    """The keyword arguments of one call of `predict`."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,  # no coercion: "1.5" is not a float, true is not a number (see the module's docstring)
        allow_inf_nan=False,  # NaN and infinities are refused with 422, naming the field
        protected_namespaces=(),
        json_schema_extra={"examples": [example["input"] for example in EXAMPLES[:1]]},
    )
{% for field in cookiecutter._fields %}
    {{ field.name }}: {{ field.annotation }}{% if not field.required %} = {{ field.default_repr }}{% endif %}
{%- endfor %}


class PredictResponse(BaseModel):
    """What `predict` returned ({{ cookiecutter._return_annotation | replace("\\", "\\\\") | replace('"', "'") }}), as JSON."""

    prediction: {{ prediction_type }}  # NaN and infinities, which JSON lacks, are sent as null (as the examples have them)


class BatchRequest(BaseModel):
    """Several calls of `predict` at once, at most MAX_BATCH_SIZE."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"instances": [example["input"] for example in EXAMPLES[:MAX_BATCH_SIZE]]}]},
    )

    instances: list[PredictRequest] = Field(min_length=1, max_length=MAX_BATCH_SIZE)


class BatchResponse(BaseModel):
    """The predictions of a batch, in the order of its instances."""

    predictions: list[{{ prediction_type }}]


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
