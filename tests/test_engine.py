from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import v4

from nb2prod.config import Overrides, settings_from_table
from nb2prod.diagnostics import Finding, Severity
from nb2prod.engine import lint_file, lint_notebook, lint_paths
from nb2prod.notebook import notebook_from_dict, read_notebook
from nb2prod.score import score


def _codes(path: Path, *select: str) -> list[str]:
    return [f.code for f in lint_file(path, Overrides(select=select or None)).findings]


def test_noqa_suppresses_only_the_named_code_on_that_line(write_nb) -> None:
    path = write_nb("import os  # noqa: NB702\nimport sys  # noqa: E401\nimport re  # noqa\n")
    found = [(f.code, f.line) for f in lint_file(path, Overrides(select=("NB702",))).findings]
    assert found == [("NB702", 2)]


def test_noqa_accepts_prefixes_and_lists(write_nb) -> None:
    path = write_nb("import os  # noqa: NB7\nimport sys  # noqa: NB101, NB702\n")
    assert _codes(path, "NB702") == []


def test_cell_tag_suppresses_the_whole_cell(tmp_path: Path) -> None:
    book = v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "P"}})
    book.cells = [v4.new_code_cell("import os\nimport sys", metadata={"tags": ["nb2prod:ignore:NB702"]}),
                  v4.new_code_cell("import re")]
    path = tmp_path / "t.ipynb"
    nbformat.write(book, path)
    found = [(f.code, f.cell) for f in lint_file(path, Overrides(select=("NB702",))).findings]
    assert found == [("NB702", 2)]


def test_notebook_metadata_ignores(tmp_path: Path) -> None:
    book = v4.new_notebook(metadata={"nb2prod": {"ignore": ["NB7"]}})
    book.cells = [v4.new_code_cell("import os")]
    path = tmp_path / "t.ipynb"
    nbformat.write(book, path)
    assert not any(c.startswith("NB7") for c in _codes(path))


def test_unused_suppressions_are_reported_only_for_enabled_rules(write_nb) -> None:
    path = write_nb("x = 1  # noqa: NB702\ny = 2  # noqa: NB301\n")
    found = lint_file(path, Overrides(select=("NB702", "NB720"))).findings
    assert [(f.code, f.line) for f in found] == [("NB720", 1)]


def test_severity_override_changes_exit(write_nb) -> None:
    path = write_nb("import os")
    settings = settings_from_table({"select": ["NB702"], "severity": {"NB702": "error"}}, None, Overrides())
    result = lint_notebook(read_notebook(path), settings)
    assert [f.severity for f in result.findings] == [Severity.ERROR]
    assert result.failing()


def test_rule_crash_is_contained(write_nb, monkeypatch) -> None:
    from nb2prod.rules import REGISTRY

    def boom(self, nb):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(type(REGISTRY["NB703"]), "check", boom)
    result = lint_file(write_nb("x = 1"))
    assert result.internal_errors == ["rule NB703 failed: RuntimeError: kaputt"]
    assert result.score is not None


def test_score_breakdown() -> None:
    def f(code: str, sev: Severity) -> Finding:
        return Finding(code=code, message="m", cell=1, severity=sev)

    assert score([]).total == 100
    s = score([f("NB101", Severity.ERROR)])
    fam = {x.key: x for x in s.families}
    assert fam["reproducibility"].score == 10.0 and s.total == 90
    s = score([f("NB101", Severity.ERROR), f("NB102", Severity.ERROR)])
    assert {x.key: x.score for x in s.families}["reproducibility"] == 0.0
    # repeats of one rule cost less than distinct rules, and never go below 0
    many = score([f("NB702", Severity.WARNING)] * 50)
    assert {x.key: x.score for x in many.families}["structure"] == 6.0
    assert sum(x.weight for x in s.families) == 100


def test_lint_paths_in_parallel_gives_the_same_results(tmp_path: Path, write_nb) -> None:
    paths = [write_nb(f"import os\nx{i} = undefined_{i}", name=f"n{i}.ipynb") for i in range(6)]
    serial = lint_paths(paths, jobs=1)
    parallel = lint_paths(paths, jobs=2)
    assert [r.path for r in serial.notebooks] == [r.path for r in parallel.notebooks]
    assert [[f.to_dict() for f in r.findings] for r in serial.notebooks] == [
        [f.to_dict() for f in r.findings] for r in parallel.notebooks
    ]


def test_non_python_notebook_skips_code_rules() -> None:
    data = {"nbformat": 4, "nbformat_minor": 4, "metadata": {"kernelspec": {"name": "ir", "language": "R",
            "display_name": "R"}}, "cells": [{"cell_type": "code", "source": "x <- c(1,2)\n", "metadata": {},
            "outputs": [], "execution_count": None}]}
    result = lint_notebook(notebook_from_dict(data))
    assert not any(f.code == "NB708" for f in result.findings)
    assert result.notices and "'r'" in result.notices[0]


def test_a_derived_fact_is_computed_once_per_analysis() -> None:
    from nb2prod.analysis import Analysis

    nb = notebook_from_dict(v4.new_notebook(cells=[v4.new_code_cell("x = 1")]), path=None)
    calls: list[Analysis] = []

    def cells(analysis: Analysis) -> int:
        calls.append(analysis)
        return len(analysis.code_cells)

    first, second = Analysis(nb), Analysis(nb)
    assert first.fact(cells) == first.fact(cells) == 1
    assert second.fact(cells) == 1
    assert calls == [first, second]  # once for each analysis, never shared between them


def test_suppressions_are_read_from_comments_tags_and_metadata() -> None:
    from nb2prod.suppression import collect

    book = v4.new_notebook(cells=[
        v4.new_code_cell('x = "# noqa: NB101"  # noqa: nb702, E501\ny = 1  # noqa'),
        v4.new_code_cell("z = 2", metadata={"tags": ["nb2prod:ignore:unused-import", "nb2prod:ignore:NB1"]}),
    ])
    book.metadata["nb2prod"] = {"ignore": ["nb3"]}
    found = collect(notebook_from_dict(book, path=None), {"NB101": "unseeded-python-random", "NB702": "unused-import"})
    assert [(s.line, s.prefixes) for s in found] == [(1, ["NB702"]), (2, []), (None, ["NB702", "NB1"])]
    assert found.notebook == ["NB3"]
    first = found.by_line[(1, 1)]  # cells count from 1
    assert first.column == len('x = "# noqa: NB101"  ') + 1  # the comment, not the string
    assert first.unused(enabled=["NB702"], known=["NB101", "NB702", "NB720"], exempt="NB720") == ["NB702"]
    first.used.add("NB702")
    assert first.unused(enabled=["NB702"], known=["NB101", "NB702", "NB720"], exempt="NB720") == []
