from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat import v3

from nb2prod.code import parse_code
from nb2prod.notebook import NotebookError, notebook_from_dict, read_notebook


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
    # cell 2, line 3 is `c = 3`
    assert '"c = 3"' in raw_lines[nb.file_line(2, 3) - 1]
    assert '"d = 4"' in raw_lines[nb.file_line(3, 1) - 1]


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
