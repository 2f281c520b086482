"""How fast the service that `nb2prod build` generates serves, against a hand-written FastAPI app.

    python benchmarks/serve_speed.py [--duration S] [--connections N] [--repeat R] [--workers W]

Both apps serve the same model: `examples/iris/train.ipynb` is built into a temporary
folder with nb2prod's build API, and run from there (PYTHONPATH) with this interpreter.
The baseline, written below, is what someone would write by hand: it loads the same
artifact file, validates a pydantic model of the four floats, and answers `/predict` with
the label computed exactly as the notebook's `predict` does (a one-row DataFrame through
the pipeline), so the difference between the two is the generated app's own work:
metrics, drift monitoring (if the template has it), JSON access logs, request ids and
limits. Both run under uvicorn on 127.0.0.1 with the same settings, each in its own
process, and are driven by the same load generator (below: asyncio, raw HTTP/1.1 with
keep-alive, N concurrent connections, closed loop) in a process of its own. With two or
more CPUs and one worker, the server is pinned to one CPU and the load generator to
another. Repeats alternate the order of the two apps, so a drift of the machine's speed
hits both alike.

A third run of the generated app has its prediction store off (`<PREFIX>_STORE_URL=off`;
the generated app itself stores every prediction in a SQLite file): the cost of the store,
reported as on/off ratios of throughput and p99 (issue 16's target: within 10%).

For each app: requests/s and p50/p99 latency of `POST /predict`; rows/s of
`POST /predict/batch` in batches of `--batch-rows`; cold start (process start to the first
200 from `/ready`); and the RSS of the server after the load (VmRSS, summed over its
processes). Then the ratio generated/baseline of each (medians over the repeats).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "iris" / "train.ipynb"
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
TARGET_RATIO = 0.8

BASELINE_APP = '''\
"""A minimal hand-written FastAPI app serving the iris model: the benchmark's baseline."""

import json
import os
from pathlib import Path

import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def load_model(folder: Path):
    entry = json.loads((folder / "nb2prod.lock.json").read_text())["artifacts"][0]
    path = folder / "artifacts" / entry["file"]
    if entry["format"] == "skops":
        import skops.io

        return skops.io.load(path, trusted=entry.get("trusted") or [])
    import joblib

    return joblib.load(path)


model = load_model(Path(os.environ["BASELINE_MODEL_DIR"]))


class Flower(BaseModel):
    sepal_length: float
    sepal_width: float
    petal_length: float
    petal_width: float


class Batch(BaseModel):
    instances: list[Flower]


def label(flower: Flower) -> str:
    row = pd.DataFrame(
        [[flower.sepal_length, flower.sepal_width, flower.petal_length, flower.petal_width]], columns=FEATURES
    )
    return str(model.predict(row)[0])


app = FastAPI()


@app.post("/predict")
def predict(flower: Flower) -> dict:
    return {"prediction": label(flower)}


@app.post("/predict/batch")
def predict_batch(batch: Batch) -> dict:
    return {"predictions": [label(flower) for flower in batch.instances]}


@app.get("/ready")
def ready() -> dict:
    return {"status": "ready"}
'''


# ---- the load generator (runs in its own process: `serve_speed.py --load-generator`, spec on stdin) ----


def request_bytes(port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _connection(
    port: int, requests: list[bytes], offset: int, start: float, end: float, result: dict
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    number = offset
    try:
        while (sent := time.perf_counter()) < end:
            writer.write(requests[number % len(requests)])
            number += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            done = time.perf_counter()
            if sent >= start:  # the warm-up is not counted
                result["latencies"].append(done - sent)
                result["statuses"][status] = result["statuses"].get(status, 0) + 1
                result["first"] = min(result["first"], sent)
                result["last"] = max(result["last"], done)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def _load(spec: dict) -> dict:
    requests = [request_bytes(spec["port"], spec["path"], body.encode()) for body in spec["bodies"]]
    start = time.perf_counter() + spec["warmup"]
    end = start + spec["duration"]
    result: dict = {"latencies": [], "statuses": {}, "first": end, "last": start}
    await asyncio.gather(
        *(_connection(spec["port"], requests, i * 7, start, end, result) for i in range(spec["connections"]))
    )
    latencies = sorted(result["latencies"])
    elapsed = result["last"] - result["first"]  # from the first counted request sent to the last answer
    quantile = (lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]) if latencies else None
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "per_second": len(latencies) / elapsed if elapsed > 0 else 0.0,
        "p50_ms": 1000 * quantile(0.50) if quantile else None,
        "p99_ms": 1000 * quantile(0.99) if quantile else None,
        "statuses": {str(k): v for k, v in result["statuses"].items()},
    }


def load_generator() -> int:
    spec = json.loads(sys.stdin.read())
    if spec.get("cpu") is not None:
        os.sched_setaffinity(0, {spec["cpu"]})
    print(json.dumps(asyncio.run(_load(spec))))
    return 0


def drive(port: int, path: str, bodies: list[str], args: argparse.Namespace, cpu: int | None, connections: int) -> dict:
    """Run the load generator in its own process against 127.0.0.1:`port`; its measurements."""
    spec = {
        "port": port,
        "path": path,
        "bodies": bodies,
        "connections": connections,
        "duration": args.duration,
        "warmup": args.warmup,
        "cpu": cpu,
    }
    done = subprocess.run(
        [sys.executable, __file__, "--load-generator"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=args.duration + args.warmup + 300,
    )
    if done.returncode != 0:
        raise SystemExit(f"the load generator failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


# ---- the servers ----


@dataclass
class App:
    name: str
    target: str  # module:attribute for uvicorn
    env: dict[str, str]
    runs: list[dict] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(port: int, method: str, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """A bare HTTP/1.1 request (no proxies, no client library in the way): status and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head[9:12]), body


def process_tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            pids += process_tree(int(child))
    return pids


def rss_mib(pid: int) -> float:
    """VmRSS of `pid` and its descendants (uvicorn's workers), in MiB."""
    total_kib = 0
    for each in process_tree(pid):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


@contextlib.contextmanager
def server(
    app: App, args: argparse.Namespace, cpu: int | None, log: Path
) -> Iterator[tuple[subprocess.Popen, int, float]]:
    """The app under uvicorn on a free port: the process, its port, and the seconds until /ready first said 200."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app.target, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(args.workers), "--no-access-log", "--log-level", "warning"]
    with log.open("ab") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=app.env, stdout=out, stderr=subprocess.STDOUT)
    if cpu is not None:
        os.sched_setaffinity(process.pid, {cpu})
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{app.name} stopped while starting; see {log}:\n{log.read_text()[-3000:]}")
            try:
                if http(port, "GET", "/ready")[0] == 200:
                    break
            except OSError:
                pass
            if time.perf_counter() - started > 120:
                raise SystemExit(f"{app.name} was not ready within 120 s")
            time.sleep(0.01)
        yield process, port, time.perf_counter() - started
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure(app: App, bodies: list[str], batch_bodies: list[str], args: argparse.Namespace, cpus, log: Path) -> dict:
    server_cpu, load_cpu = cpus
    with server(app, args, server_cpu, log) as (process, port, cold_start):
        single = drive(port, "/predict", bodies, args, load_cpu, args.connections)
        batch = drive(port, "/predict/batch", batch_bodies, args, load_cpu, 1)
        run = {
            "cold_start": cold_start,
            "per_second": single["per_second"],
            "p50_ms": single["p50_ms"],
            "p99_ms": single["p99_ms"],
            "requests": single["requests"],
            "errors": {k: v for k, v in {**single["statuses"], **batch["statuses"]}.items() if k != "200"},
            "rows_per_second": batch["per_second"] * args.batch_rows,
            "batches": batch["requests"],
            "rss_mib": rss_mib(process.pid),
        }
        if app.name == "generated":
            run["drift"] = http(port, "GET", "/drift")
            run["metrics"] = http(port, "GET", "/metrics")[0]
    app.runs.append(run)
    return run


# ---- the benchmark ----


def iris_rows() -> list[dict[str, float]]:
    """The 150 flowers of the iris data: in-distribution traffic, so drift monitoring does its usual work."""
    from sklearn.datasets import load_iris

    return [dict(zip(FEATURES, map(float, row), strict=True)) for row in load_iris().data]


def choose_cpus(workers: int) -> tuple[int | None, int | None]:
    """(server CPU, load generator CPU), or Nones when they cannot be kept apart."""
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if workers == 1 and len(available) >= 2:
        return available[0], available[1]
    return None, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of measured load per run (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections (default 8)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each app, alternating (default 3)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of each app (default 1)")
    parser.add_argument("--batch-rows", type=int, default=1000, help="rows a /predict/batch request (default 1000)")
    parser.add_argument("--load-generator", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_generator:
        return load_generator()

    from nb2prod.converter import BuildOptions, build

    rows = iris_rows()
    bodies = [json.dumps(row) for row in rows]
    batch = [rows[i % len(rows)] for i in range(args.batch_rows)]
    batch_bodies = [json.dumps({"instances": batch})]
    cpus = choose_cpus(args.workers)

    with tempfile.TemporaryDirectory(prefix="serve-speed-") as tmp:
        work = Path(tmp)
        built = build(BuildOptions(EXAMPLE, work / "iris-service"))
        (work / "baseline").mkdir()
        (work / "baseline" / "baseline_app.py").write_text(BASELINE_APP, encoding="utf-8")
        base_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        prefix = built.package_name.upper()
        generated = App("generated", f"{built.package_name}.app:app", {
            **base_env, "PYTHONPATH": str(built.output), f"{prefix}_STORE_URL": f"sqlite:///{work / 'store.sqlite3'}",
        })
        # The same generated app with its prediction store off: what storing every prediction costs.
        store_off = App("store off", generated.target, {**generated.env, f"{prefix}_STORE_URL": "off"})
        baseline = App(
            "baseline",
            "baseline_app:app",
            {
                **base_env,
                "PYTHONPATH": str(work / "baseline"),
                "BASELINE_MODEL_DIR": str(built.output / built.package_name),
            },
        )
        apps = [generated, baseline, store_off]
        for number in range(args.repeat):
            order = apps[number % 3:] + apps[:number % 3]  # each app first, second and last in turn
            for app in order:
                run = measure(app, bodies, batch_bodies, args, cpus, work / f"{app.name}.log")
                print(
                    f"run {number + 1} {app.name:9} {run['per_second']:8.1f} req/s  p50 {run['p50_ms']:6.2f} ms  "
                    f"p99 {run['p99_ms']:6.2f} ms  batch {run['rows_per_second']:7.0f} rows/s  "
                    f"cold start {run['cold_start']:5.2f} s  RSS {run['rss_mib']:6.1f} MiB",
                    file=sys.stderr,
                    flush=True,
                )
        report(generated, baseline, built.package_name, args, cpus)
        report_store(generated, store_off, work / "store.sqlite3")
    return 0


STORE_TARGET = 0.10  # issue 16: with the store on, throughput and p99 within 10% of the store off


def report_store(store_on: App, store_off: App, database: Path) -> None:
    """The generated app with its SQLite prediction store against the same app with the store off."""
    import sqlite3

    def median(app: App, key: str) -> float:
        return statistics.median(run[key] for run in app.runs)

    with contextlib.closing(sqlite3.connect(database)) as conn:
        stored = conn.execute("SELECT count(*) FROM predictions").fetchone()[0]
    print(f"\nthe prediction store: SQLite ({stored} predictions stored over the runs) against "
          f"{store_off.env[next(k for k in store_off.env if k.endswith('_STORE_URL'))]!r}")
    print(f"| {'':42} | {'store on':>10} | {'store off':>10} | {'on/off':>8} |")
    print(f"|{'-' * 44}|{'-' * 11}:|{'-' * 11}:|{'-' * 9}:|")
    for label, key, style in (("POST /predict, requests/s", "per_second", "{:.1f}"),
                              ("POST /predict, p99 latency (ms)", "p99_ms", "{:.2f}"),
                              ("POST /predict/batch, rows/s", "rows_per_second", "{:.0f}")):
        on, off = median(store_on, key), median(store_off, key)
        print(f"| {label:42} | {style.format(on):>10} | {style.format(off):>10} | {on / off:>8.2f} |")
    throughput = median(store_on, "per_second") / median(store_off, "per_second")
    p99 = median(store_on, "p99_ms") / median(store_off, "p99_ms")
    verdict = "meets" if throughput >= 1 - STORE_TARGET and p99 <= 1 + STORE_TARGET else "MISSES"
    print(f"store on/off: throughput {throughput:.2f}, p99 {p99:.2f} ({verdict} the target: within "
          f"{STORE_TARGET:.0%} of the store off)")


def report(generated: App, baseline: App, package: str, args: argparse.Namespace, cpus) -> None:
    def median(app: App, key: str) -> float:
        return statistics.median(run[key] for run in app.runs)

    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("fastapi", "uvicorn", "pydantic"))
    extras = [name for name in ("uvloop", "httptools") if _installed(name)]
    print(f"python {platform.python_version()}; {versions}; uvicorn extras: {', '.join(extras) or 'none'}")
    print(f"{os.cpu_count()} CPUs; " + (
        f"server pinned to CPU {cpus[0]}, load generator to CPU {cpus[1]}" if cpus[0] is not None
        else "server and load generator not pinned (one CPU, or several workers)"
    ))
    print(
        f"uvicorn --workers {args.workers} --no-access-log, 127.0.0.1; {args.connections} keep-alive connections; "
        f"{args.warmup:g} s warm-up + {args.duration:g} s measured; median of {args.repeat} alternating runs"
    )
    drift_status, drift_body = generated.runs[-1]["drift"]
    if drift_status == 200:
        summary = json.loads(drift_body)
        keys = ", ".join(sorted(summary)) if isinstance(summary, dict) else type(summary).__name__
        print(f"generated app ({package}): drift monitoring ON (/drift answers 200: {keys})", end="; ")
    else:
        print(f"generated app ({package}): drift monitoring OFF (/drift answers {drift_status})", end="; ")
    print(f"/metrics answers {generated.runs[-1]['metrics']}")
    errors = {app.name: run["errors"] for app in (generated, baseline) for run in app.runs if run["errors"]}
    if errors:
        print(f"NON-200 ANSWERS: {errors}")
    print()
    rows = [
        ("POST /predict, requests/s", "per_second", "{:.1f}", True),
        ("POST /predict, p50 latency (ms)", "p50_ms", "{:.2f}", False),
        ("POST /predict, p99 latency (ms)", "p99_ms", "{:.2f}", False),
        (f"POST /predict/batch ({args.batch_rows} rows), rows/s", "rows_per_second", "{:.0f}", True),
        ("cold start to first 200 from /ready (s)", "cold_start", "{:.2f}", False),
        ("RSS after the load (MiB)", "rss_mib", "{:.1f}", False),
    ]
    print(f"| {'':42} | {'generated':>10} | {'baseline':>10} | {'generated/baseline':>18} |")
    print(f"|{'-' * 44}|{'-' * 11}:|{'-' * 11}:|{'-' * 19}:|")
    for label, key, style, _ in rows:
        mine, theirs = median(generated, key), median(baseline, key)
        print(f"| {label:42} | {style.format(mine):>10} | {style.format(theirs):>10} | {mine / theirs:>18.2f} |")
    ratio = median(generated, "per_second") / median(baseline, "per_second")
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"\nthroughput ratio generated/baseline: {ratio:.2f} ({verdict} the target of {TARGET_RATIO})")


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
