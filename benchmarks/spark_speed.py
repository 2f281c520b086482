"""Rows/s of Spark scoring (`predict --engine spark --master local[2]`) against the package's own batch scorer.

    python benchmarks/spark_speed.py [--sizes 100000,1000000] [--per-row-sizes 100000,1000000] [--master local[2]]

`examples/iris/train.ipynb` is built twice into a temporary folder with nb2prod's build API: as it is
(with its `predict_batch`) and from a copy without the `predict_batch` definition (so everything calls
`predict` row by row). For each size, one CSV file of random iris rows is scored by both engines of each
package, in subprocesses of this interpreter: `python -m <package> predict in.csv -o out.csv` (the local,
streaming batch scorer) and the same with `--engine spark --master local[2] -o out_spark.csv`. The time is
the wall clock of the whole command, so Spark's start (a JVM, its Python workers) is in its figure. Prints
rows/s of each run, and the ratio spark/batch scorer at each size. Issue 17's targets, with predict_batch:
the batch scorer at least 50,000 rows/s, and Spark local[2] at least the batch scorer's rate at 1M rows.
The per-row runs are long (the local scorer calls the model once a row): `--per-row-sizes` limits them.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _iris import without_predict_batch

ROOT = Path(__file__).resolve().parent.parent
IRIS = ROOT / "examples" / "iris" / "train.ipynb"
RANGES = {"sepal_length": (4.3, 7.9), "sepal_width": (2.0, 4.4), "petal_length": (1.0, 6.9), "petal_width": (0.1, 2.5)}


def write_rows(path: Path, count: int) -> None:
    draw = random.Random(count)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(list(RANGES))
        for _ in range(count):
            writer.writerow([round(draw.uniform(low, high), 2) for low, high in RANGES.values()])


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    run = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{run.stderr[-3000:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="rows of each file, with predict_batch")
    parser.add_argument("--per-row-sizes", default="100000,1000000", help="rows of each file, without predict_batch")
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    from nb2prod.converter import BuildOptions, build

    sizes = {"with predict_batch": [int(s) for s in args.sizes.split(",") if s],
             "without predict_batch": [int(s) for s in args.per_row_sizes.split(",") if s]}
    with tempfile.TemporaryDirectory(prefix="spark_speed-") as folder:
        work = Path(folder)
        notebooks = {"with predict_batch": IRIS,
                     "without predict_batch": without_predict_batch(IRIS, work / "train.ipynb")}
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, spark master {args.master}")
        print(f"{'notebook':<22} {'rows':>9} {'batch scorer':>14} {'spark':>14} {'spark/batch':>12}")
        for label, notebook in notebooks.items():
            if not sizes[label]:
                continue
            (work / label.replace(" ", "-")).mkdir()
            result = build(BuildOptions(notebook, work / label.replace(" ", "-") / "iris-service", gate=False))
            env = {**os.environ, "PYTHONPATH": str(result.output), "PYTHONDONTWRITEBYTECODE": "1"}
            package = [sys.executable, "-m", result.package_name, "predict"]
            for count in sizes[label]:
                source = work / f"in-{count}.csv"
                if not source.exists():
                    write_rows(source, count)
                local = timed([*package, str(source), "-o", str(work / "out.csv")], env)
                spark = timed([*package, "--engine", "spark", "--master", args.master, str(source),
                               "-o", str(work / "out_spark.csv")], env)
                print(f"{label:<22} {count:>9} {count / local:>10.0f} r/s {count / spark:>10.0f} r/s "
                      f"{local / spark:>12.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
