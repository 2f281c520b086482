from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(Path(__file__).parent / "rules"))


@pytest.fixture
def write_nb(tmp_path: Path):
    """Write a small notebook built from code-cell sources; returns its path."""

    def _write(*sources: str, name: str = "nb.ipynb", title: bool = True, **cell_kw) -> Path:
        book = v4.new_notebook()
        book.metadata.update(
            {
                "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                "language_info": {"name": "python", "version": "3.11.7"},
            }
        )
        cells = [v4.new_markdown_cell("# A notebook")] if title else []
        cells += [v4.new_code_cell(s, **cell_kw) for s in sources]
        book.cells = cells
        for i, c in enumerate(book.cells):
            c["id"] = f"c{i + 1}"
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(book, path)
        return path

    return _write
