"""Regressions found in review: each test names the problem it guards against."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat import v4

from nb2prod.config import Overrides
from nb2prod.engine import lint_file


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nb2prod", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1"}, timeout=120)


def _nb(tmp_path: Path, *cells, name: str = "nb.ipynb", metadata: dict | None = None) -> Path:
    book = v4.new_notebook(metadata=metadata or {"kernelspec": {"name": "python3", "language": "python",
                                                                "display_name": "P"}})
    book.cells = list(cells)
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, path)
    return path


def test_secrets_quoted_by_other_rules_are_masked(tmp_path: Path) -> None:
    token = "ghp_8f2Kq9ZxL0mB7vR3tY6uW1eN4sD5aH2cJ0pQ"
    err = v4.new_code_cell(f"call_api('{token}')", execution_count=1)
    err.outputs = [nbformat.from_dict({"output_type": "error", "ename": "AuthError", "evalue": f"bad token {token}",
                                       "traceback": []})]
    path = _nb(tmp_path, err)
    out = run_cli("lint", str(path), "--format", "json", cwd=tmp_path).stdout
    assert token not in out
    assert "ghp_" in out  # the findings are there, masked


def test_non_utf8_or_odd_pyproject_is_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"\xff\xfe[tool.nb2prod]\n")
    _nb(tmp_path, v4.new_code_cell("x = 1"))
    r = run_cli("lint", "nb.ipynb", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "not UTF-8" in r.stderr
    (tmp_path / "odd.toml").write_text("tool = 3\n")
    r = run_cli("lint", "nb.ipynb", "--config", "odd.toml", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "[tool] must be a table" in r.stderr


def test_output_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    _nb(tmp_path, v4.new_code_cell("x = 1"))
    target = tmp_path / "reports" / "real.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "report.json"
    link.symlink_to(target)
    run_cli("lint", "nb.ipynb", "--format", "json", "--output", "report.json", cwd=tmp_path)
    assert link.is_symlink()
    assert json.loads(target.read_text())["summary"]["notebooks"] == 1


def test_output_to_dev_stdout_writes_to_stdout(tmp_path: Path) -> None:
    _nb(tmp_path, v4.new_code_cell("x = 1"))
    r = run_cli("lint", "nb.ipynb", "--format", "json", "--output", "/dev/stdout", cwd=tmp_path)
    assert json.loads(r.stdout)["summary"]["notebooks"] == 1
    assert Path("/dev/stdout").is_symlink() or Path("/dev/stdout").is_char_device()


def test_pathologically_deep_code_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    path = _nb(tmp_path, v4.new_code_cell("x = " + "+".join(["a"] * 30000)))
    result = lint_file(path)
    assert result.internal_errors == []
    assert "NB708" in {f.code for f in result.findings}


def test_summary_when_nothing_could_be_read(tmp_path: Path) -> None:
    (tmp_path / "empty.ipynb").write_text("")
    r = run_cli("lint", "empty.ipynb", cwd=tmp_path)
    assert r.returncode == 2
    assert "All checks passed" not in r.stdout and "No notebook could be read" in r.stdout


def test_symlinked_notebook_is_shown_under_its_own_name(tmp_path: Path) -> None:
    real = _nb(tmp_path, v4.new_code_cell("import os"), name="real.ipynb")
    (tmp_path / "alias.ipynb").symlink_to(real)
    r = run_cli("lint", "alias.ipynb", "--select", "NB702", cwd=tmp_path)
    assert r.stdout.startswith("alias.ipynb:cell 1:1:1: NB702")


def test_exclude_applies_with_an_explicit_config(tmp_path: Path) -> None:
    (tmp_path / "cfg.toml").write_text('[tool.nb2prod]\nexclude = ["archive/"]\n')
    _nb(tmp_path, v4.new_code_cell("x = 1"), name="a.ipynb")
    _nb(tmp_path, v4.new_code_cell("x = 1"), name="archive/old.ipynb")
    r = run_cli("lint", ".", "--config", "cfg.toml", "--format", "json", cwd=tmp_path)
    assert [n["path"] for n in json.loads(r.stdout)["notebooks"]] == ["a.ipynb"]


def test_undefined_names_are_reported_when_nb3_is_not_selected(tmp_path: Path) -> None:
    path = _nb(tmp_path, v4.new_code_cell("print(undefined_xyz)", execution_count=1))
    assert [f.code for f in lint_file(path, Overrides(select=("NB7",))).findings if f.code == "NB701"] == ["NB701"]
    assert "NB701" not in {f.code for f in lint_file(path).findings}  # NB305 reports it then
    later = _nb(tmp_path, v4.new_code_cell("print(y)"), v4.new_code_cell("y = 1"), name="later.ipynb")
    assert "NB701" in {f.code for f in lint_file(later, Overrides(select=("NB701",))).findings}


def test_sarif_uris_are_percent_encoded(tmp_path: Path) -> None:
    _nb(tmp_path, v4.new_code_cell("import os"), name="ünï code.ipynb")
    doc = json.loads(run_cli("lint", ".", "--format", "sarif", cwd=tmp_path).stdout)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
    assert uris == {"%C3%BCn%C3%AF%20code.ipynb"}


def test_empty_selection_warns(tmp_path: Path) -> None:
    _nb(tmp_path, v4.new_code_cell("x = 1"))
    r = run_cli("lint", "nb.ipynb", "--ignore", "ALL", cwd=tmp_path)
    assert "no rules are selected" in r.stderr


def test_unused_suppression_reports_can_be_suppressed(tmp_path: Path) -> None:
    path = _nb(tmp_path, v4.new_code_cell("x = 1  # noqa: NB702, NB720"), v4.new_code_cell("y = 2  # noqa: NB702"))
    found = [(f.code, f.cell) for f in lint_file(path, Overrides(select=("NB702", "NB720"))).findings]
    assert found == [("NB720", 2)]
    quiet = _nb(tmp_path, v4.new_code_cell("y = 2  # noqa: NB702"), name="q.ipynb",
                metadata={"nb2prod": {"ignore": ["NB720"]}})
    assert lint_file(quiet, Overrides(select=("NB702", "NB720"))).findings == []


def test_noqa_inside_a_string_is_not_a_suppression(tmp_path: Path) -> None:
    path = _nb(tmp_path, v4.new_code_cell("s = '# noqa: NB702'; import math"))
    assert [f.code for f in lint_file(path, Overrides(select=("NB702",))).findings] == ["NB702"]


def test_cell_tags_accept_rule_names(tmp_path: Path) -> None:
    cell = v4.new_code_cell("import os", metadata={"tags": ["nb2prod:ignore:unused-import"]})
    path = _nb(tmp_path, cell)
    assert lint_file(path, Overrides(select=("NB702", "NB720"))).findings == []


def test_per_file_ignores_with_dot_slash(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nb2prod]\nper-file-ignores = { "./nbs/b.ipynb" = ["NB702"] }\n')
    path = _nb(tmp_path, v4.new_code_cell("import os"), name="nbs/b.ipynb")
    assert lint_file(path, Overrides(select=("NB702",))).findings == []


def test_huge_output_limit_counts_bytes_not_characters(tmp_path: Path) -> None:
    cell = v4.new_code_cell("print(text)", execution_count=1)
    cell.outputs = [nbformat.from_dict({"output_type": "stream", "name": "stdout", "text": "漢" * 400_000})]
    path = _nb(tmp_path, cell)  # 400k characters, 1.2 MB in UTF-8
    assert [f.code for f in lint_file(path, Overrides(select=("NB704",))).findings] == ["NB704"]
