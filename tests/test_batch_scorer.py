"""The batch scorer of a built service, at scale: `<package> predict` on large JSONL and CSV files.

A small linear-scoring notebook is built once (its `predict` costs microseconds, so the
scorer's own reading, validating and writing dominate); its scorer runs in a subprocess
on a small and a ten times larger file of each format. Its memory must not grow with the file: the peak
RSS of each run (from `os.wait4`, the per-child form of getrusage(RUSAGE_CHILDREN)) is
compared between the two sizes in the same test run. Every row gets its prediction, in
order; both formats give the same predictions; and a sample equals what the built
service answers on /predict for the same rows, over HTTP.

A scorer that held the file's rows would add well over 20 MiB at the large size, against
the 3% allowed here.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from _services import running_service

from nb2prod.converter import BuildOptions, build

ROOT = Path(__file__).resolve().parent.parent
RANGES = {"sepal_length": (4.3, 7.9), "sepal_width": (2.0, 4.4), "petal_length": (1.0, 6.9), "petal_width": (0.1, 2.5)}
"""The range of each input: the rows are drawn in it."""
SMALL, LARGE = 10_000, 100_000
CELLS = [
    ("markdown", [], "# Petal size\n\nA linear score of the four iris measurements, cut into three sizes."),
    ("code", [], "weights = {'sepal_length': 0.1, 'sepal_width': -0.2, 'petal_length': 0.5, 'petal_width': 1.0}\n"
     "cuts = (2.0, 4.0)"),
    ("code", ["predict"], "def predict(sepal_length: float, sepal_width: float, petal_length: float, "
     "petal_width: float) -> str:\n"
     "    score = (weights['sepal_length'] * sepal_length + weights['sepal_width'] * sepal_width\n"
     "             + weights['petal_length'] * petal_length + weights['petal_width'] * petal_width)\n"
     "    return 'small' if score < cuts[0] else 'medium' if score < cuts[1] else 'large'"),
    ("code", ["example"],
     "example = {'sepal_length': 5.1, 'sepal_width': 3.5, 'petal_length': 1.4, 'petal_width': 0.2}"),
]
RSS_RATIO = 1.03  # the large file's peak RSS may exceed the small one's by at most this factor
SAMPLE = 40  # rows of the large file also sent to /predict
TIMEOUT = 600

pytestmark = [
    pytest.mark.slow,
    pytest.mark.kernel,  # builds a notebook in a real kernel
    pytest.mark.skipif(not hasattr(os, "wait4") or sys.platform != "linux", reason="ru_maxrss in KiB: Linux"),
]


@dataclass(frozen=True)
class Service:
    project: Path
    package: str

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(self.project), "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass(frozen=True)
class Run:
    returncode: int
    stderr: str
    peak_rss_kib: int
    output: Path

    def predictions(self) -> list[str]:
        """The predictions written, in order: from CSV (its one column) or JSON lines."""
        if self.output.suffix == ".csv":
            with self.output.open(encoding="utf-8", newline="") as file:
                table = list(csv.reader(file))
            assert table[0] == ["prediction"]
            return [cell for (cell,) in table[1:]]
        return [json.loads(line)["prediction"] for line in self.output.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Service:
    notebook = tmp_path_factory.mktemp("notebook") / "sizes.ipynb"
    nb = nbformat.v4.new_notebook()
    for kind, tags, source in CELLS:
        cell = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.write(nb, notebook)
    result = build(BuildOptions(notebook, tmp_path_factory.mktemp("built") / "sizes-service", gate=False))
    return Service(result.output, result.package_name)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, float]]:
    """LARGE inputs (the first SMALL make the small files)."""
    draw = random.Random(20240501)
    return [{name: round(draw.uniform(low, high), 2) for name, (low, high) in RANGES.items()} for _ in range(LARGE)]


@pytest.fixture(scope="module")
def files(rows: list[dict[str, float]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The small and large inputs, as JSON lines and as CSV."""
    folder = tmp_path_factory.mktemp("inputs")
    paths = {}
    for size, count in (("small", SMALL), ("large", LARGE)):
        paths[f"{size}.jsonl"] = folder / f"{size}.jsonl"
        with paths[f"{size}.jsonl"].open("w", encoding="utf-8") as file:
            file.writelines(json.dumps(row) + "\n" for row in rows[:count])
        paths[f"{size}.csv"] = folder / f"{size}.csv"
        with paths[f"{size}.csv"].open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(RANGES))
            writer.writeheader()
            writer.writerows(rows[:count])
    return paths


def score(service: Service, source: Path, output: Path) -> Run:
    """Run `<package> predict SOURCE --output OUTPUT` in its own process; wait4 gives that process's peak RSS."""
    with subprocess.Popen(
        [sys.executable, "-m", service.package, "predict", str(source), "--output", str(output)],
        cwd=service.project,
        env=service.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        stderr: list[str] = []
        drain = threading.Thread(target=lambda: stderr.append(process.stderr.read()))
        drain.start()
        killer = threading.Timer(TIMEOUT, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        drain.join()
    return Run(process.returncode, "".join(stderr), usage.ru_maxrss, output)


@pytest.fixture(scope="module")
def runs(service: Service, files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Each input file scored: JSON lines into CSV, CSV into JSON lines (so every reader and writer is used)."""
    out = tmp_path_factory.mktemp("predictions")
    outputs = {"jsonl": "csv", "csv": "jsonl"}
    return {
        name: score(service, files[name], out / f"{name}.{outputs[name.rsplit('.', 1)[1]]}")
        for name in ("small.jsonl", "large.jsonl", "small.csv", "large.csv")
    }


@pytest.fixture(scope="module")
def predictions(runs: dict[str, Run]) -> dict[str, list[str]]:
    for run in runs.values():
        assert run.returncode == 0, run.stderr
    return {name: run.predictions() for name, run in runs.items()}


def test_every_row_is_scored(runs: dict[str, Run], predictions: dict[str, list[str]]) -> None:
    for name, run in runs.items():
        count = SMALL if name.startswith("small") else LARGE
        assert run.returncode == 0, run.stderr
        assert run.stderr.strip() == f"scored {count} rows; skipped 0 rows"
        assert len(predictions[name]) == count
    assert predictions["large.jsonl"] == predictions["large.csv"], "JSON lines and CSV give the same predictions"
    assert predictions["small.csv"] == predictions["large.csv"][:SMALL]
    assert set(predictions["large.csv"]) == {"small", "medium", "large"}


def test_memory_does_not_grow_with_the_file(runs: dict[str, Run]) -> None:
    for kind in ("jsonl", "csv"):
        small, large = runs[f"small.{kind}"], runs[f"large.{kind}"]
        assert small.returncode == 0 and large.returncode == 0, small.stderr + large.stderr
        ratio = large.peak_rss_kib / small.peak_rss_kib
        assert ratio <= RSS_RATIO, (
            f"{kind}: peak RSS {small.peak_rss_kib} KiB for {SMALL} rows, {large.peak_rss_kib} KiB for {LARGE} "
            f"rows ({ratio:.3f}x)"
        )


def test_a_sample_equals_what_the_service_answers(
    service: Service, rows: list[dict[str, float]], predictions: dict[str, list[str]], tmp_path: Path
) -> None:
    with (
        running_service(service.project, service.package, log_path=tmp_path / "uvicorn.log") as server,
        server.client() as client,
    ):
        for index in random.Random(7).sample(range(LARGE), SAMPLE):
            response = client.post("/predict", json=rows[index])
            assert response.status_code == 200, response.text
            assert response.json()["prediction"] == predictions["large.csv"][index]
            assert response.json()["prediction"] == predictions["large.jsonl"][index]
