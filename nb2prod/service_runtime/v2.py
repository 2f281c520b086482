"""The Open Inference Protocol (KServe's "V2" REST API) beside the service's own API, added by `add_v2_routes`.

A server that speaks V2 (KServe, Seldon, Triton's clients) can call the generated service as it is:

- `GET /v2`: the server's metadata (`name`, `version`, `extensions`: none).
- `GET /v2/health/live`: 200 `{"live": true}` while the process is up.
- `GET /v2/health/ready`, `GET /v2/models/<name>[/versions/<version>]/ready`: 200 with `ready: true` once
  the artifacts are loaded; until then (or if they failed to load) 503 with `ready: false` and the `error`,
  so that a Kubernetes readiness probe fails as it does on `/ready`.
- `GET /v2/models/<name>[/versions/<version>]`: the model's metadata: one input tensor per argument of
  `predict`, and the output `prediction`.
- `POST /v2/models/<name>[/versions/<version>]/infer`: one row per element of the first dimension of the
  input tensors, scored as `/predict/batch` scores its instances (the same validation, drift monitor, strict
  mode, metrics, prediction ids, store and log line).

The model's name is the project's (`iris-service`), its version the package's; another name or version is a
404. Every error is `{"error": "<one line>"}`: 400 for a body or tensors the model cannot take (and for a
`predict` that fails on them), 404 for an unknown model, 503 while the artifacts are not loaded. (The limits
every endpoint shares come first: a body over the size limit is 413, a JSON body with NaN or nested too deeply
422, as on `/predict`.)

Tensors from `predict`'s arguments, by the JSON schema of their annotation:

| argument                       | datatype                                  | shape    |
|--------------------------------|-------------------------------------------|----------|
| `float`                        | FP64 (any FPxx, INTxx or UINTxx accepted) | [-1]     |
| `int`                          | INT64 (any INTxx or UINTxx accepted)      | [-1]     |
| `bool`                         | BOOL                                      | [-1]     |
| `str`, `Literal["a", ...]`     | BYTES (the text itself)                   | [-1]     |
| `list[float]` (int, bool, str) | FP64 (INT64, BOOL, BYTES)                 | [-1, -1] |
| anything else (dict, Any, ...) | BYTES, each element JSON text             | [-1]     |

A scalar input has the shape `[N]` or `[N, 1]`, a list input `[N, K]` (row i is its K values) or `[N]` of
BYTES holding each row's list as JSON text; `data` is flat in row-major order, or nested as the shape is.
Every input has the same N, at most the batch size limit. `null` is accepted for an argument that may be
None. Optional arguments of `predict` may be left out. Each row is then validated strictly as `/predict`
validates its JSON, so an FP64 tensor is refused for an `int` argument, and BOOL for a `float`.

The output `prediction` has the shape `[N]` and its datatype from `predict`'s return annotation: FP64 for
`float`, INT64 for `int`, BOOL for `bool`, BYTES for `str`, and BYTES of JSON text for anything else (a
prediction of None is `null`). The predictions' ids (for `/feedback`) are the list `ids` of the response's
`parameters`; a client may choose them with the request's `parameters.ids` (one per row, all different, 1 to
128 letters, digits and `._:-`). Other parameters are ignored, and only the output `prediction` exists: a
request for another is a 400.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.json_schema import models_json_schema

from .observability import is_json, one_line, scrub, scrub_json
from .schema import ID_PATTERN, prediction_type
from .service import Service
from .vectorised import PredictionError

PLATFORM = "nb2prod_python"
"""The model metadata's `platform` ("<project>_<format>" as the protocol has it): a notebook's Python."""
OUTPUT = "prediction"
FLOATS = ("FP16", "FP32", "FP64")
SIGNED = ("INT8", "INT16", "INT32", "INT64")
UNSIGNED = ("UINT8", "UINT16", "UINT32", "UINT64")
DATATYPES = ("BOOL", *UNSIGNED, *SIGNED, *FLOATS, "BYTES")
"""The datatypes of the protocol (BF16 and FP16 bits cannot be written in JSON: FP16 is taken as numbers)."""
ACCEPTED = {
    "number": (*FLOATS, *SIGNED, *UNSIGNED),
    "integer": (*SIGNED, *UNSIGNED),
    "boolean": ("BOOL",),
    "string": ("BYTES",),
    "json": ("BYTES",),
}
"""The tensor datatypes an argument of each kind accepts: an integer is a valid float, as in /predict's JSON."""
SHOWN = {"number": "FP64", "integer": "INT64", "boolean": "BOOL", "string": "BYTES", "json": "BYTES"}
INTEGER_BITS = {name: int(name.removeprefix("U").removeprefix("INT")) for name in (*SIGNED, *UNSIGNED)}


class V2Error(BaseModel):
    """A V2 request that failed: why, in one line."""

    error: str


class ServerMetadata(BaseModel):
    """What the server is: the project's name and version; no protocol extensions."""

    name: str
    version: str
    extensions: list[str]


class ServerLive(BaseModel):
    """Liveness: the process is up."""

    live: bool


class ServerReady(BaseModel):
    """Readiness: the model's artifacts are loaded (`error` says why not)."""

    ready: bool
    error: str | None = None


class ModelReady(BaseModel):
    """Whether the model `name` is ready for inference (`error` says why not)."""

    name: str
    ready: bool
    error: str | None = None


class MetadataTensor(BaseModel):
    """An input or output tensor: name, datatype, and shape (-1: any size; the first dimension is the rows)."""

    name: str
    datatype: str
    shape: list[int]


class ModelMetadata(BaseModel):
    """The model: its name, versions, platform, input tensors (one per argument of `predict`) and output
    `prediction`; `properties` name the `optional_inputs` (they may be left out) and the `json_inputs` (BYTES
    tensors whose elements are JSON text), comma-separated, and how the output is encoded."""

    name: str
    versions: list[str]
    platform: str
    inputs: list[MetadataTensor]
    outputs: list[MetadataTensor]
    properties: dict[str, str]


Parameter = str | int | float | bool | list[str] | None
V2_CONFIG = ConfigDict(extra="forbid", strict=True)


class RequestInput(BaseModel):
    """An input tensor: the whole batch, rows along the first dimension; `data` flat (row-major) or nested."""

    model_config = V2_CONFIG

    name: str
    shape: list[Annotated[int, Field(ge=0)]]
    datatype: str
    parameters: dict[str, Parameter] | None = None
    data: list[Any]


class RequestOutput(BaseModel):
    """An output requested by name (only `prediction` exists)."""

    model_config = V2_CONFIG

    name: str
    parameters: dict[str, Parameter] | None = None


class InferenceRequest(BaseModel):
    """An inference request of the Open Inference Protocol: `id` is echoed; `parameters.ids` (optional) are the
    predictions' ids, one per row; other parameters are ignored."""

    model_config = V2_CONFIG

    id: str | None = None
    parameters: dict[str, Parameter] | None = None
    inputs: list[RequestInput]
    outputs: list[RequestOutput] | None = None


class ResponseOutput(BaseModel):
    """An output tensor: `prediction`, one element per row."""

    name: str
    shape: list[int]
    datatype: str
    parameters: dict[str, Parameter] | None = None
    data: list[Any]


class InferenceResponse(BaseModel):
    """The answer of an inference: the model, the request's `id` (if it had one), `parameters.ids` (the
    predictions' ids, one per row, for /feedback) and the output `prediction`."""

    model_name: str
    model_version: str
    id: str | None = None
    parameters: dict[str, Parameter]
    outputs: list[ResponseOutput]


V2_MODELS = (InferenceRequest, RequestInput, RequestOutput)
"""The request bodies read by hand (their errors are V2's 400, not FastAPI's 422): their schemas join the OpenAPI."""


class TensorError(ValueError):
    """A request the model cannot take: the one-line message of its 400."""


@dataclass(frozen=True)
class Tensor:
    """How one argument of `predict` (or the prediction) travels: `kind` (number, integer, boolean, string,
    json), whether it is a list (a second dimension), and whether it may be None."""

    name: str
    kind: str
    is_list: bool = False
    nullable: bool = False

    @property
    def datatype(self) -> str:
        return SHOWN[self.kind]

    def metadata(self) -> dict[str, Any]:
        return {"name": self.name, "datatype": self.datatype, "shape": [-1, -1] if self.is_list else [-1]}


def tensor_of(name: str, schema: Mapping[str, Any], definitions: Mapping[str, Any]) -> Tensor:
    """The tensor of a field whose JSON schema is `schema` (`definitions`: the model's `$defs`)."""
    schema = _resolved(schema, definitions)
    nullable = False
    options = schema.get("anyOf")
    if isinstance(options, list):
        kept = [option for option in options if _resolved(option, definitions).get("type") != "null"]
        nullable = len(kept) < len(options)
        if len(kept) != 1:
            return Tensor(name, "json", nullable=nullable)
        schema = _resolved(kept[0], definitions)
    kind = _scalar_kind(schema)
    if kind:
        return Tensor(name, kind, nullable=nullable)
    if schema.get("type") == "array" and "prefixItems" not in schema and isinstance(schema.get("items"), dict):
        item = _resolved(schema["items"], definitions)
        kind = _scalar_kind(item)
        if kind:
            return Tensor(name, kind, is_list=True, nullable=nullable)
    return Tensor(name, "json", nullable=nullable)


def _resolved(schema: Mapping[str, Any], definitions: Mapping[str, Any]) -> Mapping[str, Any]:
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/$defs/"):
        found = definitions.get(reference.removeprefix("#/$defs/"))
        if isinstance(found, Mapping):
            return found
    return schema


def _scalar_kind(schema: Mapping[str, Any]) -> str:
    """number, integer, boolean or string for a schema of one JSON scalar type (an enum of one type too), else ''."""
    kind = schema.get("type")
    if kind in ("number", "integer", "boolean", "string"):
        return str(kind)
    values = schema.get("enum", [schema["const"]] if "const" in schema else None)
    if isinstance(values, list) and values:
        kinds = {_value_kind(value) for value in values}
        if len(kinds) == 1 and "" not in kinds:
            return kinds.pop()
    return ""


def _value_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else ""


def input_tensors(service: Service) -> list[Tensor]:
    """One tensor per argument of `predict`, in its order."""
    schema = service.request_model.model_json_schema()
    definitions, properties = schema.get("$defs", {}), schema.get("properties", {})
    return [tensor_of(name, properties.get(name, {}), definitions) for name in service.request_model.model_fields]


def output_tensor(service: Service) -> Tensor:
    """The tensor `prediction`, from `predict`'s return annotation."""
    adapter: TypeAdapter[Any] = TypeAdapter(prediction_type(service.response_model))
    schema = adapter.json_schema()
    tensor = tensor_of(OUTPUT, schema, schema.get("$defs", {}))
    return tensor if not tensor.is_list else Tensor(OUTPUT, "json", nullable=tensor.nullable)


def _flat(data: list[Any]) -> Iterator[Any]:
    for item in data:
        if isinstance(item, list):
            yield from _flat(item)
        else:
            yield item


def _element_problem(value: Any, datatype: str, nullable: bool) -> str:
    """Why `value` is not an element of a `datatype` tensor, or ''."""
    if value is None:
        return "" if nullable else "null (the argument may not be None)"
    if datatype == "BOOL":
        return "" if isinstance(value, bool) else f"{_shown(value)} is not a boolean"
    if datatype == "BYTES":
        return "" if isinstance(value, str) else f"{_shown(value)} is not a string"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{_shown(value)} is not a number"
    if datatype in FLOATS:
        return "" if math.isfinite(value) else f"{_shown(value)} is not a finite number"
    if isinstance(value, float):
        return f"{_shown(value)} is not an integer"
    bits = INTEGER_BITS[datatype]
    low, high = (0, 2**bits - 1) if datatype.startswith("U") else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    return "" if low <= value <= high else f"{_shown(value)} is out of the range of {datatype}"


def _shown(value: Any) -> str:
    return one_line(json.dumps(value), 40)


def _name(text: str) -> str:
    return one_line(json.dumps(scrub(text)), 80)


def rows_of(request: InferenceRequest, tensors: Sequence[Tensor], required: Sequence[str], max_rows: int,
            limit_name: str) -> list[dict[str, Any]]:
    """The rows (predict's keyword arguments, JSON values, not yet validated) of `request`'s tensors (the
    `required` ones must be there); TensorError naming what is wrong."""
    known = {tensor.name: tensor for tensor in tensors}
    seen: set[str] = set()
    columns: dict[str, list[Any]] = {}
    rows = -1
    for given in request.inputs:
        tensor = known.get(given.name)
        if tensor is None:
            raise TensorError(f"unknown input {_name(given.name)}: the inputs are {', '.join(known) or 'none'}")
        if given.name in seen:
            raise TensorError(f"input {_name(given.name)} is given twice")
        seen.add(given.name)
        column = _column(given, tensor)
        if rows >= 0 and len(column) != rows:
            raise TensorError(f"input {_name(given.name)} has {len(column)} rows, the others {rows}: every input "
                              "must have the same first dimension")
        rows = len(column)
        columns[given.name] = column
    missing = [name for name in required if name not in seen]
    if missing:
        raise TensorError(f"missing input{'s' if len(missing) > 1 else ''} {', '.join(map(_name, missing))}")
    if rows < 0:
        raise TensorError("no input tensors: the number of rows is unknown")
    if rows == 0:
        raise TensorError("no rows: the first dimension of the inputs must be at least 1")
    if rows > max_rows:
        raise TensorError(f"{rows} rows is over the batch size limit of {max_rows} rows ({limit_name}): send "
                          "smaller batches")
    return [{name: column[row] for name, column in columns.items()} for row in range(rows)]


def _column(given: RequestInput, tensor: Tensor) -> list[Any]:
    """The values of one input tensor, one per row (a list per row for a list argument)."""
    name, shape, datatype = _name(given.name), given.shape, given.datatype
    if datatype not in DATATYPES:
        raise TensorError(f"input {name}: unknown datatype {_name(datatype)} (the protocol's are "
                          f"{', '.join(DATATYPES)})")
    as_json_rows = tensor.is_list and datatype == "BYTES" and tensor.kind != "string"
    accepted = ("BYTES",) if as_json_rows else ACCEPTED[tensor.kind]
    if datatype not in accepted:
        raise TensorError(f"input {name} is {tensor.datatype}: a {datatype} tensor cannot carry it (accepted: "
                          f"{', '.join(accepted)})")
    wide = tensor.is_list and not as_json_rows
    if not shape or len(shape) > 2 or (not wide and len(shape) == 2 and shape[1] != 1):
        expected = "[N, K]" if wide else ("[N] or [N, 1] (a list as JSON text per row)" if as_json_rows
                                          else "[N] or [N, 1]")
        raise TensorError(f"input {name} has the shape {shape}: expected {expected}")
    if wide and len(shape) != 2:
        raise TensorError(f"input {name} has the shape {shape}: a list argument is [N, K] (K values per row), or "
                          "[N] of BYTES holding each row's list as JSON text")
    values = list(_flat(given.data))
    size = math.prod(shape)
    if len(values) != size:
        raise TensorError(f"input {name} has {len(values)} elements in its data for the shape {shape} ({size})")
    element_type = "BYTES" if as_json_rows else datatype
    for index, value in enumerate(values):
        problem = _element_problem(value, element_type, tensor.nullable and not wide)
        if problem:
            raise TensorError(f"input {name}, element {index}: {problem} ({datatype})")
    if tensor.kind == "json" or as_json_rows:
        values = [_json_value(value, name, index) for index, value in enumerate(values)]
    if wide:
        width = shape[1]
        return [values[row * width:(row + 1) * width] for row in range(shape[0])]
    return values


def _json_value(value: Any, name: str, index: int) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError as exc:
        raise TensorError(f"input {name}, element {index}: not JSON text ({one_line(exc, 80)})") from None


def _validation_message(error: Mapping[str, Any], rows: int) -> str:
    """One line for pydantic's error on the rows: the input, the row, the reason."""
    loc = list(error.get("loc", ()))
    where = []
    if loc and isinstance(loc[0], int):
        row = loc.pop(0)
        where.append(f"row {row}" if rows > 1 else "")
    if loc:
        where.insert(0, f"input {_name(str(loc[0]))}")
        where.extend(f"[{part}]" for part in loc[1:])
    place = " ".join(part for part in where if part)
    return one_line(f"{place + ': ' if place else ''}{error.get('msg', 'invalid')}")


def _id_problem(ids: Any, rows: int) -> str:
    if not isinstance(ids, list) or not all(isinstance(id_, str) for id_ in ids):
        return "parameters.ids must be a list of strings, one per row"
    if len(ids) != rows:
        return f"{len(ids)} ids in parameters.ids for {rows} rows: send one per row, in order, or none"
    bad = [id_ for id_ in ids if not re.fullmatch(ID_PATTERN, id_)]
    if bad:
        return f"the id {_name(bad[0])} of parameters.ids is not 1 to 128 letters, digits and ._:-"
    if len(set(ids)) != len(ids):
        return "the ids of parameters.ids must all be different"
    return ""


def _encode(predictions: Sequence[Any], tensor: Tensor) -> list[Any]:
    if tensor.kind == "json":
        return [None if value is None else json.dumps(value, ensure_ascii=False) for value in predictions]
    return list(predictions)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": scrub(message)}, status_code=status)


async def _body(request: Request) -> bytes | None:
    """The body of a JSON request; None if its content type is not JSON."""
    if not is_json(request.headers.get("content-type")):
        return None
    return await request.body()


def add_v2_routes(
    app: FastAPI,
    *,
    service: Service,
    version: str,
    status: Callable[[], tuple[str, str]],
    score: Callable[[Request, list[dict[str, Any]], list[str] | None], tuple[list[str], list[Any]]],
    max_batch_size: int,
    limit_name: str,
    on_prediction_error: Callable[[Request, PredictionError], str],
    answers: Mapping[int | str, dict[str, Any]],
) -> None:
    """The V2 endpoints of `service` on `app` (see the module's docstring).

    `status()` is the artifacts' (`loading`, `ready` or `failed`) and why; `score` scores validated rows as
    /predict/batch does; `on_prediction_error` counts and logs a failed prediction and returns the line a client
    may see; `answers` are what every operation can answer before its route (the body limits)."""
    model_name = service.project
    tensors = input_tensors(service)
    output = output_tensor(service)
    fields = service.request_model.model_fields
    rows_adapter: TypeAdapter[list[Any]] = TypeAdapter(list[service.request_model])  # type: ignore[name-defined]
    optional = [name for name, field in fields.items() if not field.is_required()]
    required = [name for name in fields if name not in optional]
    properties = {
        "optional_inputs": ",".join(optional),
        "json_inputs": ",".join(t.name for t in tensors if t.kind == "json"),
        "prediction_encoding": "json" if output.kind == "json" else "plain",
        "prediction_ids": "parameters.ids",
    }

    def error_answer(description: str) -> dict[str, Any]:
        return {"description": description, "model": V2Error}

    unknown: dict[int | str, dict[str, Any]] = {404: error_answer("No model of this name (or version) is served here")}
    not_ready = error_answer("The artifacts are not loaded (yet, or they failed to load)")

    def found(name: str, model_version: str | None) -> JSONResponse | None:
        if name != model_name:
            return _error(404, f"unknown model {_name(name)}: this server serves {model_name}")
        if model_version is not None and model_version != version:
            return _error(404, f"unknown version {_name(model_version)} of {model_name}: it has {version}")
        return None

    def not_ready_error() -> str:
        state, reason = status()
        return f"not ready: artifacts {state}" + (f" ({one_line(reason, 200)})" if reason else "")

    @app.get("/v2", response_model=ServerMetadata, responses=dict(answers), tags=["Open Inference Protocol (V2)"])
    def v2_server_metadata() -> JSONResponse:
        """The server's metadata (Open Inference Protocol)."""
        return JSONResponse(scrub_json({"name": model_name, "version": version, "extensions": []}))

    @app.get("/v2/health/live", response_model=ServerLive, responses=dict(answers),
             tags=["Open Inference Protocol (V2)"])
    def v2_live() -> JSONResponse:
        """Liveness (Open Inference Protocol): the process is up."""
        return JSONResponse({"live": True})

    @app.get("/v2/health/ready", response_model=ServerReady,
             responses={**answers, 503: {"description": "Not ready: the artifacts are loading or failed to load",
                                         "model": ServerReady}},
             tags=["Open Inference Protocol (V2)"])
    def v2_ready() -> JSONResponse:
        """Readiness (Open Inference Protocol): 200 once the artifacts are loaded, else 503."""
        if status()[0] == "ready":
            return JSONResponse({"ready": True})
        return JSONResponse(scrub_json({"ready": False, "error": not_ready_error()}), status_code=503)

    def model_ready(name: str, model_version: str | None) -> JSONResponse:
        problem = found(name, model_version)
        if problem is not None:
            return problem
        if status()[0] == "ready":
            return JSONResponse({"name": model_name, "ready": True})
        return JSONResponse(scrub_json({"name": model_name, "ready": False, "error": not_ready_error()}),
                            status_code=503)

    ready_answers: dict[int | str, dict[str, Any]] = {
        **answers, **unknown,
        503: {"description": "The model is not ready: its artifacts are loading or failed to load",
              "model": ModelReady},
    }

    @app.get("/v2/models/{model_name}/ready", response_model=ModelReady, responses=ready_answers,
             tags=["Open Inference Protocol (V2)"])
    def v2_model_ready(model_name: str) -> JSONResponse:
        """Whether the model is ready for inference (Open Inference Protocol): 200, else 503."""
        return model_ready(model_name, None)

    @app.get("/v2/models/{model_name}/versions/{model_version}/ready", response_model=ModelReady,
             responses=ready_answers, tags=["Open Inference Protocol (V2)"])
    def v2_model_version_ready(model_name: str, model_version: str) -> JSONResponse:
        """Whether this version of the model is ready for inference (Open Inference Protocol)."""
        return model_ready(model_name, model_version)

    def model_metadata(name: str, model_version: str | None) -> JSONResponse:
        problem = found(name, model_version)
        if problem is not None:
            return problem
        return JSONResponse(scrub_json({
            "name": model_name, "versions": [version], "platform": PLATFORM,
            "inputs": [tensor.metadata() for tensor in tensors], "outputs": [output.metadata()],
            "properties": properties,
        }))

    @app.get("/v2/models/{model_name}", response_model=ModelMetadata, responses={**answers, **unknown},
             tags=["Open Inference Protocol (V2)"])
    def v2_model_metadata(model_name: str) -> JSONResponse:
        """The model's metadata (Open Inference Protocol): one input tensor per argument of `predict`, the output
        `prediction`."""
        return model_metadata(model_name, None)

    @app.get("/v2/models/{model_name}/versions/{model_version}", response_model=ModelMetadata,
             responses={**answers, **unknown}, tags=["Open Inference Protocol (V2)"])
    def v2_model_version_metadata(model_name: str, model_version: str) -> JSONResponse:
        """The metadata of this version of the model (Open Inference Protocol)."""
        return model_metadata(model_name, model_version)

    def infer(http: Request, name: str, model_version: str | None, body: bytes | None) -> JSONResponse:
        problem = found(name, model_version)
        if problem is not None:
            return problem
        if status()[0] != "ready":
            return _error(503, not_ready_error())
        if body is None:
            return _error(400, "the body must be JSON: send Content-Type: application/json")
        try:
            request = InferenceRequest.model_validate_json(body)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"])
            return _error(400, one_line(f"the body is not an inference request: {where + ': ' if where else ''}"
                                        f"{first['msg']}"))
        for requested in request.outputs or []:
            if requested.name != OUTPUT:
                return _error(400, f"unknown output {_name(requested.name)}: the only output is {OUTPUT}")
        try:
            raw = rows_of(request, tensors, required, max_batch_size, limit_name)
        except TensorError as exc:
            return _error(400, str(exc))
        given = (request.parameters or {}).get("ids")
        if given is not None:
            id_problem = _id_problem(given, len(raw))
            if id_problem:
                return _error(400, id_problem)
        try:
            validated = rows_adapter.validate_json(json.dumps(raw))
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            return _error(400, _validation_message(errors[0], len(raw)) + more)
        try:
            ids, predictions = score(http, [row.model_dump() for row in validated],
                                     list(given) if isinstance(given, list) else None)
        except RequestValidationError as exc:  # strict mode: a value the reference data never had
            refusal = exc.errors()[0]
            loc = list(refusal.get("loc", ()))
            row, field = (loc[2], loc[3]) if len(loc) >= 4 else ("?", "?")
            return _error(400, one_line(f"input {_name(str(field))}, row {row}: {refusal.get('msg', 'refused')}"))
        except PredictionError as exc:
            row = exc.loc[-1] if exc.loc and isinstance(exc.loc[-1], int) else None
            return _error(400, ("" if row is None else f"row {row}: ") + on_prediction_error(http, exc))
        answer: dict[str, Any] = {"model_name": model_name, "model_version": version}
        if request.id is not None:
            answer["id"] = request.id
        answer["parameters"] = {"ids": ids}
        answer["outputs"] = [{"name": OUTPUT, "shape": [len(predictions)], "datatype": output.datatype,
                              "data": _encode(predictions, output)}]
        return JSONResponse(scrub_json(answer))

    infer_answers: dict[int | str, dict[str, Any]] = {
        **answers,
        200: {"model": InferenceResponse},
        400: error_answer("The body is not an inference request, or its tensors are not the model's inputs (an "
                          "unknown name, a datatype or shape that cannot carry the argument, data of another "
                          "length, rows over the batch size limit), a row is invalid or refused in strict mode, or "
                          "the notebook's `predict` failed on it"),
        **unknown,
        503: not_ready,
    }
    request_body = {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/InferenceRequest"}}}}}

    @app.post("/v2/models/{model_name}/infer", response_model=InferenceResponse, responses=infer_answers,
              openapi_extra=request_body, tags=["Open Inference Protocol (V2)"])
    def v2_infer(http: Request, model_name: str, body: Annotated[bytes | None, Depends(_body)]) -> JSONResponse:
        """Inference (Open Inference Protocol): one row per element of the inputs' first dimension, scored as
        /predict/batch scores its instances; the predictions' ids are `parameters.ids`."""
        return infer(http, model_name, None, body)

    @app.post("/v2/models/{model_name}/versions/{model_version}/infer", response_model=InferenceResponse,
              responses=infer_answers, openapi_extra=request_body, tags=["Open Inference Protocol (V2)"])
    def v2_version_infer(http: Request, model_name: str, model_version: str,
                         body: Annotated[bytes | None, Depends(_body)]) -> JSONResponse:
        """Inference with this version of the model (Open Inference Protocol)."""
        return infer(http, model_name, model_version, body)

    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """The OpenAPI, with the schemas of the V2 request bodies (read by hand, not by FastAPI)."""
        schema = generate_openapi()
        _, definitions = models_json_schema([(model, "validation") for model in V2_MODELS],
                                            ref_template="#/components/schemas/{model}")
        schema.setdefault("components", {}).setdefault("schemas", {}).update(definitions.get("$defs", {}))
        served = {"model_name": model_name, "model_version": version}
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith("/v2/models/"):
                continue
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "path" and parameter.get("name") in served:  # the one model served
                        parameter["schema"] = {"type": "string", "enum": [served[parameter["name"]]]}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

