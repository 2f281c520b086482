"""benchmarks/lint_speed.py runs end to end (issue 15): on a copy of three example notebooks,
``--quick --breakdown --json`` exits 0 and prints every row of its three parts (the machine,
whole processes, in-process). No timing is asserted: only that each figure was measured or,
for a command this environment lacks, skipped with its reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "lint_speed.py"


def test_quick_run_over_three_notebooks_prints_every_row(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "iris" / "train.ipynb", corpus / "iris.ipynb")
    shutil.copy(ROOT / "examples" / "messy" / "analysis.ipynb", corpus / "messy.ipynb")
    shutil.copy(ROOT / "examples" / "iris" / "train.ipynb", corpus / "sub" / "again.ipynb")
    report = tmp_path / "figures.json"

    p = subprocess.run([sys.executable, str(SCRIPT), str(corpus), "--quick", "--breakdown", "--json", str(report)],
                       cwd=tmp_path, capture_output=True, text=True, timeout=600)

    assert p.returncode == 0, p.stdout + p.stderr
    jobs = os.cpu_count() or 1
    labels = [
        "machine: python", "nb2prod 0.", "load average (1, 5, 15 min) at start", "corpus: ",
        # whole processes
        "floor, one notebook", "nb2prod lint NOTEBOOK, cold", "nb2prod lint NOTEBOOK, cold, console script",
        "ruff check NOTEBOOK", "floor, corpus", "nb2prod lint CORPUS, cold, --jobs 1",
        "nb2prod lint CORPUS, cold, --jobs 0 (auto)", f"nb2prod lint CORPUS, cold, --jobs {jobs} (CPU count)",
        "nb2prod lint CORPUS, warm cache", "ruff check CORPUS",
        # in-process, and its breakdown
        "floor (json + ast.parse)", "nb2prod lint, 1 process", f"nb2prod lint, --jobs {jobs}",
        "nb2prod lint, 1 process, cold", "read + validate (nbformat schema)", "+ parse (IPython-aware)",
        "+ shared facts (one AST walk)", "+ pyflakes over the notebook", "+ the rules (= nb2prod lint, 1 process)",
        "load average (1, 5, 15 min) at end",
    ]
    missing = [label for label in labels if label not in p.stdout]
    assert not missing, p.stdout

    doc = json.loads(report.read_text(encoding="utf-8"))
    assert doc["notebooks"] == 3 and doc["repeat"] == 1
    rows = {r["label"]: r for r in doc["whole_process"]}
    assert len(rows) == 10
    for label in ("floor, one notebook", "floor, corpus"):
        assert rows[label]["status"] == "ok" and rows[label]["seconds"] > 0
    for row in rows.values():
        assert row["status"] in ("ok", "skipped"), row
        line = next(line for line in p.stdout.splitlines() if line.startswith(row["label"] + " "))
        if row["status"] == "ok":
            assert row["seconds"] > 0 and len(row["runs"]) == 1 and row["warmup"] is not None, row
            assert line.split()[len(row["label"].split())] == f"{row['seconds']:.3f}", line
        else:  # a skipped row says why on its line
            assert line.endswith(f"  -- {row['note']}"), line
    targets = ("nb2prod lint NOTEBOOK, cold", "nb2prod lint CORPUS, cold, --jobs 1", "nb2prod lint CORPUS, warm cache")
    for label in targets:
        if rows[label]["status"] == "ok":  # a measured target row says PASS or MISS
            assert rows[label]["passed"] in (True, False)
    assert [r["label"] for r in doc["in_process"]["breakdown"]][-1] == "+ the rules (= nb2prod lint, 1 process)"
    assert doc["in_process"]["findings"] > 0  # examples/messy has findings
