"""``nb2prod clean``: outputs and counts cleared in place, nothing else touched, idempotent."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import nbformat
from _notebooks import PY_META, code, md, notebook, result, stream, write

from nb2prod.clean import clean_text, main, register


def _dirty(path: Path, **meta: object) -> Path:
    """A notebook as Jupyter saves it after a run: outputs, counts, timing metadata."""
    return write(
        path,
        md("# Title — naïve café"),
        code("x = 1\nx", count=3, outputs=[result("1", count=3)],
             metadata={"tags": ["parameters"], "execution": {"iopub.status.busy": "2024-01-01"}, "scrolled": True}),
        code("print('hi')", count=4, outputs=[stream("hi\n")]),
        code("# never run"),
        metadata={**PY_META, "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}, **meta},
    )


def _state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def test_clears_outputs_and_counts_keeps_everything_else(tmp_path: Path, capsys) -> None:
    path = _dirty(tmp_path / "nb.ipynb")
    before = nbformat.read(path, as_version=4)
    assert main([str(path)]) == 0
    assert f"cleaned {path} (2 outputs, 2 execution counts)" in capsys.readouterr().out
    after = nbformat.read(path, as_version=4)
    for cell in after.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    # Sources, ids, tags, kernel and language metadata (NB205 needs them) are kept;
    # metadata noise stays unless --metadata is given.
    assert [c.source for c in after.cells] == [c.source for c in before.cells]
    assert [c.id for c in after.cells] == ["cell-1", "cell-2", "cell-3", "cell-4"]
    assert after.cells[1].metadata["tags"] == ["parameters"] and "execution" in after.cells[1].metadata
    assert after.metadata.kernelspec == before.metadata.kernelspec
    assert after.metadata.language_info == before.metadata.language_info
    assert "widgets" in after.metadata


def test_written_as_jupyter_writes(tmp_path: Path) -> None:
    """The result is byte for byte what Jupyter (nbformat) writes for the cleaned model,
    so the git diff is only the lines that held outputs and counts."""
    path = _dirty(tmp_path / "nb.ipynb")
    assert main(["-q", str(path)]) == 0
    expected = nbformat.read(path, as_version=4)
    text = path.read_text(encoding="utf-8")
    assert text == nbformat.writes(expected) + "\n"
    assert text.startswith('{\n "cells": [\n  {\n')  # one-space indent
    assert "naïve café" in text  # not \u-escaped


def test_idempotent_and_never_touches_a_clean_file(tmp_path: Path, capsys) -> None:
    path = _dirty(tmp_path / "nb.ipynb")
    assert main([str(path)]) == 0
    first = _state(path)
    capsys.readouterr()
    assert main([str(path)]) == 0
    assert _state(path) == first
    assert capsys.readouterr().out.strip() == "1 already clean."


def test_a_clean_file_in_another_layout_is_left_alone(tmp_path: Path) -> None:
    """Another tool's layout (indent 2, string sources, no final newline) is not ours to
    rewrite when there is nothing to clean."""
    data = {
        "cells": [{"cell_type": "code", "execution_count": None, "id": "a", "metadata": {}, "outputs": [],
                   "source": "x = 1\ny = 2"}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    path = tmp_path / "other.ipynb"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    before = _state(path)
    assert main(["--check", str(path)]) == 0
    assert main([str(path)]) == 0
    assert _state(path) == before


def test_check_reports_and_changes_nothing(tmp_path: Path, capsys) -> None:
    dirty = _dirty(tmp_path / "dirty.ipynb")
    clean = _dirty(tmp_path / "clean.ipynb")
    assert main(["-q", str(clean)]) == 0
    before = _state(dirty)
    assert main(["--check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"would clean {dirty}" in out and str(clean) not in out.replace(str(dirty), "")
    assert "1 notebook would be cleaned, 1 already clean." in out
    assert _state(dirty) == before
    assert main([str(tmp_path)]) == 0
    assert main(["--check", str(tmp_path)]) == 0


def test_metadata_noise_only_with_the_flag(tmp_path: Path) -> None:
    path = _dirty(tmp_path / "nb.ipynb", signature="sha256:abc")
    assert main(["-q", "--metadata", str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata and "signature" not in nb.metadata
    assert nb.cells[1].metadata == {"tags": ["parameters"]}
    assert nb.metadata.language_info["version"] == "3.11.7"
    # Only noise left after a plain clean: --check --metadata still wants to change it.
    path2 = _dirty(tmp_path / "nb2.ipynb")
    assert main(["-q", str(path2)]) == 0
    assert main(["-q", "--check", str(path2)]) == 0
    assert main(["-q", "--check", "--metadata", str(path2)]) == 1


def test_line_endings_bom_and_file_mode_are_kept(tmp_path: Path) -> None:
    path = _dirty(tmp_path / "nb.ipynb")
    crlf = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + crlf)
    path.chmod(0o640)
    assert main(["-q", str(path)]) == 0
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf{\r\n") and raw.endswith(b"}\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert nbformat.reads(raw.decode("utf-8-sig"), as_version=4).cells[1].outputs == []
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nb.ipynb"]  # no temp file left


def test_nbformat_3_stays_3(tmp_path: Path) -> None:
    v3 = {
        "metadata": {"name": ""}, "nbformat": 3, "nbformat_minor": 0,
        "worksheets": [{"metadata": {}, "cells": [
            {"cell_type": "code", "collapsed": False, "input": ["x = 1"], "language": "python",
             "metadata": {}, "prompt_number": 1,
             "outputs": [{"output_type": "pyout", "prompt_number": 1, "text": ["1"], "metadata": {}}]},
        ]}],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(v3), encoding="utf-8")
    assert main(["-q", str(path)]) == 0
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["nbformat"] == 3
    cell = data["worksheets"][0]["cells"][0]
    assert cell["outputs"] == [] and "prompt_number" not in cell and cell["input"] == ["x = 1"]


def test_unreadable_files_are_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    (tmp_path / "broken.ipynb").write_text("{oops", encoding="utf-8")
    (tmp_path / "list.ipynb").write_text("[]", encoding="utf-8")
    good = _dirty(tmp_path / "good.ipynb")
    code = main([str(tmp_path / "broken.ipynb"), str(tmp_path / "list.ipynb"), str(tmp_path / "missing.ipynb"),
                 str(good)])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("nb2prod: error: ") for line in err)
    assert "broken.ipynb: invalid JSON" in err[0] and "not a notebook" in err[1] and "no such file" in err[2]
    assert nbformat.read(good, as_version=4).cells[1].outputs == []  # the others are still cleaned


def test_folders_are_walked_like_lint(tmp_path: Path) -> None:
    """Same discovery as ``nb2prod lint``: checkpoints, hidden folders and .gitignore are skipped."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("scratch/\n", encoding="utf-8")
    kept = _dirty(tmp_path / "sub" / "a.ipynb")
    skipped = [_dirty(tmp_path / "sub" / ".ipynb_checkpoints" / "a-checkpoint.ipynb"),
               _dirty(tmp_path / "scratch" / "b.ipynb")]
    before = [_state(p) for p in skipped]
    assert main(["-q", str(tmp_path)]) == 0
    assert nbformat.read(kept, as_version=4).cells[1].outputs == []
    assert [_state(p) for p in skipped] == before


def test_clean_text_reports_nothing_to_do() -> None:
    book = notebook(code("x = 1"), metadata={})
    text = nbformat.writes(book) + "\n"
    assert clean_text(text) == (None, [])
    book.cells[0].execution_count = 1
    cleaned, changes = clean_text(nbformat.writes(book) + "\n")
    assert changes == ["1 execution count"] and cleaned == text


def test_unwritable_file_is_an_error_and_left_intact(tmp_path: Path, capsys, monkeypatch) -> None:
    path = _dirty(tmp_path / "nb.ipynb")
    before = _state(path)

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", denied)  # clean imports tempfile when it writes
    assert main([str(path)]) == 2
    assert capsys.readouterr().err.strip() == f"nb2prod: error: {path}: cannot write: Permission denied"
    assert _state(path) == before


def test_register_adds_the_subcommand() -> None:
    parser = argparse.ArgumentParser(prog="nb2prod")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(["clean", "--check", "--metadata", "a.ipynb"])
    assert args.command == "clean" and args.check and args.metadata and args.paths == ["a.ipynb"]
    assert callable(args.handler)
    assert parser.parse_args(["clean"]).paths == ["."]


def test_the_nb2prod_command_runs_it(tmp_path: Path) -> None:
    from nb2prod.cli import build_parser
    from nb2prod.cli import main as cli_main

    build_parser().parse_args(["clean", "--check"])  # the subcommand is registered
    path = _dirty(tmp_path / "nb.ipynb")
    assert cli_main(["clean", "--check", "-q", str(path)]) == 1
    assert cli_main(["clean", "-q", str(path)]) == 0
    assert cli_main(["clean", "--check", "-q", str(path)]) == 0


def test_a_lone_surrogate_is_written_back_as_its_escape(tmp_path: Path, capsys) -> None:
    """``"\\ud800"`` is valid JSON; the cleaned file keeps it byte for byte (it crashed the writer)."""
    path = tmp_path / "s.ipynb"
    book = json.loads(_dirty(tmp_path / "d.ipynb").read_text(encoding="utf-8"))
    book["cells"][1]["source"] = ["x = '\ud800'\n", "y = '\U0001f600'"]
    path.write_text(json.dumps(book, indent=1, ensure_ascii=True) + "\n", encoding="utf-8")
    assert main([str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert "x = '\\ud800'" in text and "y = '\U0001f600'" in text
    assert json.loads(text)["cells"][1]["outputs"] == []
    assert "cleaned" in capsys.readouterr().out


def test_control_characters_in_a_name_stay_on_one_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "bad\n::error::x.ipynb").write_text("{oops", encoding="utf-8")
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("nb2prod: error: ") and "bad\\n::error::x.ipynb" in err[0]
