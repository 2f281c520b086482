"""A compact way to write fixture notebooks for rule tests.

Specs live in ``specs/nbN.py`` as ``FIXTURES = {"NB101": {"fires": case(...), "clean": case(...)}}``.
``build_fixtures.py`` writes each case to ``fixtures/<CODE>/<case>/notebook.ipynb`` (plus any
extra ``files``), and ``test_rules.py`` lints them with only that rule selected.

A case named ``fires*`` must produce the rule; one named ``clean*`` must not. In a firing
case, a line ending in ``# expect: NB101`` marks where a finding must be; when a case has
markers, the findings of that rule must be exactly at the marked (cell, line) places.
``expect_cells=[3]`` does the same for findings without a line (outputs, whole cells).
``also_select=[...]`` runs more rules beside the one under test (their findings are
ignored), for rules that depend on others, like NB720 unused-suppression.
``execute=True`` lints the case as ``nb2prod lint --execute`` does (the notebook runs in
a fresh kernel, with short time limits), ``reproduce=True`` as ``--reproduce``: the
execution-only rules (NB307-NB310) are checked by running their fixtures, not exempted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import nbformat
from nbformat import v4

PY_META = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "version": "3.11.7"},
}


@dataclass
class Case:
    notebook: nbformat.NotebookNode
    files: dict[str, str] = field(default_factory=dict)
    expect_cells: list[int] | None = None
    also_select: list[str] | None = None  # rules that must run too (e.g. for NB720)
    execute: bool = False  # lint with execution (`--execute`)
    reproduce: bool = False  # ... and run twice (`--reproduce`)


def code(source: str, *, tags: list[str] | None = None, outputs: list[dict[str, Any]] | None = None,
         count: int | None = None, metadata: dict[str, Any] | None = None) -> nbformat.NotebookNode:
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


def nb(*cells: nbformat.NotebookNode, metadata: dict[str, Any] | None = None,
       files: dict[str, str] | None = None, expect_cells: list[int] | None = None,
       also_select: list[str] | None = None, title: bool = True, execute: bool = False,
       reproduce: bool = False) -> Case:
    """A notebook case. ``title`` prepends nothing; cells are numbered from 1 as given."""
    book = v4.new_notebook()
    book.metadata.update(PY_META if metadata is None else metadata)
    book.cells = list(cells)
    for i, c in enumerate(book.cells, start=1):
        c["id"] = f"cell-{i}"
    return Case(book, dict(files or {}), expect_cells, also_select, execute or reproduce, reproduce)
