"""The precision set of benchmarks/precision holds its targets (issue 13).

Every finding nb2prod reports on those 51 public notebooks is labelled right / wrong /
debatable; this test lints them (as ``benchmarks/lint_precision.py`` does) and fails when a
finding is unlabelled, a label is malformed, or a target is missed: precision over errors
>= 0.95, overall >= 0.90, no rule below 0.80, no notebook blocked by wrong errors only. A
rule change that adds findings therefore comes with their labels, and one that makes a
right finding disappear shows up as stale labels here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "lint_precision.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("lint_precision", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["lint_precision"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def figures(bench):
    labels = [row for path in sorted((bench.SET / "labels").glob("*.tsv"))
              for row in bench.read_tsv(path, bench.LABEL_FIELDS)]
    return bench.evaluate(bench.lint_set(), labels, bench.read_tsv(bench.SET / "misses.tsv", bench.MISS_FIELDS))


def test_the_set_is_real_notebooks_from_at_least_six_repositories(bench) -> None:
    rows = bench.read_tsv(bench.SET / "SOURCES.tsv", ["file", "repository", "commit", "path", "licence", "sha256"])
    repos = {r["repository"] for r in rows}
    assert len(repos) >= 6
    assert all(len(r["commit"]) == 40 and r["licence"] for r in rows)
    corpus = ROOT.parent / "shared" / "corpus"
    if corpus.is_dir():
        in_corpus = {p.name.replace("__", "/", 1) for p in corpus.iterdir() if p.is_dir()}
        assert not repos & in_corpus, "the precision set must not come from ../shared/corpus"


def test_every_finding_is_labelled_and_the_targets_hold(bench, figures) -> None:
    judged = sum(figures.total.values())
    assert judged >= 300, f"only {judged} labelled findings"
    assert bench.problems(figures) == []
    assert not figures.stale, f"{len(figures.stale)} stale labels: python benchmarks/lint_precision.py --prune"


def test_every_label_has_a_reason(bench) -> None:
    for path in sorted((bench.SET / "labels").glob("*.tsv")):
        for row in bench.read_tsv(path, bench.LABEL_FIELDS):
            assert row["verdict"] in bench.VERDICTS, (path.name, row)
            assert len(row["reason"].strip()) >= 10, (path.name, row)


def test_the_known_misses_point_at_real_cells(bench) -> None:
    import json

    for m in bench.read_tsv(bench.SET / "misses.tsv", bench.MISS_FIELDS):
        nb = json.loads((bench.SET / "notebooks" / m["file"]).read_text(encoding="utf-8"))
        assert 1 <= int(m["cell"]) <= len(nb["cells"]), m
        assert m["codes"].strip() and m["problem"].strip(), m
