"""runtime/spark.py's BatchScorer, on pandas batches as mapInPandas gives them (no Spark needed here).

A batch whose columns are already of predict's types (or numbers as text, as Spark reads a CSV file) goes
straight to `predict_batch`; any other batch is validated row by row. Both must give the same answers, and
the same answers as the slow path, which is what /predict would answer.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _toy_service import Toy
from test_vectorised import Batch

from nb2prod.service_runtime.service import Service
from nb2prod.service_runtime.spark import BatchScorer


@pytest.fixture
def scorers(toy: tuple[Service, Toy], package: Any) -> tuple[BatchScorer, BatchScorer, Batch]:
    """(the scorer, the same without its fast path, the predict_batch they call)."""
    batch = Batch(toy[1])
    service = dataclasses.replace(toy[0], predict_batch=batch)
    service.load_artifacts(package)
    slow = BatchScorer(service)
    slow.plain = None
    return BatchScorer(service), slow, batch


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"x": [1.0, 2.5, 0.0], "colour": ["red", "blue", "green"]}),
    pd.DataFrame({"x": np.array([1, 2, 3], dtype="int64")}),  # integers for a float; colour's default
    pd.DataFrame({"x": ["1.5", " 2", "1e1"], "colour": ["red", "red", "blue"]}),  # as Spark reads CSV
    pd.DataFrame({"id": ["a", "b"], "x": [0.5, 1.5]}),  # a column predict does not take
])
def test_a_typed_batch_goes_straight_to_predict_batch(
    scorers: tuple[BatchScorer, BatchScorer, Batch], frame: pd.DataFrame
) -> None:
    fast, slow, batch = scorers
    predictions, errors = fast(frame)
    assert errors == [None] * len(frame) and len(batch.frames) == 1
    assert list(batch.frames[0].columns) == ["x", "colour"]
    assert slow(frame) == (predictions, errors) and len(batch.frames) == 2
    assert predictions == [2.0 * float(x) for x in frame["x"]]


@pytest.mark.parametrize("frame, expected", [
    # text pandas does not read as a number, but pydantic does: validated row by row
    (pd.DataFrame({"x": ["1_0", "2"]}), ([20.0, 4.0], [None, None])),
    # a missing value: the row's validation says why
    (pd.DataFrame({"x": [1.0, np.nan]}), ([2.0, None], [None, "row {}: x: Field required"])),
    (pd.DataFrame({"x": ["1", None]}), ([2.0, None], [None, "row {}: x: Field required"])),
    # a colour the Literal does not have, text that is no number, an infinity
    (pd.DataFrame({"x": [1.0, 2.0], "colour": ["red", "pink"]}), ([2.0, None], [None, "pink"])),
    (pd.DataFrame({"x": ["abc", "1"]}), ([None, 2.0], ["abc", None])),
    (pd.DataFrame({"x": [np.inf, 1.0]}), ([None, 2.0], ["x: Input should be a finite number", None])),
])
def test_any_other_batch_is_validated_row_by_row(
    scorers: tuple[BatchScorer, BatchScorer, Batch], frame: pd.DataFrame, expected: tuple[list[Any], list[Any]]
) -> None:
    fast, slow, _ = scorers
    predictions, errors = fast(frame)
    assert (predictions, errors) == slow(frame)
    assert predictions == expected[0]
    for error, part in zip(errors, expected[1], strict=True):
        assert (error is None) if part is None else (part in error), errors


def test_a_required_argument_without_a_column_is_not_fast(scorers: tuple[BatchScorer, BatchScorer, Batch]) -> None:
    fast, _, batch = scorers
    predictions, errors = fast(pd.DataFrame({"colour": ["red"]}))
    assert predictions == [None] and "x: Field required" in str(errors[0]) and batch.frames == []
