"""Suppressing findings: ``# noqa`` comments, ``nb2prod:ignore:`` cell tags, notebook metadata,
``per-file-ignores``, and NB720 for suppressions that suppress nothing."""

from __future__ import annotations

from pathlib import Path

from _notebooks import code, write

from nb2prod.config import Overrides
from nb2prod.engine import lint_file


def test_unused_suppression_reports_can_be_suppressed(tmp_path: Path) -> None:
    path = write(tmp_path / "nb.ipynb", code("x = 1  # noqa: NB702, NB720"), code("y = 2  # noqa: NB702"))
    found = [(f.code, f.cell) for f in lint_file(path, Overrides(select=("NB702", "NB720"))).findings]
    assert found == [("NB720", 2)]
    quiet = write(tmp_path / "q.ipynb", code("y = 2  # noqa: NB702"), metadata={"nb2prod": {"ignore": ["NB720"]}})
    assert lint_file(quiet, Overrides(select=("NB702", "NB720"))).findings == []


def test_noqa_inside_a_string_is_not_a_suppression(tmp_path: Path) -> None:
    path = write(tmp_path / "nb.ipynb", code("s = '# noqa: NB702'; import math"))
    assert [f.code for f in lint_file(path, Overrides(select=("NB702",))).findings] == ["NB702"]


def test_cell_tags_accept_rule_names(tmp_path: Path) -> None:
    path = write(tmp_path / "nb.ipynb", code("import os", tags=["nb2prod:ignore:unused-import"]))
    assert lint_file(path, Overrides(select=("NB702", "NB720"))).findings == []


def test_per_file_ignores_with_dot_slash(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nb2prod]\nper-file-ignores = { "./nbs/b.ipynb" = ["NB702"] }\n')
    path = write(tmp_path / "nbs" / "b.ipynb", code("import os"))
    assert lint_file(path, Overrides(select=("NB702",))).findings == []
