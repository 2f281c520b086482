"""Lint throughput over the corpus, against a floor measured in the same run.

    python benchmarks/lint_speed.py [CORPUS_DIR] [--repeat N] [--jobs N]

The floor is the least any linter must do: read every notebook with ``json`` and
``ast.parse`` each code cell. The full lint is ``nb2prod.engine.lint_paths`` with every
rule selected, single process and with ``--jobs``. Each measurement is repeated and the
median is reported, after a first cold run that pays for lazy imports (reported too).
Target (issue 2): full single-process lint at most 3x the floor.
"""

from __future__ import annotations

import argparse
import ast
import gc
import json
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def floor(paths: list[Path]) -> int:
    cells = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for p in paths:
            try:
                data = json.loads(p.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue
            if not isinstance(data, dict):
                continue
            for cell in data.get("cells", []) or data.get("worksheets", [{}])[0].get("cells", []):
                if cell.get("cell_type") != "code":
                    continue
                src = cell.get("source", cell.get("input", ""))
                src = "".join(src) if isinstance(src, list) else src
                try:
                    ast.parse(src)
                except (SyntaxError, ValueError):
                    pass
                cells += 1
    return cells


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(cold first run, median of ``repeat`` further runs) in seconds."""
    gc.collect()
    t = time.perf_counter()
    fn()
    cold = time.perf_counter() - t
    runs = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return cold, statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--breakdown", action="store_true", help="also time the stages of one lint")
    args = parser.parse_args(argv)

    corpus = Path(args.corpus)
    paths = sorted(corpus.rglob("*.ipynb"))
    if not paths:
        print(f"no notebooks under {corpus}", file=sys.stderr)
        return 2

    from nb2prod.engine import lint_paths

    n = len(paths)
    cells = floor(paths)
    f_cold, f_med = timed(lambda: floor(paths), args.repeat)
    l_cold, l_med = timed(lambda: lint_paths(paths, jobs=1), args.repeat)
    j_cold, j_med = timed(lambda: lint_paths(paths, jobs=args.jobs), max(1, args.repeat // 2))
    run = lint_paths(paths, jobs=1)

    print(f"corpus: {corpus} ({n} notebooks, {cells} code cells, "
          f"{sum(p.stat().st_size for p in paths) / 1e6:.1f} MB)")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.repeat} runs after a cold run")
    print(f"{'':34}{'seconds':>9}{'notebooks/s':>13}{'x floor':>9}")
    rows = [
        ("floor (json + ast.parse)", f_med),
        ("nb2prod lint, 1 process", l_med),
        (f"nb2prod lint, --jobs {args.jobs}", j_med),
        ("nb2prod lint, 1 process, cold", l_cold),
    ]
    for label, secs in rows:
        print(f"{label:34}{secs:9.3f}{n / secs:13.0f}{secs / f_med:9.2f}")
    print(f"findings: {len(run.findings)}; target: 1 process <= 3.00x floor -> "
          f"{'met' if l_med <= 3 * f_med else 'NOT met'} ({l_med / f_med:.2f}x)")
    if args.breakdown:
        breakdown(paths, f_med, args.repeat)
    return 0


def breakdown(paths: list[Path], floor_seconds: float, repeat: int) -> None:
    """Cumulative stages of a single-process lint, each as a multiple of the floor."""
    from nb2prod.analysis import Analysis
    from nb2prod.notebook import read_notebook

    def stage(upto: str) -> Callable[[], object]:
        def run() -> None:
            for p in paths:
                nb = read_notebook(p)
                if upto == "read":
                    continue
                a = Analysis(nb)
                _ = a.parsed_cells
                if upto == "parse":
                    continue
                _ = a.calls, a.strings, a.module_definitions
                if upto == "facts":
                    continue
                _ = a.name_problems

        return run

    print("where the time goes (cumulative, median of runs):")
    previous = 0.0
    for label, key in [("read + validate (nbformat schema)", "read"), ("+ parse (IPython-aware)", "parse"),
                       ("+ shared facts (one AST walk)", "facts"), ("+ pyflakes over the notebook", "pyflakes")]:
        _, secs = timed(stage(key), repeat)
        print(f"  {label:34}{secs:9.3f}s{secs / floor_seconds:7.2f}x floor  (+{secs - previous:.3f}s)")
        previous = secs


if __name__ == "__main__":
    raise SystemExit(main())
