"""runtime/vectorised.py: a notebook's `predict_batch(frame)`, as /predict/batch and the batch scorer call it.

The toy's `predict_batch` doubles the `x` column as `predict` doubles `x`; it counts its calls, so the tests
see it called once per batch (not per row), and falls back to `predict` row by row when it fails or answers
what `predict`'s type is not.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _toy_service import Toy
from test_app import served

from nb2prod.service_runtime.app import create_app
from nb2prod.service_runtime.batch import InputError, score_file
from nb2prod.service_runtime.service import Service
from nb2prod.service_runtime.vectorised import BatchAnswerError, answers, columns, frame_of, predict_rows


class Batch:
    """A `predict_batch` for the toy: `mode` "ok" (vectorised), "raise", "short" (one answer too few) or "text"
    (strings, which predict's float is not)."""

    def __init__(self, toy: Toy, mode: str = "ok") -> None:
        self.toy, self.mode, self.frames = toy, mode, []

    def __call__(self, frame: pd.DataFrame) -> Any:
        self.frames.append(frame)
        if self.mode == "raise" or (frame["x"] < 0).any():
            raise ValueError("a negative x")
        doubled = frame["x"] * self.toy.factor
        if self.mode == "short":
            return doubled.iloc[1:]
        if self.mode == "text":
            return [str(value) for value in doubled]
        return doubled


pytestmark = pytest.mark.usefixtures("store_in_tmp")  # conftest.py: each test's store in its tmp_path


def with_batch(toy: tuple[Service, Toy], mode: str = "ok") -> tuple[Service, Batch]:
    batch = Batch(toy[1], mode)
    return dataclasses.replace(toy[0], predict_batch=batch), batch


def test_the_frame_has_one_column_per_argument_in_predicts_order(toy: tuple[Service, Toy]) -> None:
    service = toy[0]
    frame = frame_of(service, [{"colour": "blue", "x": 1.0}, {"x": 2.5, "colour": "red"}])
    assert columns(service) == ["x", "colour"] and list(frame.columns) == ["x", "colour"]
    assert frame["x"].tolist() == [1.0, 2.5] and frame["colour"].tolist() == ["blue", "red"]


@pytest.mark.parametrize("result, expected", [
    (np.array([1.5, 2.0]), [1.5, 2.0]),
    (pd.Series([np.int64(1), np.int64(2)]), [1, 2]),
    (np.array(["a", "b"]), ["a", "b"]),
    ([np.float32(0.5), 1], [0.5, 1]),
    (np.array([[0.1, 0.9], [0.8, 0.2]]), [[0.1, 0.9], [0.8, 0.2]]),
    (pd.DataFrame({"p": [0.1, 0.8], "label": ["b", "a"]}), [{"p": 0.1, "label": "b"}, {"p": 0.8, "label": "a"}]),
])
def test_answers_become_one_json_value_per_row(result: Any, expected: list[Any]) -> None:
    got = answers(result, 2)
    assert got == expected
    json.dumps(got)  # plain JSON: no numpy scalars left


@pytest.mark.parametrize("result, message", [
    (np.array([1.0]), "1 answers for 2 rows"),
    (np.float64(3.0), "1 answers for 2 rows"),
    (None, "returned NoneType, not one answer per row"),
    ({"a": 1, "b": 2}, "returned dict"),
])
def test_what_is_not_one_answer_per_row_is_refused(result: Any, message: str) -> None:
    with pytest.raises(BatchAnswerError, match=message):
        answers(result, 2)


def test_predict_rows_calls_predict_batch_once_or_predict_per_row(toy: tuple[Service, Toy], package: Path) -> None:
    toy[0].load_artifacts(package)
    rows = [{"x": 1.0, "colour": "red"}, {"x": 3.0, "colour": "blue"}]
    assert predict_rows(toy[0], rows) == [2.0, 6.0]  # no predict_batch: predict per row
    service, batch = with_batch(toy)
    assert predict_rows(service, rows) == [2.0, 6.0] and len(batch.frames) == 1
    assert predict_rows(service, []) == [] and len(batch.frames) == 1


def test_predict_batch_serves_the_batches(
    toy: tuple[Service, Toy], capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    service, batch = with_batch(toy)
    instances = [{"x": 0.5}, {"x": 1.0, "colour": "blue"}, {"x": 2.0}]
    with served(create_app(service)) as client:
        answer = client.post("/predict/batch", json={"instances": instances})
        assert answer.status_code == 200 and answer.json()["predictions"] == [1.0, 2.0, 4.0]
        assert len(batch.frames) == 1 and len(batch.frames[0]) == 3
        single = [client.post("/predict", json=row).json()["prediction"] for row in instances]
        assert single == answer.json()["predictions"]
        assert len(batch.frames) == 1  # /predict is one row: predict
        metrics = client.get("/metrics").text
        assert "\nmodel_predictions_total 6.0\n" in metrics  # counted once per prediction, batched or not
        # predict_batch fails on the batch: the rows are predicted one by one, and the row predict fails on is named
        answer = client.post("/predict/batch", json={"instances": [{"x": 1.0}, {"x": -1.0}]})
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"] == ["body", "instances", 1]
        assert answer.json()["detail"][0]["type"] == "prediction_failed"
    # the service's JSON log: on stdout, or through logging's handlers once an earlier test configured them
    assert "predict_batch failed on a batch of 2 rows" in capsys.readouterr().out + caplog.text


@pytest.mark.parametrize("mode", ["raise", "short", "text"])
def test_a_failing_predict_batch_falls_back_to_predict(toy: tuple[Service, Toy], mode: str) -> None:
    service, batch = with_batch(toy, mode)
    with served(create_app(service)) as client:
        answer = client.post("/predict/batch", json={"instances": [{"x": 0.5}, {"x": 1.5}]})
        assert answer.status_code == 200 and answer.json()["predictions"] == [1.0, 3.0]
    assert len(batch.frames) == 1


def test_the_batch_scorer_calls_predict_batch_once_per_chunk(toy: tuple[Service, Toy], tmp_path: Path) -> None:
    service, batch = with_batch(toy)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"x": x / 2}) + "\n" for x in range(7)), encoding="utf-8")
    assert score_file(service, str(source), str(tmp_path / "out.jsonl"), batch_size=3) == (7, 0)
    assert [len(frame) for frame in batch.frames] == [3, 3, 1]
    plain = tmp_path / "plain.jsonl"
    assert score_file(toy[0], str(source), str(plain), batch_size=3) == (7, 0)
    assert (tmp_path / "out.jsonl").read_bytes() == plain.read_bytes()


def test_the_batch_scorer_predicts_only_the_valid_rows_and_falls_back(
    toy: tuple[Service, Toy], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service, batch = with_batch(toy)
    source = tmp_path / "in.jsonl"
    source.write_text('{"x": 1}\n{"x": "one"}\n{"x": 2}\n', encoding="utf-8")
    assert score_file(service, str(source), str(tmp_path / "out.jsonl"), skip_invalid=True) == (2, 1)
    assert batch.frames[0]["x"].tolist() == [1.0, 2.0]
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0] == {"prediction": 2.0} and rows[1]["error"].startswith("line 2: x: ") and rows[2] == {
        "prediction": 4.0}
    source.write_text('{"x": 1}\n{"x": -1}\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING), pytest.raises(InputError, match=r"^line 2: predict raised ValueError"):
        score_file(service, str(source), str(tmp_path / "out.jsonl"))
    assert "predict_batch failed on a chunk of 2 rows" in caplog.text
    for mode in ("short", "text"):
        service, _ = with_batch(toy, mode)
        source.write_text('{"x": 1}\n{"x": 2}\n', encoding="utf-8")
        score_file(service, str(source), str(tmp_path / "out.jsonl"))
        assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == '{"prediction":2.0}\n{"prediction":4.0}\n'
