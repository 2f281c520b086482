"""Scoring on Apache Spark: `score_dataframe(service, df)` answers every row of a Spark DataFrame as `/predict` would.

The DataFrame is scored by `df.mapInPandas`, one pandas batch at a time (Arrow's batch size,
`spark.sql.execution.arrow.maxRecordsPerBatch`, 10,000 rows by default). What Spark sends to the executors
is the package's name and the model folder, never the model: each Python worker imports
`<package>.service`, verifies the artifacts against the lock (sha256) and loads them once, then scores every
batch it gets. The model folder (the package's own by default) must be readable on every executor, and the
package installed there.

Each row is validated as the batch scorer validates a CSV row: the values converted to the types of
predict's arguments (Parquet's typed columns as they are, CSV text as numbers, booleans...; a null or NaN is
a missing value, so the argument's default applies; list and dict arguments may be JSON text). The valid
rows of a batch are predicted with one call of the notebook's `predict_batch` when it has one (if it fails,
or answers what predict's return type is not, the batch is predicted row by row with `predict`), else with
`predict` row by row. The columns of the input that are not predict's arguments (ids, say) are carried to
the output, and not given to predict.

The output is the input's columns and `prediction`, typed by predict's return annotation (str: string,
int: long, float: double, bool: boolean; any other type: string, its JSON text as /predict sends it). A row
that cannot be scored fails the job, its message naming the row by its values; with `skip_invalid`, it gets
a null `prediction` and the reason in an `error` column (null for the rows scored), and the job goes on.

pyspark is imported only here, inside the functions that need it: the service itself never needs it.
"""

from __future__ import annotations

import importlib
import json
import logging
import math
import re
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from . import lockfile
from .batch import Check, InputError, strict_check, structured_fields
from .schema import jsonable, prediction_type
from .vectorised import answers as vectorised_answers
from .vectorised import predict_rows

if TYPE_CHECKING:
    from pandas import DataFrame as PandasFrame
    from pyspark.sql import DataFrame
    from pyspark.sql.types import DataType

    from .service import Service

PREDICTION, ERROR = "prediction", "error"
ROW_FAILED = "nb2prod: row not scored: "
"""The start of the message of the exception that fails a job on a row that cannot be scored."""
SHOWN = 200
"""At most this many characters of a row's values name it in an error."""


class RowFailed(ValueError):
    """A row cannot be scored (without skip_invalid): raised in the executor, it fails the Spark job."""


def score_dataframe(
    service: Service,
    df: DataFrame,
    *,
    model_dir: lockfile.PathLike | None = None,
    skip_invalid: bool = False,
    strict: bool = False,
) -> DataFrame:
    """`df` with a `prediction` column: what `/predict` answers for each row (lazily: nothing runs until the
    result is written or collected).

    `model_dir` is a folder laid out like the package (a lock and artifacts/, e.g. from `train`; default: the
    package's own), readable on the executors. Without `skip_invalid`, a row that cannot be scored fails the
    job (the exception's message holds ``nb2prod: row not scored: row {...}: why``; see `failure`); with it,
    the output also has an `error` column. `strict` also refuses what `serve --strict` refuses. Raises
    InputError at once if `df` lacks a column for a required argument of predict or already has a
    `prediction` (or `error`) column, and ArtifactError if an artifact differs from the lock.
    """
    from pyspark.sql.types import StringType, StructField, StructType

    fields = service.request_model.model_fields
    absent = [name for name, field in fields.items() if field.is_required() and name not in df.columns]
    if absent:
        raise InputError(f"the input has no column for predict's argument{'s' * (len(absent) > 1)} "
                         f"{', '.join(absent)} (its columns: {', '.join(df.columns) or 'none'})")
    added = [PREDICTION, ERROR] if skip_invalid else [PREDICTION]
    clash = [name for name in added if name in df.columns]
    if clash:
        raise InputError(f"the input already has a column named {clash[0]!r}, which the output adds")
    folder = None if model_dir is None else str(Path(model_dir).resolve())
    lockfile.verify_artifacts(service.folder(folder))  # fail before the job starts, not in every executor
    if strict:
        strict_check(service, folder)  # the same refusal as the executors', raised here
    schema = StructType([*df.schema.fields, StructField(PREDICTION, spark_type(service.response_model), True)])
    if skip_invalid:
        schema = schema.add(StructField(ERROR, StringType(), True))
    return df.mapInPandas(_Scorer(service.package, folder, skip_invalid, strict), schema)


def spark_type(response_model: type[BaseModel]) -> DataType:
    """The Spark type of the `prediction` column: from the annotation of predict's return (its `prediction`)."""
    from pyspark.sql.types import BooleanType, DoubleType, LongType, StringType

    kind = _kind(prediction_type(response_model))
    return {"str": StringType(), "int": LongType(), "float": DoubleType(), "bool": BooleanType()}.get(
        kind, StringType()
    )


def failure(exc: BaseException) -> str | None:
    """What a Spark exception says about the row that failed the job (``row {...}: why``), or None if it
    did not fail on a row."""
    found = re.search(re.escape(ROW_FAILED) + r"(.*)", str(exc))
    return found.group(1).strip() if found else None


def _kind(annotation: Any) -> str:
    """`str`, `int`, `float` or `bool` for those annotations (or their Optional), else `json`."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(annotation) if option is not type(None)]
        if len(options) == 1:
            annotation = options[0]
    kinds: list[tuple[Any, str]] = [(bool, "bool"), (str, "str"), (int, "int"), (float, "float")]
    return next((name for kind, name in kinds if annotation is kind), "json")


# ---- in the executors ----

_LOADED: dict[str, tuple[str | None, Service, Check | None]] = {}
"""Per package: the model folder whose artifacts are loaded in this process, its service and strict check."""


def loaded(package: str, model_dir: str | None, strict: bool) -> tuple[Service, Check | None]:
    """The `SERVICE` of `package` with the artifacts of `model_dir` loaded (verified against the lock), once
    per process: again only if another folder's were loaded since (they are the model module's globals)."""
    cached = _LOADED.get(package)
    if cached is None or cached[0] != model_dir or (strict and cached[2] is None):
        service: Service = importlib.import_module(f"{package}.service").SERVICE
        service.load_artifacts(model_dir)
        check = strict_check(service, model_dir) if strict else None
        cached = _LOADED[package] = (model_dir, service, check)
    return cached[1], cached[2] if strict else None


class _Scorer:
    """The function `mapInPandas` runs: picklable, it holds names only (the model loads in the executor)."""

    def __init__(self, package: str, model_dir: str | None, skip_invalid: bool, strict: bool) -> None:
        self.package, self.model_dir, self.skip_invalid, self.strict = package, model_dir, skip_invalid, strict

    def __call__(self, batches: Iterator[PandasFrame]) -> Iterator[PandasFrame]:
        service, check = loaded(self.package, self.model_dir, self.strict)
        score = BatchScorer(service, check)
        for frame in batches:
            predictions, errors = score(frame)
            if not self.skip_invalid:
                for error in errors:
                    if error is not None:
                        raise RowFailed(ROW_FAILED + error)
            frame[PREDICTION] = predictions
            if self.skip_invalid:
                frame[ERROR] = errors
            yield frame


class BatchScorer:
    """Scores pandas batches for one service: `scorer(frame)` is (predictions, errors), one of each per row
    (a prediction and None, or None and why not), the predictions as the `prediction` column holds them."""

    def __init__(self, service: Service, check: Check | None = None) -> None:
        self.service, self.check = service, check
        self.names = list(service.request_model.model_fields)
        self.structured = structured_fields(service.request_model)
        self.requests: TypeAdapter[list[Any]] = TypeAdapter(list[service.request_model])  # type: ignore[name-defined]
        answer = prediction_type(service.response_model)
        self.answer: TypeAdapter[Any] = TypeAdapter(answer)
        self.answers: TypeAdapter[list[Any]] = TypeAdapter(list[answer])  # type: ignore[valid-type]
        self.kind = _kind(answer)
        self.plain = _plain_fields(service.request_model)

    def __call__(self, frame: PandasFrame) -> tuple[list[Any], list[str | None]]:
        fast = self.fast(frame)
        if fast is not None:
            return fast, [None] * len(frame)
        rows = self.rows(frame)
        inputs, errors = self.validate(rows)
        valid = [index for index, error in enumerate(errors) if error is None]
        results = self.predict([inputs[index] for index in valid])
        predictions: list[Any] = [None] * len(rows)
        for index, result in zip(valid, results, strict=True):
            if isinstance(result, _Failed):
                errors[index] = f"{_shown(rows[index])}: {result.message}"
            else:
                predictions[index] = result
        return predictions, errors

    def fast(self, frame: PandasFrame) -> list[Any] | None:
        """The predictions of a batch whose columns are already what validation would make of them, with one call
        of `predict_batch` on the columns as they are; None (validate row by row) for any other batch.

        A column qualifies when its argument's schema is a plain number, integer, string or boolean (a string
        may be one of a Literal's values) and every value is present and already of that type: float or integer
        numbers (finite) for a number, integers for an integer, text for a string, booleans for a boolean. A
        number given as text (CSV) qualifies when pandas reads every value as a finite number (the text pydantic
        refuses, pandas does not read). An argument without a column gets its default. Nothing else qualifies:
        no strict check, no predict_batch, or any doubt sends the batch through the validation of every row.
        """
        if self.service.predict_batch is None or self.check is not None or len(frame) == 0 or self.plain is None:
            return None
        import pandas as pd

        columns: dict[str, Any] = {}
        for name, (kind, allowed, default) in self.plain.items():
            if name not in frame.columns:
                if default is _REQUIRED:
                    return None
                columns[name] = [default] * len(frame)
                continue
            series = frame[name]
            text = series.dtype == object or pd.api.types.is_string_dtype(series.dtype)
            if text and not all(isinstance(value, str) for value in series.tolist()):
                return None  # nulls, or values of other types: validated row by row
            if kind == "number" and text:  # numbers as text (CSV): read by pandas
                series = pd.to_numeric(series, errors="coerce")
            dtype = series.dtype
            finite = dtype.kind == "f" and bool((series.abs() < math.inf).all())  # NaN is not below infinity
            if kind == "number" and (dtype.kind in "iu" or finite):
                columns[name] = series.to_numpy(dtype="float64")
            elif kind == "integer" and dtype.kind in "iu":
                columns[name] = series.to_numpy(dtype="int64")
            elif kind == "boolean" and dtype.kind == "b":
                columns[name] = series.to_numpy()
            elif kind == "string" and text and (allowed is None or series.isin(allowed).all()):
                columns[name] = series.to_numpy(dtype=object)
            else:
                return None
        arguments = pd.DataFrame(columns, columns=self.names)
        try:
            answers = self.answers.validate_python(vectorised_answers(
                self.service.predict_batch(arguments), len(frame)))
        except Exception:  # validated row by row, and predicted row by row if predict_batch fails there too
            return None
        return [self.cell(answer) for answer in answers]

    def rows(self, frame: PandasFrame) -> list[dict[str, Any] | _Failed]:
        """Each row's values for predict's arguments, as Python values (missing: left out), or why not."""
        columns = []
        for name in self.names:
            if name not in frame.columns:
                continue
            series = frame[name]
            values = series.tolist()
            if series.dtype == object:  # lists, structs, and the nulls of other types
                values = [_plain(value) for value in values]
            columns.append((name, values, series.isna().tolist(), name in self.structured))
        rows: list[dict[str, Any] | _Failed] = []
        for index in range(len(frame)):
            row: dict[str, Any] = {}
            for name, values, missing, structured in columns:
                if missing[index]:
                    continue
                value = values[index]
                if structured and isinstance(value, str):  # a list or dict argument, as JSON text (CSV)
                    try:
                        value = json.loads(value)
                    except (ValueError, RecursionError) as exc:
                        row = {**row, name: value}
                        rows.append(_Failed(f"{_shown(row)}: {name}: not JSON: {exc}"))
                        break
                row[name] = value
            else:
                rows.append(row)
        return rows

    def validate(self, rows: Sequence[dict[str, Any] | _Failed]) -> tuple[list[dict[str, Any]], list[str | None]]:
        """The validated keyword arguments of each row (as the batch scorer validates a CSV row), and the errors."""
        inputs: list[dict[str, Any]] = [{} for _ in rows]
        errors: list[str | None] = [row.message if isinstance(row, _Failed) else None for row in rows]
        candidates = [index for index, row in enumerate(rows) if not isinstance(row, _Failed)]
        try:  # all at once; row by row only if one is invalid
            models = self.requests.validate_python([rows[index] for index in candidates], strict=False)
            dumped = self.requests.dump_python(models)
        except ValidationError:
            dumped = []
            for index in list(candidates):
                try:
                    dumped.append(self.service.request_model.model_validate(rows[index], strict=False).model_dump())
                except ValidationError as exc:
                    errors[index] = f"{_shown(rows[index])}: {_problems(exc)}"
                    candidates.remove(index)
        for index, arguments in zip(candidates, dumped, strict=True):
            inputs[index] = arguments
            if self.check is not None and (refused := self.check(arguments)):
                errors[index] = f"{_shown(rows[index])}: " + "; ".join(f"{p['field']}: {p['msg']}" for p in refused)
        return inputs, errors

    def predict(self, inputs: list[dict[str, Any]]) -> list[Any]:
        """The answers to the valid rows' `inputs` (each a column value, or a _Failed): `predict_batch` once,
        if the notebook has it and it answers one value of predict's type per row; else `predict` per row."""
        if self.service.predict_batch is not None and inputs:
            try:
                answers = self.answers.validate_python(predict_rows(self.service, inputs))
            except Exception:  # as /predict/batch and the batch scorer: row by row, whose errors name the row
                logging.getLogger(f"{self.service.package}.predict").warning(
                    "predict_batch failed on a batch of %d rows: predicting them one by one", len(inputs),
                    exc_info=True)
            else:
                return [self.cell(answer) for answer in answers]
        return [self.one(arguments) for arguments in inputs]

    def one(self, arguments: dict[str, Any]) -> Any:
        try:
            prediction = jsonable(self.service.predict(**arguments))
        except Exception as exc:  # the notebook's code failed on this input
            return _Failed(f"predict raised {type(exc).__name__}: {_line(exc)}")
        try:
            return self.cell(self.answer.validate_python(prediction))
        except ValidationError as exc:
            return _Failed(f"predict returned {_line(repr(prediction), 100)}: {_problems(exc)}")

    def cell(self, answer: Any) -> Any:
        """A validated answer as the `prediction` column holds it: /predict's JSON value (NaN and infinities as
        null), or its JSON text for the types Spark's columns do not have."""
        if self.kind == "json":
            return self.answer.dump_json(answer).decode()
        if self.kind == "float" and answer is not None and not math.isfinite(answer):
            return None
        return answer


_REQUIRED = object()
_PLAIN_KEYS = {"type", "title", "description", "default", "enum", "examples"}


def _plain_fields(request_model: type[BaseModel]) -> dict[str, tuple[str, list[Any] | None, Any]] | None:
    """Per argument of predict (in its order): its JSON type (number, integer, string, boolean), the values a
    Literal allows (or None), and its default (or _REQUIRED); None if one argument is of any other type."""
    properties = request_model.model_json_schema().get("properties", {})
    plain: dict[str, tuple[str, list[Any] | None, Any]] = {}
    for name, field in request_model.model_fields.items():
        schema = properties.get(name, {})
        kind = schema.get("type")
        if kind not in ("number", "integer", "string", "boolean") or not set(schema) <= _PLAIN_KEYS:
            return None
        allowed = schema.get("enum")
        if allowed is not None and (kind != "string" or not all(isinstance(v, str) for v in allowed)):
            return None
        default = _REQUIRED if field.is_required() else field.get_default(call_default_factory=True)
        plain[name] = (kind, allowed, default)
    return plain


class _Failed:
    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _plain(value: Any) -> Any:
    """A value of an object column of a pandas batch from Arrow as plain Python: numpy arrays as lists."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy arrays and scalars
        value = value.tolist()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _shown(row: Mapping[str, Any] | _Failed) -> str:
    """`row {...}`: the row's values for predict's arguments, as JSON (shortened)."""
    if isinstance(row, _Failed):
        return row.message
    return "row " + _line(json.dumps(row, ensure_ascii=False, default=str), SHOWN)


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in exc.errors(include_url=False))


def _line(text: object, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."

