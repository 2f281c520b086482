"""`nb2prod lint --fix` over a copy of the corpus: crashes, validity, findings before and after.

    python benchmarks/fix_corpus.py [CORPUS] [--unsafe] [--json OUT] [--keep DIR]

Copies CORPUS (default ../shared/corpus) to a temporary folder (the corpus is never
written), lints every notebook, fixes them all as `nb2prod lint --fix CORPUS` does (with
`--unsafe`: `--fix --unsafe-fixes`), and reports:

- notebooks fixed, left alone, refused (layout, nbformat 3) and crashed (internal errors);
- every written notebook validated with nbformat (the schema of its own version);
- a second fix of every notebook: it must change nothing (idempotent);
- findings per rule before and after, and how many the fixes removed;
- the time of the fix pass against the lint pass over the same notebooks (a ratio).

Exit 1 when a notebook crashed, became invalid or changed on the second fix.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nb2prod.engine import lint_file  # noqa: E402
from nb2prod.fixes.run import fix_paths  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--unsafe", action="store_true", help="apply the unsafe fixes too")
    ap.add_argument("--json", metavar="OUT", help="write the figures as JSON")
    ap.add_argument("--keep", metavar="DIR", help="fix a copy in DIR and keep it (default: a temporary folder)")
    args = ap.parse_args(argv)
    import nbformat

    source = Path(args.corpus)
    if not source.is_dir():
        print(f"fix_corpus: {source}: no such folder", file=sys.stderr)
        return 2
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="nb2prod-fix-corpus-"))
    copy = work / "corpus"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(source, copy, symlinks=True)
    notebooks = sorted(p for p in copy.rglob("*.ipynb") if p.is_file() and not p.is_symlink())

    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    fixed: Counter[str] = Counter()
    states: Counter[str] = Counter()
    problems: list[str] = []
    t0 = time.perf_counter()
    for nb in notebooks:
        for f in lint_file(nb).findings:
            before[f.code] += 1
    lint_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    written: list[Path] = []
    try:  # as `nb2prod lint --fix CORPUS` does: every notebook, in rounds while files change
        outcomes = fix_paths(notebooks, unsafe=args.unsafe)
    except Exception as exc:  # a crash is what this benchmark is for
        print(f"fix_corpus: crashed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    fix_seconds = time.perf_counter() - t0
    for nb, outcome in zip(notebooks, outcomes, strict=True):
        rel = nb.relative_to(copy)
        if outcome.result.error:
            states["unreadable"] += 1
        elif outcome.result.internal_errors:
            problems.append(f"{rel}: internal error: {outcome.result.internal_errors}")
            states["crashed"] += 1
        elif any(n.startswith("not fixed:") for n in outcome.result.notices):
            states["refused"] += 1
        elif outcome.written:
            states["fixed"] += 1
            written.append(nb)
        else:
            states["nothing to fix"] += 1
        fixed.update(outcome.fixed)
        for f in outcome.result.findings:
            after[f.code] += 1
    for nb in written:
        rel = nb.relative_to(copy)
        try:
            data = nbformat.read(nb, as_version=nbformat.NO_CONVERT)
            nbformat.validate(data)
        except Exception as exc:
            problems.append(f"{rel}: invalid after the fix: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    # `--fix` twice equals once: a second run over everything would change nothing.
    for nb, again in zip(notebooks, fix_paths(notebooks, unsafe=args.unsafe, write=False), strict=True):
        if again.changed:
            problems.append(f"{nb.relative_to(copy)}: a second fix changes it again ({dict(again.fixed)})")

    codes = sorted(set(before) | set(after))
    print(f"{len(notebooks)} notebooks: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items())))
    print(f"fixes applied: {sum(fixed.values())}  ({'safe and unsafe' if args.unsafe else 'safe only'})")
    print(f"lint pass {lint_seconds:.1f} s, fix pass {fix_seconds:.1f} s: fixing costs "
          f"{fix_seconds / lint_seconds if lint_seconds else 0:.1f}x a lint")
    print()
    print("| rule | before | after | fixed |")
    print("|---|---:|---:|---:|")
    for code in codes:
        if before[code] != after[code] or fixed[code]:
            print(f"| {code} | {before[code]} | {after[code]} | {fixed[code]} |")
    total_b, total_a = sum(before.values()), sum(after.values())
    print(f"| all | {total_b} | {total_a} | {sum(fixed.values())} |")
    if problems:
        print("\nproblems:")
        for p in problems:
            print("  " + p)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "notebooks": len(notebooks), "states": states, "before": before, "after": after, "fixed": fixed,
            "problems": problems, "lint_seconds": lint_seconds, "fix_seconds": fix_seconds,
        }, indent=1, sort_keys=True) + "\n")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
