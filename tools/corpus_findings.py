"""Compare ``nb2prod lint CORPUS --format json`` between a git revision and the working tree.

A refactoring must not change what the linter reports. This script lints the corpus twice,
once with the code of ``--against`` (checked out into a temporary git worktree) and once
with the code of this checkout, each in its own ``python -m nb2prod`` process, and compares
the two JSON reports whole: every notebook, finding, score, notice and summary figure.
Only the tool's ``version`` field is left out.

    python tools/corpus_findings.py --against f062844            # ../shared/corpus
    python tools/corpus_findings.py --against main~3 path/to/notebooks

Exit status: 0 when the reports are identical, 1 when they differ (the first differences
are printed), 2 when a run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


def lint_report(code_root: Path, corpus: Path) -> dict[str, Any]:
    """The JSON report of the nb2prod found in ``code_root`` over ``corpus``."""
    env = {**os.environ, "PYTHONPATH": str(code_root), "NO_COLOR": "1"}
    where = subprocess.run([sys.executable, "-c", "import nb2prod; print(nb2prod.__file__)"],
                           cwd=code_root, env=env, capture_output=True, text=True, check=True).stdout.strip()
    if not Path(where).resolve().is_relative_to(code_root.resolve()):
        raise SystemExit(f"python imports nb2prod from {where}, not from {code_root}")
    proc = subprocess.run(
        [sys.executable, "-m", "nb2prod", "lint", str(corpus), "--format", "json"],
        cwd=code_root, env=env, capture_output=True, check=False,
    )
    if proc.returncode not in (0, 1):
        raise SystemExit(f"lint with {code_root} exited {proc.returncode}: "
                         f"{proc.stderr.decode('utf-8', 'replace').strip()[:500]}")
    report: dict[str, Any] = json.loads(proc.stdout)
    report.pop("version", None)
    return report


def differences(old: Any, new: Any, where: str = "$") -> list[str]:
    """Paths at which ``old`` and ``new`` differ, with both values."""
    if type(old) is not type(new):
        return [f"{where}: {old!r} -> {new!r}"]
    if isinstance(old, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            if key not in old or key not in new:
                out.append(f"{where}.{key}: {old.get(key, '<missing>')!r} -> {new.get(key, '<missing>')!r}")
            else:
                out.extend(differences(old[key], new[key], f"{where}.{key}"))
        return out
    if isinstance(old, list):
        if len(old) != len(new):
            return [f"{where}: {len(old)} items -> {len(new)} items"]
        return [d for i, (a, b) in enumerate(zip(old, new, strict=True)) for d in differences(a, b, f"{where}[{i}]")]
    return [] if old == new else [f"{where}: {old!r} -> {new!r}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--against", required=True, metavar="REV", help="git revision to compare with")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"{args.corpus}: no such folder", file=sys.stderr)
        return 2
    corpus = args.corpus.resolve()
    with tempfile.TemporaryDirectory(prefix="nb2prod-against-") as tmp:
        worktree = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(worktree), args.against],
                       cwd=ROOT, check=True)
        try:
            old = lint_report(worktree, corpus)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False)
    new = lint_report(ROOT, corpus)
    found = differences(old, new)
    summary = new.get("summary", {})
    if not found:
        print(f"identical: {summary.get('notebooks')} notebooks, {summary.get('findings')} findings "
              f"({args.against} vs the working tree)")
        return 0
    print(f"{len(found)} differences ({args.against} vs the working tree); the first 40:")
    for line in found[:40]:
        print("  " + line[:300])
    return 1


if __name__ == "__main__":
    sys.exit(main())
