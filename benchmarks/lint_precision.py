"""How often is `nb2prod lint` right? Precision per rule over a labelled set of real notebooks.

    python benchmarks/lint_precision.py                # the table, the targets, exit 1 if missed
    python benchmarks/lint_precision.py --todo FILE    # unlabelled findings, with their code, to judge
    python benchmarks/lint_precision.py --json         # the figures as JSON
    python benchmarks/lint_precision.py --prune        # drop stale labels from the label files
    python benchmarks/lint_precision.py --code REV     # score the linter of a git revision instead,
                                                      # with every label ever committed

The set (``benchmarks/precision/``) is 51 notebooks drawn at random from eight public
repositories that are not in ../shared/corpus (``SOURCES.tsv`` records repository,
commit, path, licence and sha256 of every file; ``choose_notebooks.py`` drew them). Each
finding nb2prod reports on them is judged in ``labels/*.tsv`` (one file per group of
rules) by reading the cell: *right*
(a real problem, correctly described), *wrong*, or *debatable*, with a one-line reason.
``misses.tsv`` lists real problems a reader found that a rule should report (file, cell,
the codes that would report it, the problem, and optionally the line when another finding
of the same code sits in that cell).

The notebooks are linted as they sit in their repositories: the script copies each
repository's folder into a temporary directory with a ``.git`` folder at its root (where
nb2prod stops looking for dependency files and configuration), then runs
``python -m nb2prod lint --format json`` of this checkout over it.

A finding is identified by (file, cell, line, column, output, code); its message is kept
in the label files for the reader, not for matching. A label that matches no finding any
more is *stale* (the rule changed; it is not counted, and ``--prune`` removes it). Precision leaves debatable
findings out: right / (right + wrong). Recall over the known misses counts a miss as
caught when a finding of one of its codes is in its cell (on its line, when it gives one).

Targets (issue 13): errors >= 0.95, overall >= 0.90, no rule below 0.80 at its default
severity, and no notebook blocked from ``nb2prod build`` (an error) by wrong errors only.
Exit status 1 when a target is missed or a finding is unlabelled, 2 when linting fails.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SET = Path(__file__).resolve().parent / "precision"
VERDICTS = ("right", "wrong", "debatable")
TARGET_ERRORS = 0.95
TARGET_OVERALL = 0.90
TARGET_RULE = 0.80
LABEL_FIELDS = ["file", "cell", "line", "column", "output", "code", "severity", "verdict", "reason", "message"]
MISS_FIELDS = ["file", "cell", "codes", "problem"]

Key = tuple[str, str, str, str, str, str]


@dataclass
class Figures:
    total: Counter[str]  # verdict -> count, over all findings
    errors: Counter[str]  # the same over findings of severity error
    per_rule: dict[str, Counter[str]]  # code -> verdict -> count ("unlabelled" too)
    severity: dict[str, str]  # code -> severity as reported
    blocked: dict[str, Counter[str]]  # notebook -> verdicts of its errors
    stale: list[dict[str, str]]
    unlabelled: list[dict[str, Any]]
    misses_caught: list[dict[str, str]]
    misses_left: list[dict[str, str]]


def precision(c: Counter[str]) -> float | None:
    judged = c["right"] + c["wrong"]
    return c["right"] / judged if judged else None


def key_of(f: dict[str, Any], file: str) -> Key:
    def s(v: Any) -> str:
        return "" if v is None else str(v)

    return (file, s(f.get("cell")), s(f.get("line")), s(f.get("column")), s(f.get("output")), f["code"])


def read_tsv(path: Path, fields: list[str]) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    for i, row in enumerate(rows, start=2):
        missing = [f for f in fields if row.get(f) is None]
        if missing:
            raise SystemExit(f"{path}:{i}: missing {', '.join(missing)}")
    return rows


def notebooks() -> list[str]:
    rows = read_tsv(SET / "SOURCES.tsv", ["file", "repository", "commit", "path", "licence", "sha256"])
    return [r["file"] for r in rows if r["file"].endswith(".ipynb")]


def lint_set(code_root: Path = ROOT) -> dict[str, list[dict[str, Any]]]:
    """file (relative to the set) -> findings, linted as the files sit in their repositories,
    by the nb2prod found in ``code_root``."""
    with tempfile.TemporaryDirectory(prefix="nb2prod-precision-") as tmp:
        root = Path(tmp) / "set"
        shutil.copytree(SET / "notebooks", root)
        for repo in root.iterdir():
            (repo / ".git").mkdir()
        env = {**os.environ, "PYTHONPATH": str(code_root), "NO_COLOR": "1"}
        proc = subprocess.run([sys.executable, "-m", "nb2prod", "lint", str(root), "--format", "json"],
                              cwd=code_root, env=env, capture_output=True, check=False)
        if proc.returncode not in (0, 1):
            sys.stderr.write(proc.stderr.decode("utf-8", "replace"))
            raise SystemExit(2)
        report = json.loads(proc.stdout)
        out: dict[str, list[dict[str, Any]]] = {}
        for nb in report["notebooks"]:
            rel = Path(nb["path"]).resolve().relative_to(root.resolve()).as_posix()
            out[rel] = nb["findings"]
        return out


def evaluate(found: dict[str, list[dict[str, Any]]], labels: list[dict[str, str]],
             misses: list[dict[str, str]]) -> Figures:
    by_key: dict[Key, dict[str, str]] = {}
    for row in labels:
        if row["verdict"] not in VERDICTS:
            raise SystemExit(f"labels: verdict {row['verdict']!r} is not one of {', '.join(VERDICTS)}")
        k = (row["file"], row["cell"], row["line"], row["column"], row["output"], row["code"])
        if k in by_key:
            raise SystemExit(f"labels: {' '.join(k)} is labelled twice")
        by_key[k] = row
    total: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    severity: dict[str, str] = {}
    blocked: dict[str, Counter[str]] = defaultdict(Counter)
    unlabelled: list[dict[str, Any]] = []
    used: set[Key] = set()
    cells_with: set[tuple[str, str, str]] = set()
    lines_with: set[tuple[str, str, str, str]] = set()
    for file, findings in sorted(found.items()):
        for f in findings:
            k = key_of(f, file)
            cells_with.add((file, k[1], f["code"]))
            lines_with.add((file, k[1], k[2], f["code"]))
            severity.setdefault(f["code"], f["severity"])
            row = by_key.get(k)
            if row is None:
                per_rule[f["code"]]["unlabelled"] += 1
                unlabelled.append({"file": file, **f})
                if f["severity"] == "error":
                    blocked[file]["unlabelled"] += 1
                continue
            used.add(k)
            verdict = row["verdict"]
            total[verdict] += 1
            per_rule[f["code"]][verdict] += 1
            if f["severity"] == "error":
                errors[verdict] += 1
                blocked[file][verdict] += 1
    stale = [row for k, row in by_key.items() if k not in used]
    caught, left = [], []
    for m in misses:
        codes = [c.strip() for c in m["codes"].split("|") if c.strip()]
        if m.get("line"):
            hit = any((m["file"], m["cell"], m["line"], c) in lines_with for c in codes)
        else:
            hit = any((m["file"], m["cell"], c) in cells_with for c in codes)
        (caught if hit else left).append(m)
    return Figures(total, errors, dict(per_rule), severity, dict(blocked), stale, unlabelled, caught, left)


def fmt(p: float | None) -> str:
    return "-" if p is None else f"{p:.3f}"


def problems(fig: Figures) -> list[str]:
    out = []
    pe, po = precision(fig.errors), precision(fig.total)
    if pe is not None and pe < TARGET_ERRORS:
        out.append(f"precision over errors {pe:.3f} < {TARGET_ERRORS}")
    if po is not None and po < TARGET_OVERALL:
        out.append(f"overall precision {po:.3f} < {TARGET_OVERALL}")
    for code, c in sorted(fig.per_rule.items()):
        p = precision(c)
        if p is not None and p < TARGET_RULE:
            out.append(f"{code} precision {p:.3f} < {TARGET_RULE}")
    for file, c in sorted(fig.blocked.items()):
        if c["wrong"] and not c["right"]:
            out.append(f"{file} is blocked from build by wrong errors only")
    if fig.unlabelled:
        out.append(f"{len(fig.unlabelled)} findings are not labelled (see --todo)")
    return out


def report(fig: Figures, n_notebooks: int) -> str:
    lines = [f"{n_notebooks} notebooks, {sum(fig.total.values())} labelled findings "
             f"({fig.total['right']} right, {fig.total['wrong']} wrong, {fig.total['debatable']} debatable), "
             f"{len(fig.unlabelled)} unlabelled, {len(fig.stale)} stale labels", ""]
    lines.append("| rule | severity | findings | right | wrong | debatable | precision |")
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    for code, c in sorted(fig.per_rule.items()):
        n = c["right"] + c["wrong"] + c["debatable"] + c["unlabelled"]
        lines.append(f"| {code} | {fig.severity.get(code, '?')} | {n} | {c['right']} | {c['wrong']} | "
                     f"{c['debatable']} | {fmt(precision(c))} |")
    blocked_right = sum(1 for c in fig.blocked.values() if c["right"])
    blocked_wrong_only = sum(1 for c in fig.blocked.values() if c["wrong"] and not c["right"])
    n_miss = len(fig.misses_caught) + len(fig.misses_left)
    lines += [
        "",
        f"precision over errors: {fmt(precision(fig.errors))} ({fig.errors['right']} right, "
        f"{fig.errors['wrong']} wrong, {fig.errors['debatable']} debatable; target {TARGET_ERRORS})",
        f"precision overall:     {fmt(precision(fig.total))} (target {TARGET_OVERALL})",
        f"notebooks blocked from build: {len(fig.blocked)} ({blocked_right} by a right error, "
        f"{blocked_wrong_only} by wrong errors only)",
        f"recall over known misses: {len(fig.misses_caught)}/{n_miss}"
        + (f" = {len(fig.misses_caught) / n_miss:.3f}" if n_miss else ""),
    ]
    for m in fig.misses_left:
        lines.append(f"  missed: {m['file']} cell {m['cell']} ({m['codes']}): {m['problem']}")
    return "\n".join(lines)


def write_todo(fig: Figures, path: Path) -> None:
    """Unlabelled findings as label rows with an empty verdict, for a reader to fill in."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(LABEL_FIELDS) + "\n")
        for f in fig.unlabelled:
            k = key_of(f, f["file"])
            msg = " ".join(str(f["message"]).split())
            fh.write("\t".join([*k[:5], f["code"], f["severity"], "", "", msg]) + "\n")


def labels_in_history() -> list[dict[str, str]]:
    """Every label row ever committed under labels/ (the newest judgement of each key),
    so the linter of an older revision is scored on findings that were judged then and
    pruned since."""
    git = ["git", "-C", str(ROOT)]
    commits = subprocess.run([*git, "log", "--reverse", "--format=%H", "--", str(SET / "labels")],
                             capture_output=True, text=True, check=True).stdout.split()
    rel = (SET / "labels").relative_to(ROOT).as_posix()
    rows: dict[tuple[str, ...], dict[str, str]] = {}
    for commit in commits:
        names = subprocess.run([*git, "ls-tree", "--name-only", f"{commit}:{rel}"],
                               capture_output=True, text=True, check=True).stdout.split()
        for name in names:
            text = subprocess.run([*git, "show", f"{commit}:{rel}/{name}"], capture_output=True,
                                  text=True, check=True).stdout
            for row in csv.DictReader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE):
                rows[tuple(row[f] for f in LABEL_FIELDS[:6])] = row
    return list(rows.values())


def prune(stale: list[dict[str, str]]) -> None:
    """Rewrite each label file without the stale rows (row order and text kept)."""
    drop = {tuple(row[f] for f in LABEL_FIELDS) for row in stale}
    for path in sorted((SET / "labels").glob("*.tsv")):
        rows = read_tsv(path, LABEL_FIELDS)
        kept = [r for r in rows if tuple(r[f] for f in LABEL_FIELDS) not in drop]
        if len(kept) != len(rows):
            path.write_text("\n".join(["\t".join(LABEL_FIELDS), *("\t".join(r[f] for f in LABEL_FIELDS) for r in kept)])
                            + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--todo", type=Path, metavar="FILE", help="write the unlabelled findings to FILE")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--prune", action="store_true", help="remove labels that match no finding any more")
    parser.add_argument("--code", metavar="REV", help="score the nb2prod of this git revision (labels from history)")
    args = parser.parse_args(argv)
    files = notebooks()
    if args.code:
        with tempfile.TemporaryDirectory(prefix="nb2prod-precision-code-") as tmp:
            tree = Path(tmp) / "tree"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), args.code],
                           check=True)
            try:
                found = lint_set(tree)
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
        fig = evaluate(found, labels_in_history(), read_tsv(SET / "misses.tsv", MISS_FIELDS))
        print(f"nb2prod at {args.code}, scored with every label ever committed:")
        print(report(fig, len(files)))
        return 0
    found = lint_set()
    labels = [row for path in sorted((SET / "labels").glob("*.tsv")) for row in read_tsv(path, LABEL_FIELDS)]
    fig = evaluate(found, labels, read_tsv(SET / "misses.tsv", MISS_FIELDS))
    if args.todo:
        write_todo(fig, args.todo)
    if args.prune and fig.stale:
        prune(fig.stale)
        print(f"removed {len(fig.stale)} stale labels", file=sys.stderr)
        fig.stale = []
    miss = problems(fig)
    if args.json:
        print(json.dumps({
            "notebooks": len(files),
            "precision_errors": precision(fig.errors),
            "precision_overall": precision(fig.total),
            "per_rule": {c: {**v, "precision": precision(v), "severity": fig.severity.get(c)}
                         for c, v in sorted(fig.per_rule.items())},
            "recall_misses": [len(fig.misses_caught), len(fig.misses_caught) + len(fig.misses_left)],
            "unlabelled": len(fig.unlabelled), "stale": len(fig.stale), "problems": miss,
        }, indent=2))
    else:
        print(report(fig, len(files)))
        for p in miss:
            print(f"target missed: {p}")
    return 1 if miss else 0


if __name__ == "__main__":
    raise SystemExit(main())
