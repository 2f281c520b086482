"""The request and response of this service, from the signature of the notebook's `predict`.

Requests are validated in pydantic's strict mode, from the JSON text (see runtime/schema.py, which also
holds the models every service shares, and builds `BatchRequest` and `BatchResponse` from these two).
"""
{%- set annotations = cookiecutter._fields | map(attribute="annotation") | join(" ") %}
{%- set words = annotations | replace("[", " ") | replace("]", " ") | replace(",", " ") | replace("|", " ") %}
{%- set typing_names = ["Any"] %}
{%- for name in ["Dict", "List", "Literal", "Optional", "Set", "Tuple", "Union"] if name in words.split() %}
{%- set _ = typing_names.append(name) %}
{%- endfor %}
{%- set prediction_type = cookiecutter._return_annotation if cookiecutter._return_annotation in ["str", "int", "float", "bool", "list", "dict"] else "Any" %}
{%- if prediction_type == "float" %}{% set prediction_type = "float | None" %}{% endif %}

from pathlib import Path
from typing import {{ typing_names | join(", ") }}

from pydantic import BaseModel

from {{ cookiecutter.package_name }}.runtime.schema import read_metadata, request_config

METADATA: dict[str, Any] = read_metadata(Path(__file__).resolve().parent)
EXAMPLES: list[dict[str, Any]] = METADATA["examples"]
"""What the notebook's `predict(**input)` returned for each example `input`."""


class PredictRequest(BaseModel):
    """The keyword arguments of one call of `predict`."""

    model_config = request_config(EXAMPLES)  # strict; extra fields, NaN and infinities are refused
{% for field in cookiecutter._fields %}
    {{ field.name }}: {{ field.annotation }}{% if not field.required %} = {{ field.default_repr }}{% endif %}
{%- endfor %}


class PredictResponse(BaseModel):
    """What `predict` returned ({{ cookiecutter._return_annotation | replace("\\", "\\\\") | replace('"', "'") }}), as JSON."""

    prediction: {{ prediction_type }}  # NaN and infinities, which JSON lacks, are sent as null (as the examples have them)
