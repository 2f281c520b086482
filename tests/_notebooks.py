"""The one way tests build notebooks: cells, outputs, a notebook, a file.

``tests/`` is on ``sys.path`` (pytest puts a rootdir-less test folder there, and
``tests/rules/_spec.py`` adds it for ``build_fixtures.py``), so every test imports it as
``from _notebooks import code, md, notebook, write``::

    path = write(tmp_path / "nb.ipynb", md("# Title"), code("x = 1", tags=["predict"]))

Cells are numbered from 1 as given and get the ids ``cell-1``, ``cell-2``... (``ids``
changes the pattern); the notebook's metadata is ``PY_META`` (a Python 3 kernel) unless
``metadata`` is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbformat import v4

PY_META: dict[str, Any] = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "version": "3.11.7"},
}


def code(source: str, *, tags: list[str] | None = None, outputs: list[dict[str, Any]] | None = None,
         count: int | None = None, metadata: dict[str, Any] | None = None) -> nbformat.NotebookNode:
    """A code cell; ``count`` is its execution count, ``outputs`` dicts such as ``stream(...)``."""
    cell = v4.new_code_cell(source)
    cell.execution_count = count
    if outputs:
        cell.outputs = [nbformat.from_dict(o) for o in outputs]
    if tags:
        cell.metadata["tags"] = list(tags)
    if metadata:
        cell.metadata.update(metadata)
    return cell


def md(source: str, *, tags: list[str] | None = None) -> nbformat.NotebookNode:
    cell = v4.new_markdown_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def raw(source: str) -> nbformat.NotebookNode:
    return v4.new_raw_cell(source)


def stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def result(text: str, count: int = 1, **more: str) -> dict[str, Any]:
    return {"output_type": "execute_result", "execution_count": count, "metadata": {},
            "data": {"text/plain": text, **more}}


def display(data: dict[str, Any]) -> dict[str, Any]:
    return {"output_type": "display_data", "metadata": {}, "data": data}


def error(ename: str, evalue: str) -> dict[str, Any]:
    return {"output_type": "error", "ename": ename, "evalue": evalue,
            "traceback": [f"{ename}: {evalue}"]}


def notebook(*cells: nbformat.NotebookNode, metadata: dict[str, Any] | None = None,
             ids: str = "cell-{}") -> nbformat.NotebookNode:
    """An nbformat 4 notebook of ``cells``; cell ``i`` (from 1) gets the id ``ids.format(i)``."""
    book = v4.new_notebook()
    book.metadata.update(PY_META if metadata is None else metadata)
    book.cells = list(cells)
    for i, cell in enumerate(book.cells, start=1):
        cell["id"] = ids.format(i)
    return book


def write(path: Path, *cells: nbformat.NotebookNode, metadata: dict[str, Any] | None = None,
          ids: str = "cell-{}") -> Path:
    """Write ``notebook(*cells, ...)`` to ``path`` (creating its folder); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook(*cells, metadata=metadata, ids=ids), path)
    return path
