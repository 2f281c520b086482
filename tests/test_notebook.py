from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat import v3

from nb2prod.code import parse_code
from nb2prod.diagnostics import Finding
from nb2prod.engine import NotebookResult
from nb2prod.notebook import Notebook, NotebookError, notebook_from_dict, read_notebook

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
JUPYTEXT_SCRIPTS = CORPUS / "mwouts__jupytext" / "tests" / "data" / "notebooks" / "outputs" / "script_to_ipynb"


def test_cells_are_numbered_from_one_over_all_cells(write_nb) -> None:
    nb = read_notebook(write_nb("x = 1", "y = 2"))
    assert [c.index for c in nb.cells] == [1, 2, 3]
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code"]
    assert nb.cells[1].id == "c2"
    assert nb.language == "python" and nb.is_python


def test_v3_notebook_is_upgraded(tmp_path: Path) -> None:
    cells = [v3.new_text_cell("markdown", source="# T"), v3.new_code_cell(input="x = 1")]
    old = v3.new_notebook(worksheets=[v3.new_worksheet(cells=cells)])
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.writes(old, version=3))
    nb = read_notebook(path)
    assert nb.nbformat == 4
    assert [c.cell_type for c in nb.cells] == ["markdown", "code"]
    assert nb.cells[1].source == "x = 1"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "invalid JSON"),
        (b"[1, 2]", "top-level JSON is list"),
        (b'{"cells": []}', "no integer 'nbformat'"),
        (b'{"nbformat": 4, "nbformat_minor": 4, "metadata": {}}', "'cells' is missing"),
        (b'{"nbformat": 9, "cells": []}', "unsupported nbformat 9"),
        (b'{"nbformat": true, "cells": []}', "not a notebook: no integer 'nbformat' field"),
        (b'{"nbformat": false, "cells": []}', "not a notebook: no integer 'nbformat' field"),
        (b'{"nbformat": 0, "cells": []}', "unsupported nbformat 0"),
        (b'{"nbformat": -3, "cells": []}', "unsupported nbformat -3"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"", "invalid JSON"),
    ],
)
def test_unreadable_files_give_one_line_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    with pytest.raises(NotebookError) as err:
        read_notebook(path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(NotebookError, match="no such file"):
        read_notebook(tmp_path / "nope.ipynb")
    with pytest.raises(NotebookError, match="is a directory"):
        read_notebook(tmp_path)


def test_schema_problems_are_kept_not_fatal() -> None:
    data = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
            "cells": [{"cell_type": "code", "source": "x = 1", "metadata": {}, "id": "a"}]}
    nb = notebook_from_dict(data)
    assert nb.schema_error and len(nb.cells) == 1


def test_source_lines_map_to_raw_file_lines(write_nb) -> None:
    path = write_nb("a = 1\nb = 2\nc = 3", "d = 4")
    nb = read_notebook(path)
    raw_lines = path.read_text().splitlines()
    mapping = nb.source_line_map
    assert mapping is not None and set(mapping) == {1, 2, 3}
    start, one_per_line = mapping[2]
    assert one_per_line and '"a = 1\\n"' in raw_lines[start - 1]
    # The mapping as the output formats use it: cell 2, line 3 is `c = 3`.
    result = NotebookResult(path=str(path), file_lines=dict(mapping))
    assert '"c = 3"' in raw_lines[result.file_line(Finding("NB000", "m", cell=2, line=3)) - 1]
    assert '"d = 4"' in raw_lines[result.file_line(Finding("NB000", "m", cell=3, line=1)) - 1]
    # The model has no line arithmetic of its own: NotebookResult.file_line is the one.
    assert not hasattr(Notebook, "file_line")


def test_source_line_map_annotation_matches_its_value() -> None:
    import typing

    hints = typing.get_type_hints(Notebook.source_line_map.func)
    assert hints["return"] == dict[int, tuple[int, bool]] | None


def test_upgraded_notebook_has_no_source_line_map(tmp_path: Path) -> None:
    old = v3.new_notebook(worksheets=[v3.new_worksheet(cells=[v3.new_code_cell(input="x = 1")])])
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.writes(old, version=3))
    assert read_notebook(path).source_line_map is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": []}, "its content is malformed"),
        ({"nbformat": 3}, "it has no 'worksheets'"),
        ({"nbformat": 2}, "it has no 'worksheets'"),
        ({"nbformat": 1, "cells": "x"}, "its content is malformed"),
    ],
)
def test_malformed_old_notebook_gives_a_plain_upgrade_error(tmp_path: Path, data: dict, reason: str) -> None:
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(data))
    with pytest.raises(NotebookError) as err:
        read_notebook(path)
    major = data["nbformat"]
    assert str(err.value) == f"cannot upgrade nbformat {major} notebook to v4: {reason}"


def test_file_size_in_bytes_is_recorded(tmp_path: Path, write_nb) -> None:
    path = write_nb("x = 'héllo ✓'")
    nb = read_notebook(path)
    assert nb.size_bytes == path.stat().st_size
    assert nb.size_bytes > len(path.read_text(encoding="utf-8"))  # bytes, not characters
    bom = tmp_path / "bom.ipynb"
    bom.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_notebook(bom).size_bytes == path.stat().st_size + 3
    assert notebook_from_dict(json.loads(path.read_text(encoding="utf-8"))).size_bytes is None


def test_first_line_comment_tags() -> None:
    data = {"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [
        {"cell_type": "code", "source": "\n# nb2prod: predict, serve\ndef predict(): pass", "metadata": {},
         "outputs": [], "execution_count": None},
        {"cell_type": "code", "source": "x = 1", "metadata": {"tags": ["nb2prod:test", "hide-input"]},
         "outputs": [], "execution_count": None},
    ]}
    nb = notebook_from_dict(data)
    assert nb.cells[0].nb2prod_tags == {"predict", "serve"}
    assert nb.cells[1].nb2prod_tags == {"test"}


@pytest.mark.parametrize(
    ("source", "kinds"),
    [
        ("%matplotlib inline\nx = 1", [("line", "matplotlib")]),
        ("!pip install numpy", [("shell", "!")]),
        ("files = !ls", [("shell_capture", "!")]),
        ("len?", [("help", "pinfo")]),
        ("%%bash\necho hi", [("cell", "bash")]),
        ("%%time\n%cd /tmp\nx = 1", [("cell", "time"), ("line", "cd")]),
        ("for i in range(2):\n    !echo $i", [("shell", "!")]),
    ],
)
def test_ipython_syntax_is_parsed_as_facts(source: str, kinds) -> None:
    parsed = parse_code(source)
    assert parsed.syntax_error is None
    assert [(m.kind, m.name) for m in parsed.magics] == kinds


def test_cell_magic_body_keeps_its_line_numbers() -> None:
    parsed = parse_code("%%time\nx = 1\ny = (\n")
    assert parsed.syntax_error is not None and parsed.syntax_error.line >= 3
    ok = parse_code("%%capture out\nimport os\n")
    assert ok.tree is not None and ok.line_offset == 1
    assert ok.tree.body[0].lineno + ok.line_offset == 2


def test_real_syntax_errors_are_reported() -> None:
    parsed = parse_code("def f(:\n    pass")
    assert parsed.tree is None and parsed.syntax_error is not None
    assert parsed.syntax_error.line == 1


def test_null_bytes_do_not_crash() -> None:
    assert parse_code("x = 1\x00").syntax_error is not None


def test_non_python_notebooks(tmp_path: Path) -> None:
    data = {"nbformat": 4, "nbformat_minor": 4, "cells": [],
            "metadata": {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}}}
    path = tmp_path / "r.ipynb"
    path.write_text(json.dumps(data))
    nb = read_notebook(path)
    assert nb.language == "r" and not nb.is_python


def _lang(metadata: dict) -> Notebook:
    return notebook_from_dict({"nbformat": 4, "nbformat_minor": 4, "cells": [], "metadata": metadata})


@pytest.mark.parametrize(
    ("metadata", "language"),
    [
        ({"jupytext": {"main_language": "R"}}, "r"),
        ({"jupytext": {"main_language": "julia"}}, "julia"),
        ({"jupytext": {"main_language": "powershell"}}, "powershell"),
        ({"jupytext": {"main_language": "python"}}, "python"),
        ({"jupytext": {"main_language": ""}}, "python"),
        ({"jupytext": {"main_language": 3}}, "python"),
        ({"jupytext": "R"}, "python"),
        # A kernel that says its language wins over jupytext's guess from the script.
        ({"kernelspec": {"name": "python3", "language": "python", "display_name": "P"},
          "jupytext": {"main_language": "R"}}, "python"),
        ({"language_info": {"name": "python"}, "jupytext": {"main_language": "R"}}, "python"),
        ({"kernelspec": {"name": "ir", "language": "R", "display_name": "R"},
          "jupytext": {"main_language": "python"}}, "r"),
    ],
)
def test_language_falls_back_to_jupytext_main_language(metadata: dict, language: str) -> None:
    nb = _lang(metadata)
    assert nb.language == language
    assert nb.is_python == (language == "python")


@pytest.mark.skipif(not JUPYTEXT_SCRIPTS.is_dir(), reason=f"corpus not found at {JUPYTEXT_SCRIPTS}")
@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("simple_r_script.ipynb", "r"),
        ("knitr-spin.ipynb", "r"),
        ("julia_sample_script.ipynb", "julia"),
        ("build.ipynb", "powershell"),
        ("light_sample.ipynb", "python"),
        ("python_notebook_sample.ipynb", "python"),
        ("basic_marimo_example.ipynb", "python"),
    ],
)
def test_jupytext_script_notebooks_have_their_language(name: str, language: str) -> None:
    nb = read_notebook(JUPYTEXT_SCRIPTS / name)
    assert "kernelspec" not in nb.metadata  # what makes these depend on jupytext's metadata
    assert nb.language == language
    assert nb.is_python == (language == "python")
