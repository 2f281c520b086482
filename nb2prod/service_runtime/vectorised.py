"""Many rows at once: the notebook's `predict_batch(frame)` when it has one, else `predict(**row)` for each row.

A notebook may define, beside `predict`, a vectorised `predict_batch(frame)`: a pandas DataFrame with one
column per argument of `predict` (in its order) in, one answer per row out (a list, a numpy array, a pandas
Series, or a DataFrame for dict answers). `/predict/batch`, the V2 `infer` endpoint, the batch scorer and
Spark call it once per batch instead of calling `predict` once per row; its answers must equal
`[predict(**row) for row in rows]` (the generated tests check it). `predict_rows` is the one place that
calls it: it builds the frame and turns what comes back into one JSON-ready answer per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .schema import jsonable

if TYPE_CHECKING:
    from pandas import DataFrame

    from .service import Service


class PredictionError(Exception):
    """The notebook's `predict` raised on a valid input, or returned what the response cannot carry: `kind` is
    `prediction_failed` or `prediction_invalid`, `loc` the input's place in the request, `error` the exception's
    type (or `InvalidPrediction`)."""

    def __init__(self, kind: str, loc: Sequence[str | int], message: str, error: str) -> None:
        super().__init__(message)
        self.kind, self.loc, self.message, self.error = kind, tuple(loc), message, error


class BatchAnswerError(ValueError):
    """`predict_batch` returned what is not one answer per row (its message says what it returned)."""


def columns(service: Service) -> list[str]:
    """The arguments of `predict`, in its order: the columns of the frame `predict_batch` gets."""
    return list(service.request_model.model_fields)


def frame_of(service: Service, rows: Sequence[Mapping[str, Any]]) -> DataFrame:
    """`rows` (the validated keyword arguments of `predict`) as the DataFrame `predict_batch` takes."""
    import pandas as pd

    names = columns(service)
    return pd.DataFrame({name: [row[name] for row in rows] for name in names}, columns=names)


def answers(result: Any, rows: int) -> list[Any]:
    """What `predict_batch` returned for `rows` rows, as one JSON-ready answer per row; BatchAnswerError if
    it is not one answer per row."""
    if hasattr(result, "to_dict") and hasattr(result, "columns"):  # a DataFrame: one dict per row
        items: Any = result.to_dict(orient="records")
    elif hasattr(result, "tolist"):  # a numpy array, a pandas Series or Index
        items = result.tolist()
    elif isinstance(result, (list, tuple)):
        items = list(result)
    else:
        raise BatchAnswerError(f"predict_batch returned {type(result).__name__}, not one answer per row "
                               "(a list, a numpy array, a pandas Series or DataFrame)")
    if not isinstance(items, list) or len(items) != rows:
        count = len(items) if isinstance(items, list) else 1
        raise BatchAnswerError(f"predict_batch returned {count} answers for {rows} rows")
    return [jsonable(item) for item in items]


def predict_rows(service: Service, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    """The answers to `rows`, in order, as JSON-ready values: one call of `predict_batch` for them all when
    the notebook has it, else one call of `predict` per row. Whatever the notebook's code raises propagates
    (callers that must name the failing row retry row by row)."""
    if not rows:
        return []
    if service.predict_batch is None:
        return [jsonable(service.predict(**row)) for row in rows]
    return answers(service.predict_batch(frame_of(service, rows)), len(rows))
