"""Structure rules (NB7xx) on edge cases: which rule reports an undefined name, code too deep
to parse, and output size limits counted in bytes."""

from __future__ import annotations

from pathlib import Path

from _notebooks import code, stream, write

from nb2prod.config import Overrides
from nb2prod.engine import lint_file


def test_pathologically_deep_code_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path / "nb.ipynb", code("x = " + "+".join(["a"] * 30000)))
    result = lint_file(path)
    assert result.internal_errors == []
    assert "NB708" in {f.code for f in result.findings}


def test_undefined_names_are_reported_when_nb3_is_not_selected(tmp_path: Path) -> None:
    path = write(tmp_path / "nb.ipynb", code("print(undefined_xyz)", count=1))
    assert [f.code for f in lint_file(path, Overrides(select=("NB7",))).findings if f.code == "NB701"] == ["NB701"]
    assert "NB701" not in {f.code for f in lint_file(path).findings}  # NB305 reports it then
    later = write(tmp_path / "later.ipynb", code("print(y)"), code("y = 1"))
    assert "NB701" in {f.code for f in lint_file(later, Overrides(select=("NB701",))).findings}


def test_huge_output_limit_counts_bytes_not_characters(tmp_path: Path) -> None:
    # 400k characters, 1.2 MB in UTF-8
    path = write(tmp_path / "nb.ipynb", code("print(text)", count=1, outputs=[stream("漢" * 400_000)]))
    assert [f.code for f in lint_file(path, Overrides(select=("NB704",))).findings] == ["NB704"]


def test_long_cell_limit_is_the_max_cell_lines_option(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.nb2prod]\nmax-cell-lines = 5\n", encoding="utf-8")
    path = write(tmp_path / "nb.ipynb", code("x = 1\n" * 6), code("x = 1\n" * 5 + "# one\n\n# two\n"))
    found = [(f.code, f.cell) for f in lint_file(path, Overrides(select=("NB715",))).findings]
    assert found == [("NB715", 1)]
    assert "6 lines of code (limit 5)" in lint_file(path, Overrides(select=("NB715",))).findings[0].message
