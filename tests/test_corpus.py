"""The real notebooks in ../shared/corpus: no crash, no traceback, sane answers.

Skipped cleanly when the corpus is absent (it is present in CI).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod.config import Overrides
from nb2prod.engine import lint_file, lint_paths

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
pytestmark = [
    pytest.mark.corpus,
    pytest.mark.slow,  # lints all 260 notebooks, in process and through the CLI
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}"),
]


def corpus_notebooks() -> list[Path]:
    return sorted(CORPUS.rglob("*.ipynb"))


def test_corpus_has_its_notebooks() -> None:
    assert len(corpus_notebooks()) == 260


def test_every_corpus_notebook_lints_without_internal_errors() -> None:
    run = lint_paths(corpus_notebooks(), jobs=0)
    problems = [(nb.path, e) for nb in run.notebooks for e in nb.internal_errors]
    assert problems == []
    for nb in run.notebooks:
        assert nb.error is not None or nb.score is not None
        assert nb.error is None or "\n" not in nb.error
        for f in nb.findings:
            assert f.cell is None or 1 <= f.cell <= nb.cells, (nb.path, f)
            assert f.line >= 1 and f.column >= 1


def test_cli_over_the_whole_corpus_exits_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "corpus.json"
    r = subprocess.run(
        [sys.executable, "-m", "nb2prod", "lint", str(CORPUS), "--format", "json", "--output", str(out)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"},
    )
    assert "Traceback" not in r.stderr
    assert r.returncode in (0, 1, 2)
    doc = json.loads(out.read_text())
    assert doc["summary"]["notebooks"] == 260
    unreadable = [n for n in doc["notebooks"] if n["error"]]
    # Every unreadable file is one line on stderr naming it.
    assert len(r.stderr.strip().splitlines()) == len(unreadable)
    assert (r.returncode == 2) == bool(unreadable)


def _pynblint_expectations() -> list[tuple[str, str, str]]:
    with (CORPUS / "pynblint_expected.tsv").open(encoding="utf-8") as fh:
        return [(r["test"], r["fixture"], r["expected"]) for r in csv.DictReader(fh, delimiter="\t")]


# pynblint checks whose meaning matches one of our rules: test name -> (code, kind)
_SAME_MEANING = {
    "test_non_linear_execution": ("NB301", "bool"),
    "test_invalid_python_syntax": ("NB708", "bool"),
    "test_empty_cells": ("NB703", "count"),
}


@pytest.mark.parametrize(
    ("test", "fixture", "expected"),
    [row for row in _pynblint_expectations() if row[0] in _SAME_MEANING]
    if (CORPUS / "pynblint_expected.tsv").exists() else [],
)
def test_agrees_with_pynblint_where_the_rules_mean_the_same(test: str, fixture: str, expected: str) -> None:
    code, kind = _SAME_MEANING[test]
    path = CORPUS / "collab-uniba__pynblint" / "tests" / "fixtures" / fixture
    found = [f for f in lint_file(path, Overrides(select=(code,))).findings if f.code == code]
    if kind == "bool":
        assert bool(found) == (expected == "True")
    else:
        assert len(found) == int(expected)


def test_resolution_over_the_corpus_never_crashes(tmp_path: Path) -> None:
    """Each Python notebook, with a `predict` cell appended that reads up to 40 of the names it
    binds: the build's analysis (resolution by reaching binding) either plans it, with service and
    training code that compile, or says in one line why not; it never crashes."""
    import ast

    from nb2prod.analysis import Analysis
    from nb2prod.converter.errors import BuildError
    from nb2prod.converter.pipeline import _check_train_code, _model_code, _train_code
    from nb2prod.converter.plan import make_plan
    from nb2prod.notebook import NotebookError, read_notebook

    planned = refused = 0
    for path in corpus_notebooks():
        try:
            nb = read_notebook(path)
        except NotebookError:
            continue
        if not nb.is_python:
            continue
        names = sorted(Analysis(nb).module_definitions)[:40]
        book = json.loads(path.read_text(encoding="utf-8"))  # read_notebook read it: it is JSON
        book["cells"].append({"cell_type": "code", "metadata": {"tags": ["predict"]}, "outputs": [],
                              "execution_count": None,
                              "source": "def predict(x: float) -> list:\n    return [" + ", ".join(names) + "]"})
        copy = tmp_path / f"{planned + refused}-{path.name}"
        copy.write_text(json.dumps(book), encoding="utf-8")
        try:
            plan = make_plan(read_notebook(copy))
        except BuildError as exc:
            assert "\n" not in str(exc), (path, str(exc))
            refused += 1
            continue
        ast.parse(_model_code(plan))
        try:
            _check_train_code(_train_code(plan))  # as the render stage checks it
        except BuildError as exc:  # a training cell that does not parse (the run would stop there too)
            assert "\n" not in str(exc), (path, str(exc))
        planned += 1
    assert planned > 150 and refused < planned / 10, (planned, refused)
