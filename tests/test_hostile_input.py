"""``nb2prod lint`` on hostile input: whatever a notebook or a folder holds, the result is a
report and an exit code of 0, 1 or 2, errors are one line naming the file, and the other
files are still linted.

- lone surrogates in a notebook, file names that are not UTF-8;
- integers of more than 4300 digits, in the JSON and in the code;
- symlink loops, FIFOs, devices, files over the size limit;
- control characters in file names and messages, folders that cannot be listed;
- real nbformat 1, 2 and 3 files.

The notebooks here are written as raw JSON (``notebook`` / ``write`` below), not with the
shared builder of ``_notebooks.py``: nbformat cannot write some of what these tests need on
disk (a lone surrogate, an integer of thousands of digits).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from nb2prod.engine import RunResult, lint_file, lint_notebook
from nb2prod.formats import FORMATS, FormatContext, render
from nb2prod.notebook import NotebookError, notebook_from_dict, read_notebook
from nb2prod.walk import discover

OLD = Path(__file__).parent / "fixtures" / "nbformat_old"
FORMAT_NAMES = sorted(FORMATS)


def nb2prod(*args: str, cwd: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nb2prod", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1", **env}, timeout=timeout, errors="replace")


def notebook(*sources: str, outputs: list | None = None, tags: list | None = None, cell_id: str = "c1",
             metadata: dict | None = None) -> dict:
    cells = [{"cell_type": "markdown", "id": "title", "metadata": {}, "source": "# Title"}]
    for s in sources:
        cells.append({"cell_type": "code", "id": cell_id if len(cells) == 1 else f"c{len(cells)}",
                      "metadata": {"tags": tags or []}, "execution_count": len(cells),
                      "outputs": outputs or [], "source": s})
    meta = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.11.7"}, **(metadata or {})}
    return {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}


def write(path: Path, data: dict) -> Path:
    # ensure_ascii: a lone surrogate is written as the JSON escape "\ud800", as Jupyter would.
    path.write_text(json.dumps(data, ensure_ascii=True), encoding="utf-8")
    return path


def check_report(fmt: str, text: str) -> None:
    """The report encodes as UTF-8 and parses where it is JSON or XML."""
    text.encode("utf-8")
    if fmt in ("json", "sarif"):
        json.loads(text)
    elif fmt == "junit":
        ET.fromstring(text.encode("utf-8"))


# -- lone surrogates -----------------------------------------------------------------------


SURROGATE = "\ud800"


def surrogate_notebooks(tmp_path: Path) -> list[Path]:
    return [
        write(tmp_path / "source.ipynb", notebook(f"x = '{SURROGATE}'\nimport os")),
        write(tmp_path / "output.ipynb", notebook("print(1)", outputs=[
            {"output_type": "stream", "name": "stdout", "text": f"a{SURROGATE}b"}])),
        write(tmp_path / "tag.ipynb", notebook("import os", tags=[f"nb2prod:ignore:NB{SURROGATE}"],
                                               cell_id=f"c{SURROGATE}")),
        write(tmp_path / "meta.ipynb", notebook("import os", metadata={f"k{SURROGATE}": [SURROGATE]})),
    ]


@pytest.mark.slow  # runs the CLI (or pytest) in subprocesses
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_lone_surrogates_in_a_notebook_give_a_report_in_every_format(tmp_path: Path, fmt: str) -> None:
    files = surrogate_notebooks(tmp_path)
    write(tmp_path / "good.ipynb", notebook("print(nope)"))  # NB701, an error: exit 1
    r = nb2prod("lint", *[f.name for f in files], "good.ipynb", "--format", fmt, "-o", "report", cwd=tmp_path)
    assert "Traceback" not in r.stderr and r.returncode == 1, r.stderr
    report = (tmp_path / "report").read_text(encoding="utf-8")
    check_report(fmt, report)
    for name in ("source.ipynb", "output.ipynb", "tag.ipynb", "meta.ipynb", "good.ipynb"):
        assert name in report
    assert "NB702" in report  # `import os` unused: the notebooks were linted, not refused
    # stdout too
    out = nb2prod("lint", *[f.name for f in files], "--format", fmt, "--fail-on", "warning", cwd=tmp_path)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    check_report(fmt, out.stdout)


def test_the_model_holds_no_lone_surrogates(tmp_path: Path) -> None:
    for path in surrogate_notebooks(tmp_path):
        nb = read_notebook(path)
        dumped = json.dumps([nb.metadata, [(c.source, c.id, c.metadata, c.outputs) for c in nb.cells]],
                            ensure_ascii=False)
        dumped.encode("utf-8")
        assert "\ufffd" in dumped
    # and from a dict (the server extension and the widget build the model that way)
    nb = notebook_from_dict(notebook(f"x = '{SURROGATE}'"))
    assert nb.cells[1].source == "x = '\ufffd'"


@pytest.mark.slow  # runs the CLI (or pytest) in subprocesses
@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8")
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_a_file_name_that_is_not_utf8_gives_a_report_in_every_format(tmp_path: Path, fmt: str) -> None:
    name = b"caf\xe9.ipynb"
    with open(os.path.join(os.fsencode(tmp_path), name), "w") as fh:
        json.dump(notebook("import os"), fh)
    write(tmp_path / "good.ipynb", notebook("import os"))
    r = subprocess.run([sys.executable, "-m", "nb2prod", "lint", ".", "--format", fmt, "--fail-on", "warning"],
                       cwd=tmp_path,
                       capture_output=True, env={**os.environ, "NO_COLOR": "1"}, timeout=120)
    stdout = r.stdout.decode("utf-8")  # strict: the report is valid UTF-8
    assert r.returncode == 1 and b"Traceback" not in r.stderr, r.stderr
    check_report(fmt, stdout)
    assert "good.ipynb" in stdout and "caf" in stdout


# -- integers Python cannot print --------------------------------------------------------


@pytest.mark.slow  # runs the CLI (or pytest) in subprocesses
def test_an_integer_of_more_than_4300_digits_in_the_json_is_one_line_naming_the_file(tmp_path: Path) -> None:
    huge = "9" * 5000
    cell = '{"cell_type": "code", "metadata": {}, "execution_count": ' + huge + ', "outputs": [], "source": "x"}'
    top = '"metadata": {}, "nbformat": 4, "nbformat_minor": 4'
    (tmp_path / "count.ipynb").write_text('{"cells": [' + cell + "], " + top + "}")
    write(tmp_path / "good.ipynb", notebook("import os"))
    r = nb2prod("lint", "count.ipynb", "good.ipynb", "--format", "json", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.splitlines() == ["nb2prod: error: count.ipynb: invalid JSON: an integer of more than 4300 digits"]
    doc = json.loads(r.stdout)
    assert [nb["path"] for nb in doc["notebooks"]] == ["count.ipynb", "good.ipynb"]
    assert doc["notebooks"][1]["findings"]


def test_huge_integer_literals_in_code_crash_no_rule(tmp_path: Path) -> None:
    hex_literal = "0x" + "f" * 5000  # valid Python; str() of its value raises ValueError
    decimal = "9" * 5000  # a SyntaxError for Python itself
    sources = [
        f"from sklearn.svm import LinearSVC\nm = LinearSVC(dual={hex_literal})",
        f"import random\nrandom.seed({hex_literal})\nrandom.random()",
        f"from sklearn.model_selection import KFold\nKFold(shuffle={hex_literal})",
        f"print({hex_literal})\nassert {hex_literal} == 1",
        f"x = {decimal}",
    ]
    nb = notebook_from_dict(notebook(*sources))
    result = lint_notebook(nb, raise_errors=True)
    assert result.internal_errors == []
    assert any(f.code == "NB708" for f in result.findings)  # the decimal literal
    run = RunResult([result])
    for fmt in FORMAT_NAMES:
        check_report(fmt, render(fmt, run, FormatContext()))
    # the model built from a dict refuses what JSON could not hold either
    with pytest.raises(NotebookError, match="4300 digits"):
        notebook_from_dict({**notebook("x = 1"), "metadata": {"n": 10**5000}})


# -- what a folder walk meets -------------------------------------------------------------


@pytest.mark.slow  # runs the CLI (or pytest) in subprocesses
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symlinks")
def test_symlink_loops_fifos_and_devices_are_never_read(tmp_path: Path) -> None:
    write(tmp_path / "good.ipynb", notebook("import os"))
    os.mkfifo(tmp_path / "x.ipynb")
    (tmp_path / "z.ipynb").symlink_to("/dev/zero")
    (tmp_path / "loop1.ipynb").symlink_to("loop2.ipynb")
    (tmp_path / "loop2.ipynb").symlink_to("loop1.ipynb")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to("..", target_is_directory=True)
    walk = nb2prod("lint", ".", "--format", "json", cwd=tmp_path, timeout=60)
    assert walk.returncode == 2 and "Traceback" not in walk.stderr, walk.stderr
    paths = [nb["path"] for nb in json.loads(walk.stdout)["notebooks"]]
    assert paths == ["good.ipynb", "loop1.ipynb", "loop2.ipynb"]  # the FIFO and the device skipped
    assert walk.stderr.splitlines() == [
        "nb2prod: error: loop1.ipynb: too many levels of symbolic links",
        "nb2prod: error: loop2.ipynb: too many levels of symbolic links",
    ]
    named = nb2prod("lint", "x.ipynb", "z.ipynb", "loop1.ipynb", "good.ipynb", "--format", "json", cwd=tmp_path,
                    timeout=60)
    assert named.returncode == 2
    assert named.stderr.splitlines() == [
        "nb2prod: error: x.ipynb: is a FIFO (named pipe), not a notebook file or a folder",
        "nb2prod: error: z.ipynb: is a character device, not a notebook file or a folder",
        "nb2prod: error: loop1.ipynb: too many levels of symbolic links",
    ]
    assert json.loads(named.stdout)["notebooks"][3]["findings"]
    # read_notebook itself refuses them too (the pytest plugin and the build call it)
    with pytest.raises(NotebookError, match="FIFO"):
        read_notebook(tmp_path / "x.ipynb")
    with pytest.raises(NotebookError, match="character device"):
        read_notebook(tmp_path / "z.ipynb")


@pytest.mark.slow  # runs the CLI (or pytest) in subprocesses
def test_files_over_max_notebook_bytes_are_refused_unread(tmp_path: Path) -> None:
    write(tmp_path / "big.ipynb", notebook("x = 1", outputs=[
        {"output_type": "stream", "name": "stdout", "text": "y" * 5000}]))
    write(tmp_path / "small.ipynb", notebook("import os"))
    (tmp_path / "pyproject.toml").write_text("[tool.nb2prod]\nmax-notebook-bytes = 4000\n")
    r = nb2prod("lint", "big.ipynb", "small.ipynb", "--format", "json", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.splitlines() == ["nb2prod: error: big.ipynb: larger than the 4 kB limit (max-notebook-bytes)"]
    assert json.loads(r.stdout)["notebooks"][1]["findings"]
    (tmp_path / "pyproject.toml").write_text("[tool.nb2prod]\nmax-notebook-bytes = 0\n")  # 0: no limit
    assert nb2prod("lint", "big.ipynb", "-q", cwd=tmp_path).returncode == 0
    # The default: a sparse file of just over 100 MB is refused from its size, never read.
    huge = tmp_path / "huge.ipynb"
    with open(huge, "wb") as fh:
        fh.truncate(100_000_001)
    with pytest.raises(NotebookError, match=r"^larger than the 100 MB limit \(max-notebook-bytes\)$"):
        read_notebook(huge)


@pytest.mark.slow  # runs the CLI (or pytest) in subprocesses
def test_max_notebook_bytes_holds_for_the_pytest_plugin_and_the_build(tmp_path: Path) -> None:
    write(tmp_path / "big.ipynb", notebook("x = 1", outputs=[
        {"output_type": "stream", "name": "stdout", "text": "y" * 5000}]))
    (tmp_path / "pyproject.toml").write_text("[tool.nb2prod]\nmax-notebook-bytes = 4000\n")
    r = subprocess.run([sys.executable, "-m", "pytest", "--nb2prod", "-p", "no:cacheprovider", "big.ipynb"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "larger than the 4 kB limit (max-notebook-bytes)" in r.stdout, r.stdout
    r = nb2prod("build", "big.ipynb", "-o", "svc", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == (
        "nb2prod: error: big.ipynb: cannot read the notebook: larger than the 4 kB limit (max-notebook-bytes)")


@pytest.mark.slow  # runs the CLI (or pytest) in subprocesses
def test_a_fifo_named_like_a_dependency_file_never_blocks_the_lint(tmp_path: Path) -> None:
    """deps.py opened requirements.txt / environment.yml with a plain open(): a FIFO there hung forever."""
    write(tmp_path / "a.ipynb", notebook("import pandas as pd"))
    for name in ("requirements.txt", "environment.yml", "Pipfile"):
        os.mkfifo(tmp_path / name)
    r = nb2prod("lint", "a.ipynb", "--select", "NB2", "--format", "json", cwd=tmp_path, timeout=60)
    assert r.returncode in (0, 1), r.stderr
    assert "Traceback" not in r.stderr
    assert json.loads(r.stdout)["notebooks"][0]["path"] == "a.ipynb"


# -- control characters, folders that cannot be listed ----------------------------------


@pytest.mark.slow  # runs the CLI (or pytest) in subprocesses
def test_a_newline_in_a_file_name_never_starts_a_line(tmp_path: Path) -> None:
    evil = "a\n::error file=README.md::pwned.ipynb"
    (tmp_path / evil).write_text("{oops")
    write(tmp_path / "b\x1b[2Jc.ipynb", notebook("import os"))
    for fmt in ("text", "github"):
        r = nb2prod("lint", evil, "b\x1b[2Jc.ipynb", "--format", fmt, cwd=tmp_path)
        assert r.returncode == 2
        lines = (r.stdout + r.stderr).splitlines()
        assert not any(line.startswith("::error file=README.md") for line in lines)
        assert "\x1b" not in r.stdout + r.stderr
    r = nb2prod("lint", evil, "--format", "json", cwd=tmp_path)
    assert r.stderr.splitlines() == ["nb2prod: error: a\\n::error file=README.md::pwned.ipynb: invalid JSON: "
                                     "Expecting property name enclosed in double quotes (line 1, column 2)"]
    gh = nb2prod("lint", "b\x1b[2Jc.ipynb", "--format", "github", cwd=tmp_path)
    # GitHub's escaping of properties (the runner decodes %0A, %3A, %2C back)
    write(tmp_path / "d,e:f\ng.ipynb", notebook("import os"))
    gh = nb2prod("lint", "d,e:f\ng.ipynb", "--format", "github", cwd=tmp_path)
    assert "::warning file=d%2Ce%3Af%0Ag.ipynb,line=" in gh.stdout


def test_control_characters_in_messages_are_escaped_in_text_and_github(tmp_path: Path) -> None:
    nb = notebook_from_dict(notebook("data = open('/Users/alice/\x1b[2J.csv').read()"))
    run = RunResult([lint_notebook(nb)])
    for fmt in ("text", "github"):
        text = render(fmt, run, FormatContext())
        assert "NB501" in text  # its message quotes the path
        assert "\x1b" not in text and "/Users/alice/\\x1b[2J.csv" in text
    frame = render("text", run, FormatContext()).split("NB501 [warning]")[1].splitlines()
    assert frame[2] == "1 | data = open('/Users/alice/\\x1b[2J.csv').read()"
    assert frame[3].index("^") == frame[2].index("/Users")  # the carets still point at the path


def test_a_folder_that_cannot_be_listed_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "good.ipynb", notebook("import os"))
    (tmp_path / "locked").mkdir()
    write(tmp_path / "locked" / "hidden.ipynb", notebook("import os"))
    real_scandir = os.scandir
    locked = str(tmp_path / "locked")

    def scandir(path: object = ".") -> object:
        if os.path.abspath(path) == locked:  # as chmod 000 does for a user other than root
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    targets = list(discover([tmp_path]))
    assert [(t.path, t.error) for t in targets] == [
        (tmp_path / "good.ipynb", None),
        (tmp_path / "locked", "cannot read folder: Permission denied"),
    ]
    # through the CLI, in-process (the patch must hold)
    from nb2prod.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["lint", ".", "-q"]) == 2


@pytest.mark.slow  # runs the CLI (or pytest) in subprocesses
@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_a_folder_without_read_permission_exits_2(tmp_path: Path) -> None:
    write(tmp_path / "good.ipynb", notebook("import os"))
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked").chmod(0)
    try:
        r = nb2prod("lint", ".", "--format", "json", cwd=tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert r.returncode == 2
    assert r.stderr.splitlines() == ["nb2prod: error: locked: cannot read folder: Permission denied"]


# -- nbformat 1-3 -------------------------------------------------------------------------


def test_real_nbformat_2_and_3_notebooks_are_upgraded_as_nbformat_reads_them() -> None:
    for name in ("test2.ipynb", "test3.ipynb", "test3_no_min_version.ipynb"):
        path = OLD / name
        nb = read_notebook(path)
        expected = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        assert [(c.cell_type, c.source) for c in nb.cells] == [(c.cell_type, c.source) for c in expected.cells]
        assert [c.outputs for c in nb.cells if c.is_code] == [
            json.loads(json.dumps(c.outputs)) for c in expected.cells if c.cell_type == "code"]
        result = lint_file(path)
        assert result.error is None and result.internal_errors == []
    assert read_notebook(OLD / "test3.ipynb").cells[3].source == 'print("hello")'
    # no invented (random) cell ids: the report is the same from run to run
    assert {c.id for c in read_notebook(OLD / "test3.ipynb").cells} == {None}


@pytest.mark.parametrize(("name", "missing"), [("test3_no_metadata.ipynb", "metadata"),
                                               ("test3_no_worksheets.ipynb", "worksheets"),
                                               ("test3_worksheet_with_no_cells.ipynb", "cells")])
def test_old_notebooks_nbformat_refuses_are_refused_naming_what_is_missing(name: str, missing: str) -> None:
    with pytest.raises(NotebookError, match=f"^cannot upgrade nbformat 3 notebook to v4: it has no '{missing}'$"):
        read_notebook(OLD / name)


@pytest.mark.slow  # runs the CLI (or pytest) in subprocesses
def test_a_v3_notebook_on_the_command_line_is_linted(tmp_path: Path) -> None:
    r = nb2prod("lint", str(OLD / "test3.ipynb"), str(OLD / "test2.ipynb"), "--format", "json", cwd=tmp_path)
    assert r.returncode in (0, 1) and r.stderr == ""
    assert [nb["error"] for nb in json.loads(r.stdout)["notebooks"]] == [None, None]


def test_nbformat_1_is_upgraded() -> None:
    from nbformat import v1

    book = v1.new_notebook(cells=[v1.new_text_cell(text="# Old"), v1.new_code_cell(code="import os\nx = 1")])
    data = json.loads(v1.writes_json(book))
    # v1's writer records no version (nbformat's reader takes a missing one for 1);
    # nb2prod wants it said.
    data["nbformat"] = 1
    nb = notebook_from_dict(data)
    assert [(c.cell_type, c.source) for c in nb.cells] == [("markdown", "# Old"), ("code", "import os\nx = 1")]


@pytest.mark.slow  # runs the CLI (or pytest) in subprocesses
def test_the_report_never_replaces_a_notebook_it_lints(tmp_path: Path) -> None:
    nb = write(tmp_path / "a.ipynb", notebook("import os"))
    before = nb.read_bytes()
    (tmp_path / "alias.ipynb").symlink_to("a.ipynb")
    for output in ("a.ipynb", "alias.ipynb", "./a.ipynb"):
        r = nb2prod("lint", ".", "-o", output, cwd=tmp_path)
        assert r.returncode == 2
        assert r.stderr.splitlines() == [
            f"nb2prod: error: {output}: is one of the notebooks being linted; the report would replace it"]
    assert nb.read_bytes() == before
