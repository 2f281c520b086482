"""The shapes of requests and responses, from the signature of the notebook's `predict`."""
{%- set annotations = cookiecutter._fields | map(attribute="annotation") | join(" ") %}
{%- set words = annotations | replace("[", " ") | replace("]", " ") | replace(",", " ") | replace("|", " ") %}
{%- set typing_names = ["Any"] %}
{%- for name in ["Dict", "List", "Literal", "Optional", "Set", "Tuple", "Union"] if name in words.split() %}
{%- set _ = typing_names.append(name) %}
{%- endfor %}
{%- set prediction_type = cookiecutter._return_annotation if cookiecutter._return_annotation in ["str", "int", "float", "bool", "list", "dict"] else "Any" %}

import json
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


class PredictRequest(BaseModel):
    """The keyword arguments of one call of `predict`."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,  # NaN and infinities are refused with 422, naming the field
        protected_namespaces=(),
        json_schema_extra={"examples": [example["input"] for example in EXAMPLES[:1]]},
    )
{% for field in cookiecutter._fields %}
    {{ field.name }}: {{ field.annotation }}{% if not field.required %} = {{ field.default_repr }}{% endif %}
{%- endfor %}


class PredictResponse(BaseModel):
    """What `predict` returned ({{ cookiecutter._return_annotation | replace("\\", "\\\\") | replace('"', "'") }}), as JSON."""

    prediction: {{ prediction_type }}


class BatchRequest(BaseModel):
    """Several calls of `predict` at once, at most MAX_BATCH_SIZE."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"instances": [example["input"] for example in EXAMPLES[:MAX_BATCH_SIZE]]}]},
    )

    instances: list[PredictRequest] = Field(min_length=1, max_length=MAX_BATCH_SIZE)


class BatchResponse(BaseModel):
    """The predictions of a batch, in the order of its instances."""

    predictions: list[{{ prediction_type }}]


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
