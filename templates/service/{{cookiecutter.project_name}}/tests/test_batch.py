"""The batch scorer, `predict` of the command line: JSON lines and CSV, in chunks, row by row as /predict answers
{%- if cookiecutter._predict_batch %}; and the notebook's predict_batch, which answers as predict does{% endif %}."""

import csv
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from {{ cookiecutter.package_name }}.cli import main
{%- if cookiecutter._predict_batch %}
from {{ cookiecutter.package_name }}.runtime.schema import jsonable
from {{ cookiecutter.package_name }}.runtime.vectorised import answers, frame_of
{%- endif %}
from {{ cookiecutter.package_name }}.schema import EXAMPLES, PredictRequest
from {{ cookiecutter.package_name }}.service import SERVICE

MAX_LINE_BYTES = SERVICE.settings().max_body_bytes

PROPERTIES: dict[str, Any] = PredictRequest.model_json_schema().get("properties", {})
PROJECT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 120


@pytest.fixture
def inputs() -> list[dict[str, Any]]:
    """Valid inputs: the notebook's examples, or {} when predict has no required argument."""
    if EXAMPLES:
        return [example["input"] for example in EXAMPLES]
    if PredictRequest.model_json_schema().get("required"):
        pytest.skip("the notebook defines no example to score")
    return [{}]


def approx(expected: Any) -> Any:
    """`expected` with every float compared with pytest.approx, in nested lists and dicts too."""
    if isinstance(expected, dict):
        return {key: approx(value) for key, value in expected.items()}
    if isinstance(expected, list):
        return [approx(value) for value in expected]
    return pytest.approx(expected) if isinstance(expected, float) else expected


def score(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `predict` in this process: its exit status, stdout and stderr."""
    status = main(["predict", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_jsonl_gives_what_the_service_answers_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], client: httpx.Client, inputs: list[dict[str, Any]]
) -> None:
    rows = inputs * 3
    source = tmp_path / "inputs.jsonl"
    source.write_text("\n".join(json.dumps(row) for row in rows) + "\n\n", encoding="utf-8")  # a blank line too
    status, out, err = score(capsys, str(source), "--batch-size", "2")
    assert status == 0, err
    lines = out.splitlines()
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows):
        response = client.post("/predict", json=row)
        assert response.status_code == 200, response.text
        assert json.loads(line) == {"prediction": response.json()["prediction"]}  # offline: no prediction id
    assert err.strip() == f"scored {len(rows)} {'row' if len(rows) == 1 else 'rows'}; skipped 0 rows"


def test_notebook_outputs_in_a_jsonl_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not EXAMPLES:
        pytest.skip("the notebook defines no example")
    source = write_jsonl(tmp_path / "inputs.jsonl", [example["input"] for example in EXAMPLES])
    output = tmp_path / "predictions.jsonl"
    status, out, err = score(capsys, str(source), "--output", str(output))
    assert status == 0, err
    assert out == ""
    predictions = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert predictions == [{"prediction": approx(example["output"])} for example in EXAMPLES]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["inputs.jsonl", "predictions.jsonl"]


def csv_types(name: str) -> set[str]:
    schema = PROPERTIES.get(name, {})
    return {option.get("type") for option in [schema, *schema.get("anyOf", [])]} - {None}


def csv_cell(name: str, value: Any) -> str | None:
    """`value` as the CSV cell the scorer reads back as the same argument, or None if no cell does."""
    types = csv_types(name)
    if isinstance(value, str):
        return value if value and "string" in types else None
    if "string" in types or not types:  # a number in a text (or untyped) column would arrive as text
        return None
    if isinstance(value, bool):
        return str(value).lower() if "boolean" in types else None
    if isinstance(value, (int, float)):
        return repr(value) if types & {"number", "integer"} else None
    if isinstance(value, (list, dict)):
        return json.dumps(value) if types & {"array", "object"} else None
    return None


def test_csv_in_csv_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    examples = [
        example
        for example in EXAMPLES
        if all(csv_cell(name, value) is not None for name, value in example["input"].items())
    ]
    if not examples:
        pytest.skip("no example of the notebook can be written as CSV")
    columns = list(PROPERTIES)
    source = tmp_path / "inputs.csv"
    with source.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        for example in examples:
            values = example["input"]
            writer.writerow([csv_cell(name, values[name]) if name in values else "" for name in columns])
    output = tmp_path / "predictions.csv"
    status, _, err = score(capsys, str(source), "-o", str(output), "--batch-size", "1")
    assert status == 0, err
    with output.open(encoding="utf-8", newline="") as file:
        table = list(csv.reader(file))
    assert table[0] == ["prediction"]
    assert len(table) == len(examples) + 1
    for (cell,), example in zip(table[1:], examples):
        expected = example["output"]
        if isinstance(expected, str):
            assert cell == expected
        elif expected is None:
            assert cell == ""
        else:
            assert json.loads(cell) == approx(expected)


def test_an_invalid_row_stops_the_run_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], inputs: list[dict[str, Any]]
) -> None:
    source = tmp_path / "inputs.jsonl"
    source.write_text(json.dumps(inputs[0]) + "\n{not json\n", encoding="utf-8")
    output = tmp_path / "predictions.jsonl"
    status, _, err = score(capsys, str(source), "-o", str(output))
    assert status == 1
    assert err.startswith("error: line 2: not JSON: ")
    assert list(tmp_path.iterdir()) == [source], "a failed run leaves no output, not even a partial one"

    write_jsonl(source, [inputs[0], inputs[0], {**inputs[0], "__not_an_argument__": 1}])
    status, _, err = score(capsys, str(source), "--batch-size", "2")
    assert status == 1
    assert err == "error: line 3: __not_an_argument__: Extra inputs are not permitted\n"


def test_skip_invalid_keeps_one_output_line_per_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], inputs: list[dict[str, Any]]
) -> None:
    source = tmp_path / "inputs.jsonl"
    source.write_text(
        "\n".join(
            [json.dumps(inputs[0]), "[1, 2]", json.dumps({"__not_an_argument__": 1}), "x" * (MAX_LINE_BYTES + 10)]
            + [json.dumps(inputs[0])]
        )
        + "\n",
        encoding="utf-8",
    )
    status, out, err = score(capsys, str(source), "--skip-invalid", "--batch-size", "2")
    assert status == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 5
    assert set(lines[0]) == {"prediction"} and lines[4] == lines[0]
    assert lines[1] == {"error": "line 2: expected a JSON object of predict's arguments"}
    assert lines[2]["error"].startswith("line 3: ") and "__not_an_argument__" in lines[2]["error"]
    assert lines[3] == {"error": f"line 4: longer than {MAX_LINE_BYTES} bytes"}
    assert err.splitlines()[0] == "skipped line 2: expected a JSON object of predict's arguments"
    assert err.splitlines()[-1] == "scored 2 rows; skipped 3 rows"


def test_missing_input_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = score(capsys, str(tmp_path / "absent.jsonl"))
    assert (status, out) == (1, "")
    assert err == f"error: cannot read {tmp_path / 'absent.jsonl'}: No such file or directory\n"


def test_streams_from_stdin_chunk_by_chunk(inputs: list[dict[str, Any]]) -> None:
    """The first chunk's predictions come out while the input is still open: nothing waits for the whole file."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", "predict", "-", "--batch-size", "2"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True)
    reader.start()
    try:
        assert process.stdin is not None
        process.stdin.write(json.dumps(inputs[0]) + "\n" + json.dumps(inputs[-1]) + "\n")
        process.stdin.flush()
        first = [next_line(lines), next_line(lines)]
        assert process.poll() is None, "the scorer should still be waiting for more input"
        process.stdin.write(json.dumps(inputs[0]) + "\n")
        process.stdin.close()
        assert process.wait(timeout=STARTUP_SECONDS) == 0, process.stderr.read()
        reader.join(timeout=10)
        rest = [lines.get_nowait() for _ in range(lines.qsize())]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            stream.close()
    assert len(first) == 2 and rest == first[:1]


def next_line(lines: queue.Queue[str]) -> str:
    try:
        return lines.get(timeout=STARTUP_SECONDS)
    except queue.Empty:
        pytest.fail(f"no prediction within {STARTUP_SECONDS} s of a whole chunk: the scorer waits for the end of input")
{%- if cookiecutter._predict_batch %}


# ---- the notebook's vectorised predict_batch answers as predict does ----

REFERENCE_SAMPLE = Path(__file__).with_name("reference_sample.json")
"""Up to 100 rows of the notebook's `reference` data, written by the build."""


def reference_rows() -> list[dict[str, Any]]:
    """The rows of the reference sample that predict's schema accepts, as predict's keyword arguments."""
    rows = json.loads(REFERENCE_SAMPLE.read_text(encoding="utf-8")) if REFERENCE_SAMPLE.is_file() else []
    valid = []
    for row in rows:
        try:
            valid.append(PredictRequest.model_validate(row, strict=False).model_dump())
        except ValueError:
            continue
    return valid


@pytest.mark.parametrize("source", ["examples", "reference"])
def test_predict_batch_answers_as_predict(source: str) -> None:
    """`predict_batch(frame)` of many rows equals `[predict(**row) for row in rows]`, on the notebook's examples
    and on a sample of its `reference` data."""
    if source == "examples":
        rows = [PredictRequest.model_validate(example["input"]).model_dump() for example in EXAMPLES]
    else:
        rows = reference_rows()
    if not rows:
        pytest.skip(f"the notebook has no {source} to compare predict_batch with predict on")
    SERVICE.load_artifacts(None)
    assert SERVICE.predict_batch is not None
    expected = [jsonable(SERVICE.predict(**row)) for row in rows]
    assert answers(SERVICE.predict_batch(frame_of(SERVICE, rows)), len(rows)) == approx(expected)
    assert answers(SERVICE.predict_batch(frame_of(SERVICE, rows[:1])), 1) == approx(expected[:1])


def test_predict_batch_serves_the_batch_endpoint(client: httpx.Client, inputs: list[dict[str, Any]]) -> None:
    """/predict/batch, which calls predict_batch once, answers as /predict does row by row."""
    rows = (inputs + [row for row in reference_rows() if row not in inputs])[:SERVICE.max_batch_size]
    batch = client.post("/predict/batch", json={"instances": rows})
    assert batch.status_code == 200, batch.text
    single = [client.post("/predict", json=row).json()["prediction"] for row in rows]
    assert batch.json()["predictions"] == approx(single)
{%- endif %}
