"""How long a build of the bundled example takes, split into the notebook's own execution
and nb2prod's overhead.

    python benchmarks/build_speed.py [--repeat N] [--verify]

The notebook's execution (a fresh kernel running the cells) is the baseline: it is what
any tool that runs the notebook pays. Everything else (lint gate, analysis, capture,
rendering the template, moving into place) is nb2prod's overhead, reported as a share of
the whole and as a ratio to the execution. ``--verify`` adds one verify run (a fresh venv,
pip install, the generated tests), which is dominated by pip.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "iris" / "train.ipynb"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--verify", action="store_true")
    args = parser.parse_args(argv)

    from nb2prod.converter import BuildOptions, build

    rows: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            start = time.perf_counter()
            result = build(BuildOptions(EXAMPLE, Path(tmp) / f"svc{i}"))
            total = time.perf_counter() - start
            t = dict(result.timings)
            t["total"] = total
            rows.append(t)
        verify_seconds = None
        if args.verify:
            start = time.perf_counter()
            result = build(BuildOptions(EXAMPLE, Path(tmp) / "verified", verify=True))
            verify_seconds = result.timings.get("verify")
            if not result.verified:
                print(result.verify_log[-3000:], file=sys.stderr)

    def med(key: str) -> float:
        return statistics.median(r.get(key, 0.0) for r in rows)

    total, execute = med("total"), med("execute")
    overhead = total - execute
    print(f"example: {EXAMPLE.relative_to(ROOT)}; python {sys.version.split()[0]}; median of {args.repeat} builds")
    print(f"{'stage':12}{'seconds':>9}")
    for stage in ("lint", "analyse", "execute", "capture", "render"):
        print(f"{stage:12}{med(stage):9.3f}")
    print(f"{'total':12}{total:9.3f}")
    print(f"notebook execution (kernel start + cells): {execute:.3f} s = {100 * execute / total:.0f}% of the build")
    print(f"nb2prod overhead (everything else):        {overhead:.3f} s = {100 * overhead / total:.0f}% "
          f"({overhead / execute:.2f}x the execution)")
    if verify_seconds is not None:
        print(f"--verify (fresh venv + pip install + generated tests): {verify_seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
