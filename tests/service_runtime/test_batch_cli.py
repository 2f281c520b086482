"""runtime/batch.py and cli.py: the file scorer and the command line of the toy service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _toy_service import Toy

from nb2prod.service_runtime import cli
from nb2prod.service_runtime.batch import InputError, score_file
from nb2prod.service_runtime.service import Service


def test_jsonl_in_csv_out_and_back(toy: tuple[Service, Toy], tmp_path: Path) -> None:
    service = toy[0]
    source = tmp_path / "in.jsonl"
    source.write_text('{"x": 1}\n\n{"x": 2.5, "colour": "blue"}\n', encoding="utf-8")
    assert score_file(service, str(source), str(tmp_path / "out.jsonl"), batch_size=1) == (2, 0)
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == '{"prediction":2.0}\n{"prediction":5.0}\n'
    table = tmp_path / "in.csv"
    table.write_text("x,colour\n1.5,\n3,red\n", encoding="utf-8")  # CSV cells are text, converted; empty: default
    assert score_file(service, str(table), str(tmp_path / "out.csv")) == (2, 0)
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == "prediction\n3.0\n6.0\n"


def test_an_invalid_row_stops_the_run_unless_skipped(
    toy: tuple[Service, Toy], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"x": 1}\n{"x": "one"}\n[1]\n{"x": -1}\n{"x": 30}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"^line 2: x: "):
        score_file(toy[0], str(source), str(tmp_path / "out.jsonl"))
    assert not (tmp_path / "out.jsonl").exists()  # nothing is left by a failed run
    assert score_file(toy[0], str(source), str(tmp_path / "out.jsonl"), skip_invalid=True) == (2, 3)
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0] == {"prediction": 2.0} and rows[4] == {"prediction": 60.0}
    assert rows[2]["error"] == "line 3: expected a JSON object of predict's arguments"
    assert rows[3]["error"].startswith("line 4: predict raised ValueError")
    source.write_text('{"x": 1}\n{"x": 30}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"^line 2: x: x must be a number from 0.0 to 3.0"):
        score_file(toy[0], str(source), None, strict=True, max_line_bytes=100, input_format="jsonl")
    assert "skipped line 2" in capsys.readouterr().err


def test_the_command_line(toy: tuple[Service, Toy], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    import uvicorn

    service = toy[0]
    source = tmp_path / "in.jsonl"
    source.write_text('{"x": 1}\n', encoding="utf-8")
    assert cli.main(service, ["predict", str(source)]) == 0
    captured = capsys.readouterr()
    assert captured.out == '{"prediction":2.0}\n' and "scored 1 row; skipped 0 rows" in captured.err
    assert cli.main(service, ["predict", str(tmp_path / "nope.jsonl")]) == 1
    assert capsys.readouterr().err.startswith("error: cannot read ")

    started: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append({"app": app, **options}))
    assert cli.main(service, ["serve", "--port", "9", "--strict"]) == 0
    assert started[0]["app"].state.drift.settings.strict is True and started[0]["port"] == 9
    assert started[0]["http"].header_timeout == 10.0
    monkeypatch.setenv("TOY_SERVICE_HEADER_TIMEOUT", "soon")
    assert cli.main(service, ["serve"]) == 1
    assert "TOY_SERVICE_HEADER_TIMEOUT='soon'" in capsys.readouterr().err and len(started) == 1
    monkeypatch.delenv("TOY_SERVICE_HEADER_TIMEOUT")

    assert cli.main(service, ["train", "--output-dir", str(tmp_path / "retrained")]) == 0
    assert (tmp_path / "retrained" / "artifacts" / "factor.joblib").is_file()
    assert cli.main(service, ["predict", str(source), "--model-dir", str(tmp_path / "retrained")]) == 0
    assert '{"prediction":3.0}' in capsys.readouterr().out


def test_a_failing_training_cell_is_one_line_naming_it(
    toy: tuple[Service, Toy], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import dataclasses
    import importlib.util

    # A train.py laid out as the template writes it: the training cells, each under its marker.
    train_py = tmp_path / "pkg" / "train.py"
    train_py.parent.mkdir()
    train_py.write_text(
        "def run_training():\n"
        "    # --- notebook cell 2 ---\n"
        "    rows = 10\n"
        "    # --- notebook cell 4 ---\n"
        "    with open('datasets/lifesat/oecd_bli_2015.csv') as fh:\n"
        "        return fh.read()\n"
        "\n\ndef train(output_dir):\n    return run_training()\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("toy_train", train_py)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    service = dataclasses.replace(toy[0], train=module.train)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NB2PROD_DEBUG", raising=False)
    assert cli.main(service, ["train"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: the training code (notebook cell 4) raised FileNotFoundError: [Errno 2] No such "
                          "file or directory: 'datasets/lifesat/oecd_bli_2015.csv' (it runs in the current folder, ")
    monkeypatch.setenv("NB2PROD_DEBUG", "1")
    with pytest.raises(FileNotFoundError):
        cli.main(service, ["train"])
