"""Spark scoring of a built service (runtime/spark.py, `predict --engine spark`), in pyspark's local mode.

The iris example (with its `predict_batch`) scores 100,000 rows from Parquet through the CLI on
`local[2]`; a sample of 1,000 of them equals what the running service answers on /predict/batch over
HTTP. A row that fails validation fails the job naming the row, leaving no output; the Python API,
`score_dataframe`, gives an `error` column for it with `skip_invalid`, and a notebook without
`predict_batch` (predict row by row) gives its own `predict`'s answers. Without pyspark, one line says
what to install. Skipped without Java (outside CI).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd  # pyspark, pyarrow and pandas are test dependencies (pyproject.toml's test extra)
import pytest
from _services import running_service

from nb2prod.converter import BuildOptions, build

ROOT = Path(__file__).resolve().parent.parent
IRIS = ROOT / "examples" / "iris" / "train.ipynb"
RANGES = {"sepal_length": (4.3, 7.9), "sepal_width": (2.0, 4.4), "petal_length": (1.0, 6.9), "petal_width": (0.1, 2.5)}
ROWS, SAMPLE = 100_000, 1000
TIMEOUT = 600
CELLS = [  # a notebook without predict_batch, whose predict returns a float
    ("code", [], "weights = {'sepal_length': 0.1, 'sepal_width': -0.2, 'petal_length': 0.5, 'petal_width': 1.0}"),
    ("code", ["predict"], "def predict(sepal_length: float, sepal_width: float, petal_length: float, "
     "petal_width: float = 1.0) -> float:\n"
     "    return (weights['sepal_length'] * sepal_length + weights['sepal_width'] * sepal_width\n"
     "            + weights['petal_length'] * petal_length + weights['petal_width'] * petal_width)"),
    ("code", ["example"],
     "example = {'sepal_length': 5.1, 'sepal_width': 3.5, 'petal_length': 1.4, 'petal_width': 0.2}"),
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.kernel,  # builds notebooks in a real kernel
    # Spark needs Java: skipped without it, except in CI (.ci/run installs it), where its absence must fail
    pytest.mark.skipif(shutil.which("java") is None and os.environ.get("CI") != "true", reason="Spark needs Java"),
]


def env(*projects: Path) -> dict[str, str]:
    """The environment of a subprocess (and of its Spark workers) that imports the built packages."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, projects)), "PYTHONDONTWRITEBYTECODE": "1"}


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = build(BuildOptions(IRIS, tmp_path_factory.mktemp("built") / "iris-service", gate=False))
    assert result.package_name == "iris_service"
    return result.output


@pytest.fixture(scope="module")
def per_row(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built notebook without predict_batch."""
    notebook = tmp_path_factory.mktemp("notebook") / "score.ipynb"
    nb = nbformat.v4.new_notebook()
    for _, tags, source in CELLS:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.write(nb, notebook)
    result = build(BuildOptions(notebook, tmp_path_factory.mktemp("built") / "score-service", gate=False))
    assert result.package_name == "score_service"
    assert "predict_batch=" not in (result.output / "score_service" / "service.py").read_text(encoding="utf-8")
    return result.output


def draw(count: int, seed: int) -> list[dict[str, float]]:
    rows = random.Random(seed)
    return [{name: round(rows.uniform(low, high), 2) for name, (low, high) in RANGES.items()} for _ in range(count)]


def spark_predict(project: Path, package: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", package, "predict", "--engine", "spark", "--master", "local[2]", *args],
        env=env(project), capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )


def test_parquet_scored_on_spark_equals_the_service(iris: Path, tmp_path: Path) -> None:
    frame = pd.DataFrame(draw(ROWS, 17))
    frame.insert(0, "id", range(ROWS))  # not an argument of predict: carried through
    frame.to_parquet(tmp_path / "in.parquet", index=False)

    run = spark_predict(iris, "iris_service", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "out.parquet"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"scored {ROWS} rows; skipped 0 rows" in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet", "out.parquet"]  # no partial left
    out = pd.read_parquet(tmp_path / "out.parquet").sort_values("id").reset_index(drop=True)
    assert list(out.columns) == [*frame.columns, "prediction"]
    assert len(out) == ROWS and out["id"].tolist() == list(range(ROWS))
    assert out[list(RANGES)].equals(frame[list(RANGES)])
    assert set(out["prediction"]) == {"setosa", "versicolor", "virginica"}

    sample = sorted(random.Random(3).sample(range(ROWS), SAMPLE))
    instances = [{name: float(frame.at[i, name]) for name in RANGES} for i in sample]
    answers: list[str] = []
    with running_service(iris, "iris_service", log_path=tmp_path / "service.log") as service, service.client() as http:
        for start in range(0, SAMPLE, 100):
            response = http.post("/predict/batch", json={"instances": instances[start : start + 100]})
            assert response.status_code == 200, response.text
            answers += response.json()["predictions"]
        one = http.post("/predict", json=instances[0]).json()["prediction"]
    assert one == answers[0]
    assert out["prediction"][sample].tolist() == answers


def test_an_invalid_row_fails_the_job_naming_it(iris: Path, tmp_path: Path) -> None:
    rows = draw(50, 5)
    rows[7]["sepal_width"] = "wide"  # type: ignore[assignment]
    pd.DataFrame(rows).to_csv(tmp_path / "in.csv", index=False)

    run = spark_predict(iris, "iris_service", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"))
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: row {json.dumps({k: str(v) for k, v in rows[7].items()})}: sepal_width: Input should "
                      "be a valid number, unable to parse string as a number"], run.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]  # nothing written, nothing left

    # --skip-invalid: the row gets an error column, is counted and listed; the others are scored
    run = spark_predict(iris, "iris_service", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"),
                        "--skip-invalid")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "scored 49 rows; skipped 1 row" in run.stderr
    assert [line for line in run.stderr.splitlines() if line.startswith("skipped row ")] == [
        errors[0].replace("error: ", "skipped ", 1)]
    parts = sorted((tmp_path / "out.csv").glob("part-*.csv"))
    written = pd.concat(pd.read_csv(part, escapechar="\\") for part in parts)  # Spark escapes quotes with \
    assert len(written) == 50 and written["error"].notna().sum() == 1 and written["prediction"].notna().sum() == 49


def test_without_pyspark_one_line_says_what_to_install(iris: Path, tmp_path: Path) -> None:
    code = ("import sys; sys.modules['pyspark'] = None; from iris_service.cli import main; "
            f"sys.exit(main(['predict', '--engine', 'spark', {str(tmp_path / 'in.parquet')!r}, '-o', 'out']))")
    run = subprocess.run([sys.executable, "-c", code], env=env(iris), capture_output=True, text=True, timeout=60,
                         check=False)
    assert (run.returncode, run.stdout, run.stderr) == (
        1, "", "error: --engine spark needs pyspark: pip install 'iris-service[spark]'\n")


API = """
import json, sys
from pyspark.sql import SparkSession
from iris_service.service import SERVICE as IRIS
from iris_service.spark import score_dataframe as score_iris  # the package's own module
from score_service.runtime.spark import score_dataframe  # the runtime's, for any SERVICE
from score_service.service import SERVICE as SCORE

rows = json.loads(sys.argv[1])
spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate()
names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
frame = spark.createDataFrame([tuple(row[name] for name in names) for row in rows],
                              ", ".join(f"{name} double" for name in names))
iris = score_iris(frame, skip_invalid=True).toPandas()
score = score_dataframe(SCORE, frame.where(frame.sepal_width.isNotNull()), skip_invalid=True)
types = {f.name: f.dataType.simpleString() for f in score.schema.fields}
IRIS.load_artifacts(None)
SCORE.load_artifacts(None)
expected = [IRIS.predict(**row) if None not in row.values() else None for row in rows]
print(json.dumps({
    "iris": [p if isinstance(p, str) else None for p in iris.prediction.tolist()],  # nulls: NaN in pandas
    "errors": [e if isinstance(e, str) else None for e in iris.error.tolist()], "expected": expected,
    "score": score.toPandas().prediction.tolist(), "types": types,
    "score_expected": [SCORE.predict(**{k: v for k, v in row.items() if v is not None})
                       for row in rows if row["sepal_width"] is not None],
}))
spark.stop()
"""


def test_score_dataframe_with_and_without_predict_batch(iris: Path, per_row: Path, tmp_path: Path) -> None:
    rows: list[dict[str, float | None]] = [*draw(300, 9)]  # type: ignore[list-item]
    rows[4]["sepal_width"] = None  # a required argument missing
    rows[9]["petal_width"] = None  # the per-row notebook's default applies
    script = tmp_path / "api.py"
    script.write_text(API, encoding="utf-8")
    run = subprocess.run([sys.executable, str(script), json.dumps(rows)], env=env(iris, per_row),
                         capture_output=True, text=True, timeout=TIMEOUT, check=False, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    errors = result["errors"]
    assert [i for i, error in enumerate(errors) if error] == [4, 9]
    assert errors[4].endswith(": sepal_width: Field required") and errors[4].startswith("row {")
    assert errors[9].endswith(": petal_width: Field required")  # iris has no default
    assert result["iris"] == result["expected"]
    assert result["types"]["prediction"] == "double"
    assert "error" in result["types"]
    assert result["score"] == result["score_expected"]  # predict row by row: exactly its floats
