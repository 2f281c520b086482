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
