"""The command line, run as a user runs it: a real subprocess, exit codes, stdout/stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _notebooks import error

from nb2prod.cli import main, rules_markdown
from nb2prod.rules import REGISTRY


def nb2prod(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "nb2prod", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.mark.slow  # the CLI in subprocesses
def test_exit_codes(tmp_path: Path, write_nb) -> None:
    write_nb("x = 1", name="clean.ipynb")
    write_nb("y = nope", name="dirty.ipynb")
    assert nb2prod("lint", "clean.ipynb", "--select", "NB7", cwd=tmp_path).returncode == 0
    dirty = nb2prod("lint", "dirty.ipynb", "--select", "NB7", cwd=tmp_path)
    assert dirty.returncode == 1 and "NB701" in dirty.stdout
    assert nb2prod("lint", "dirty.ipynb", "--select", "NB703", cwd=tmp_path).returncode == 0
    # --fail-on lowers the bar
    write_nb("import os", name="warn.ipynb")
    assert nb2prod("lint", "warn.ipynb", "--select", "NB702", cwd=tmp_path).returncode == 0
    assert nb2prod("lint", "warn.ipynb", "--select", "NB702", "--fail-on", "warning", cwd=tmp_path).returncode == 1


@pytest.mark.slow  # the CLI in subprocesses
def test_unreadable_file_is_one_line_exit_2_and_others_still_linted(tmp_path: Path, write_nb) -> None:
    write_nb("y = nope", name="dirty.ipynb")
    (tmp_path / "broken.ipynb").write_text("{oops")
    r = nb2prod("lint", "broken.ipynb", "dirty.ipynb", "missing.ipynb", "--select", "NB7", cwd=tmp_path)
    assert r.returncode == 2
    assert "Traceback" not in r.stdout + r.stderr
    assert "broken.ipynb: error: invalid JSON" in r.stdout
    assert "missing.ipynb: error: no such file or directory" in r.stdout
    assert "dirty.ipynb:cell 2:1:5: NB701" in r.stdout
    j = nb2prod("lint", "broken.ipynb", "dirty.ipynb", "--format", "json", cwd=tmp_path)
    assert j.returncode == 2
    assert json.loads(j.stdout)["summary"]["unreadable"] == 1
    assert j.stderr.strip().startswith("nb2prod: error: broken.ipynb: invalid JSON")
    assert len(j.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lint", "--select", "NB999"], "unknown rule selector 'NB999'"),
        (["lint", "--format", "xml"], "invalid choice"),
        (["lint", "--config", "nope.toml"], "nope.toml: no such configuration file"),
        (["lint", "-o", "no/such/dir/out.json"], "does not exist"),
        (["rule", "NB999"], "unknown rule 'NB999'"),
        (["frobnicate"], "invalid choice"),
    ],
)
@pytest.mark.slow  # the CLI in subprocesses
def test_usage_errors_exit_2_without_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    r = nb2prod(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow  # the CLI in subprocesses
def test_directories_are_walked_skipping_checkpoints_hidden_and_gitignored(tmp_path: Path, write_nb) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("build/\nscratch-*.ipynb\n")
    for name in ["a.ipynb", "sub/b.ipynb", ".ipynb_checkpoints/a-checkpoint.ipynb", ".hidden/c.ipynb",
                 "build/d.ipynb", "sub/scratch-e.ipynb", "sub/deeper/f.ipynb"]:
        write_nb("x = 1", name=name)
    (tmp_path / "sub" / "deeper" / ".gitignore").write_text("f.ipynb\n")
    r = nb2prod("lint", ".", "--format", "json", "--select", "NB7", cwd=tmp_path)
    paths = [n["path"] for n in json.loads(r.stdout)["notebooks"]]
    assert paths == ["a.ipynb", "sub/b.ipynb"]
    # a file named explicitly is always linted
    r = nb2prod("lint", "build/d.ipynb", "--format", "json", cwd=tmp_path)
    assert [n["path"] for n in json.loads(r.stdout)["notebooks"]] == ["build/d.ipynb"]


@pytest.mark.slow  # the CLI in subprocesses
def test_config_exclude(tmp_path: Path, write_nb) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nb2prod]\nexclude = ["archive/"]\n')
    write_nb("x = 1", name="a.ipynb")
    write_nb("x = 1", name="archive/old.ipynb")
    r = nb2prod("lint", ".", "--format", "json", cwd=tmp_path)
    assert [n["path"] for n in json.loads(r.stdout)["notebooks"]] == ["a.ipynb"]


@pytest.mark.slow  # the CLI in subprocesses
def test_output_file_is_written_atomically(tmp_path: Path, write_nb) -> None:
    write_nb("import os", name="a.ipynb")
    r = nb2prod("lint", "a.ipynb", "--format", "sarif", "--output", "report.sarif", cwd=tmp_path)
    assert r.returncode in (0, 1) and r.stdout == ""
    assert json.loads((tmp_path / "report.sarif").read_text())["version"] == "2.1.0"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.slow  # the CLI in subprocesses
def test_jobs_gives_the_same_report(tmp_path: Path, write_nb) -> None:
    for i in range(8):
        write_nb(f"import os\nv = w{i}", name=f"n{i}.ipynb")
    one = nb2prod("lint", ".", "--format", "json", "--jobs", "1", cwd=tmp_path)
    two = nb2prod("lint", ".", "--format", "json", "--jobs", "2", cwd=tmp_path)
    assert json.loads(one.stdout) == json.loads(two.stdout)


@pytest.mark.slow  # the CLI in subprocesses
def test_quiet_prints_nothing(tmp_path: Path, write_nb) -> None:
    write_nb("y = nope", name="dirty.ipynb")
    r = nb2prod("lint", "dirty.ipynb", "-q", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout == ""


def test_rule_and_rules_commands(capsys) -> None:
    assert main(["rule", "NB301"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("NB301 out-of-order-execution") and "## Why is this bad?" in out
    assert main(["rule", "unused-import"]) == 0
    assert "NB702" in capsys.readouterr().out
    assert main(["rules", "--format", "json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert [r["code"] for r in table] == list(REGISTRY)
    assert main(["rules"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(REGISTRY)
    assert main(["tags", "--format", "json"]) == 0
    assert [t["name"] for t in json.loads(capsys.readouterr().out)][:2] == ["parameters", "predict"]


def test_docs_rules_md_is_generated_from_the_registry() -> None:
    doc = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
    assert doc.read_text(encoding="utf-8") == rules_markdown(), "run: nb2prod rules --format markdown > docs/rules.md"


@pytest.mark.slow  # the CLI in subprocesses
def test_reports_are_written_whatever_the_encoding_of_stdout(tmp_path: Path, write_nb) -> None:
    """PYTHONIOENCODING=ascii (or a Latin-1 locale): json stays UTF-8, text escapes what it cannot encode."""
    write_nb("data = open('/Users/jos\u00e9/\u4e2d\u6587.csv').read()", name="nb.ipynb")
    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "ascii"}
    for fmt in ("json", "text", "github"):
        r = subprocess.run([sys.executable, "-m", "nb2prod", "lint", "nb.ipynb", "--format", fmt, "--select", "NB501"],
                           cwd=tmp_path, capture_output=True, env=env, timeout=120)
        assert r.returncode == 0 and b"Traceback" not in r.stderr, r.stderr
        if fmt == "json":
            doc = json.loads(r.stdout.decode("utf-8"))
            assert "/Users/jos\u00e9/\u4e2d\u6587.csv" in doc["notebooks"][0]["findings"][0]["message"]
        else:
            assert b"/Users/jos\\xe9/\\u4e2d\\u6587.csv" in r.stdout


@pytest.mark.slow  # the CLI in subprocesses
def test_secrets_quoted_by_other_rules_are_masked(tmp_path: Path, write_nb) -> None:
    token = "ghp_8f2Kq9ZxL0mB7vR3tY6uW1eN4sD5aH2cJ0pQ"
    path = write_nb(f"call_api('{token}')", count=1, outputs=[error("AuthError", f"bad token {token}")])
    out = nb2prod("lint", str(path), "--format", "json", cwd=tmp_path).stdout
    assert token not in out
    assert "ghp_" in out  # the findings are there, masked


@pytest.mark.slow  # the CLI in subprocesses
def test_non_utf8_or_odd_pyproject_is_one_line_error(tmp_path: Path, write_nb) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"\xff\xfe[tool.nb2prod]\n")
    write_nb("x = 1")
    r = nb2prod("lint", "nb.ipynb", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "not UTF-8" in r.stderr
    (tmp_path / "odd.toml").write_text("tool = 3\n")
    r = nb2prod("lint", "nb.ipynb", "--config", "odd.toml", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "[tool] must be a table" in r.stderr


@pytest.mark.slow  # the CLI in subprocesses
def test_output_through_a_symlink_keeps_the_link(tmp_path: Path, write_nb) -> None:
    write_nb("x = 1")
    target = tmp_path / "reports" / "real.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "report.json"
    link.symlink_to(target)
    nb2prod("lint", "nb.ipynb", "--format", "json", "--output", "report.json", cwd=tmp_path)
    assert link.is_symlink()
    assert json.loads(target.read_text())["summary"]["notebooks"] == 1


@pytest.mark.slow  # the CLI in subprocesses
def test_output_to_dev_stdout_writes_to_stdout(tmp_path: Path, write_nb) -> None:
    write_nb("x = 1")
    r = nb2prod("lint", "nb.ipynb", "--format", "json", "--output", "/dev/stdout", cwd=tmp_path)
    assert json.loads(r.stdout)["summary"]["notebooks"] == 1
    assert Path("/dev/stdout").is_symlink() or Path("/dev/stdout").is_char_device()


@pytest.mark.slow  # the CLI in subprocesses
def test_summary_when_nothing_could_be_read(tmp_path: Path) -> None:
    (tmp_path / "empty.ipynb").write_text("")
    r = nb2prod("lint", "empty.ipynb", cwd=tmp_path)
    assert r.returncode == 2
    assert "All checks passed" not in r.stdout and "No notebook could be read" in r.stdout


@pytest.mark.slow  # the CLI in subprocesses
def test_symlinked_notebook_is_shown_under_its_own_name(tmp_path: Path, write_nb) -> None:
    real = write_nb("import os", name="real.ipynb", title=False)
    (tmp_path / "alias.ipynb").symlink_to(real)
    r = nb2prod("lint", "alias.ipynb", "--select", "NB702", cwd=tmp_path)
    assert r.stdout.startswith("alias.ipynb:cell 1:1:1: NB702")


@pytest.mark.slow  # the CLI in subprocesses
def test_exclude_applies_with_an_explicit_config(tmp_path: Path, write_nb) -> None:
    (tmp_path / "cfg.toml").write_text('[tool.nb2prod]\nexclude = ["archive/"]\n')
    write_nb("x = 1", name="a.ipynb")
    write_nb("x = 1", name="archive/old.ipynb")
    r = nb2prod("lint", ".", "--config", "cfg.toml", "--format", "json", cwd=tmp_path)
    assert [n["path"] for n in json.loads(r.stdout)["notebooks"]] == ["a.ipynb"]


@pytest.mark.slow  # the CLI in subprocesses
def test_empty_selection_warns(tmp_path: Path, write_nb) -> None:
    write_nb("x = 1")
    r = nb2prod("lint", "nb.ipynb", "--ignore", "ALL", cwd=tmp_path)
    assert "no rules are selected" in r.stderr
