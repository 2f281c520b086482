"""How many rows a second the generated service scores in batches, with the notebook's `predict_batch` and without.

    python benchmarks/batch_speed.py [--rows N] [--batch-rows B] [--duration S] [--repeat R]

`examples/iris/train.ipynb` (which defines a vectorised `predict_batch`) is built twice into a
temporary folder with nb2prod's build API: as it is, and from a copy of the notebook with the
`predict_batch` definition taken out (so the service calls `predict` once per row, as before issue 17).
For each build:

- `POST /predict/batch` with `--batch-rows` rows a request (the iris flowers, over and over), driven by
  serve_speed.py's load generator (one keep-alive connection, closed loop, its own process and CPU)
  against `uvicorn <package>.app:app` on 127.0.0.1 (prediction store on, in a temporary SQLite file);
- the batch scorer, `python -m <package> predict` on a JSON-lines and a CSV file (`--rows` rows with
  predict_batch, `--rows-without` without): rows/s of the whole process (start-up and artifact loading
  included; the best of `--repeat` runs), its start-up alone (the same command on a one-row file), and
  rows/s net of the start-up.

It prints rows/s of each, the ratio with/without predict_batch, and the issue's targets
(with predict_batch: /predict/batch >= 20,000 rows/s, the batch scorer >= 50,000 rows/s).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serve_speed  # the servers and the load generator
from _iris import without_predict_batch

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "iris" / "train.ipynb"
TARGETS = {"/predict/batch": 20_000, "scorer": 50_000}


def write_inputs(folder: Path, rows: int) -> tuple[Path, Path]:
    """A JSON-lines and a CSV file of `rows` iris flowers."""
    flowers = serve_speed.iris_rows()
    names = list(serve_speed.FEATURES)
    jsonl, table = folder / "flowers.jsonl", folder / "flowers.csv"
    with jsonl.open("w", encoding="utf-8") as out:
        for i in range(rows):
            out.write(json.dumps(flowers[i % len(flowers)]) + "\n")
    with table.open("w", encoding="utf-8") as out:
        out.write(",".join(names) + "\n")
        for i in range(rows):
            out.write(",".join(repr(flowers[i % len(flowers)][n]) for n in names) + "\n")
    return jsonl, table


def run_scorer(project: Path, package: str, source: Path, out: Path) -> float:
    """Seconds of one `python -m <package> predict SOURCE -o OUT`, the whole process."""
    env = {**os.environ, "PYTHONPATH": str(project), f"{package.upper()}_STORE_URL": "off"}
    out.unlink(missing_ok=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", package, "predict", str(source), "-o", str(out)],
                          env=env, capture_output=True, text=True, timeout=7200)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the scorer failed on {source}:\n{done.stderr[-3000:]}")
    return elapsed


def scorer_rates(project: Path, package: str, source: Path, rows: int, repeat: int, work: Path) -> dict[str, float]:
    """The scorer on `source` (`rows` rows): rows/s of the whole process (best of `repeat`), its start-up (the
    same command on a file of one row: imports, artifacts verified and loaded), and rows/s net of the start-up."""
    out = work / f"out{source.suffix}"
    one = work / f"one{source.suffix}"
    with source.open(encoding="utf-8") as lines:
        head = [next(lines) for _ in range(2 if source.suffix == ".csv" else 1)]
    one.write_text("".join(head), encoding="utf-8")
    startup = min(run_scorer(project, package, one, out) for _ in range(repeat))
    best = min(run_scorer(project, package, source, out) for _ in range(repeat))
    with out.open("rb") as written:
        predictions = sum(1 for _ in written) - (1 if out.suffix == ".csv" else 0)
    if predictions != rows:
        raise SystemExit(f"the scorer wrote {predictions} predictions for {rows} rows")
    return {"whole": rows / best, "startup": startup, "net": (rows - 1) / max(best - startup, 1e-9)}


def endpoint_rate(app: serve_speed.App, body: str, batch_rows: int, args: argparse.Namespace, log: Path) -> float:
    """Rows/s of /predict/batch with `body` (a batch of `batch_rows` rows), median of `args.repeat` runs."""
    server_cpu, load_cpu = serve_speed.choose_cpus(1)
    rates = []
    for _ in range(args.repeat):
        with serve_speed.server(app, args, server_cpu, log) as (_, port, _):
            result = serve_speed.drive(port, "/predict/batch", [body], args, load_cpu, 1)
        errors = {status: n for status, n in result["statuses"].items() if status != "200"}
        if errors:
            raise SystemExit(f"{app.name}: /predict/batch answered {errors}; see {log}")
        rates.append(result["per_second"] * batch_rows)
    return statistics.median(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="rows of each file the scorer scores with predict_batch (1000000)")
    parser.add_argument("--rows-without", type=int, default=20_000,
                        help="rows of each file without predict_batch: it is about 100 times slower (20000)")
    parser.add_argument("--batch-rows", type=int, default=1000, help="rows a /predict/batch request (1000)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of measured load a run (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring (2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (3)")
    args = parser.parse_args(argv)
    args.workers = 1  # serve_speed.server's option

    from nb2prod.converter import BuildOptions, build

    flowers = serve_speed.iris_rows()
    body = json.dumps({"instances": [flowers[i % len(flowers)] for i in range(args.batch_rows)]})
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="batch-speed-") as tmp:
        work = Path(tmp)
        notebooks = {
            "with predict_batch": (EXAMPLE, args.rows),
            "without": (without_predict_batch(EXAMPLE, work / "plain" / "train.ipynb"), args.rows_without),
        }
        for name, (notebook, rows) in notebooks.items():
            folder = work / name.replace(" ", "-")
            folder.mkdir(exist_ok=True)
            built = build(BuildOptions(notebook, folder / "iris-service"))
            package = built.package_name
            app = serve_speed.App(name, f"{package}.app:app", {
                **os.environ, "PYTHONPATH": str(built.output), "PYTHONDONTWRITEBYTECODE": "1",
                f"{package.upper()}_STORE_URL": f"sqlite:///{folder / 'store.sqlite3'}",
            })
            figures = {"/predict/batch": endpoint_rate(app, body, args.batch_rows, args, folder / "server.log")}
            for kind, source in zip(("jsonl", "csv"), write_inputs(folder, rows), strict=True):
                rates = scorer_rates(built.output, package, source, rows, args.repeat, folder)
                figures[f"scorer {kind}, whole run"] = rates["whole"]
                figures[f"scorer {kind}, net"] = rates["net"]
                figures[f"scorer {kind}, start-up s"] = rates["startup"]
                source.unlink()
            results[name] = figures
            print(f"{name} ({rows} rows a file): " + "  ".join(f"{key} {value:.1f}" for key, value in figures.items()),
                  file=sys.stderr, flush=True)
            shutil.rmtree(folder)
    print(f"\n{os.cpu_count()} CPUs, Python {sys.version.split()[0]}; {args.batch_rows} rows a request; scorer "
          f"files of {args.rows} rows with predict_batch, {args.rows_without} without. Rows/s (start-up in seconds); "
          "'net' is rows/s once started: (rows - 1) / (whole run - start-up)")
    print(f"{'':26} {'with predict_batch':>20} {'without':>12} {'ratio':>8} {'target':>8}")
    for key in results["without"]:
        with_, without = results["with predict_batch"][key], results["without"][key]
        if key.endswith("start-up s"):
            print(f"{key:26} {with_:20.2f} {without:12.2f}")
            continue
        target = TARGETS["/predict/batch" if key == "/predict/batch" else "scorer"]
        verdict = "met" if with_ >= target else "missed"
        print(f"{key:26} {with_:20.0f} {without:12.0f} {with_ / without:7.1f}x {target:>8} {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
