"""What the benchmarks share about the iris example: a copy of its notebook without `predict_batch`."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat


def without_predict_batch(source: Path, target: Path) -> Path:
    """A copy of `source` whose cells no longer define `predict_batch` (the top-level def is cut out)."""
    book = nbformat.read(source, as_version=4)
    removed = 0
    for cell in book.cells:
        if cell.cell_type != "code" or "predict_batch" not in cell.source:
            continue
        lines = cell.source.splitlines(keepends=True)
        for node in reversed(ast.parse(cell.source).body):
            if isinstance(node, ast.FunctionDef) and node.name == "predict_batch":
                del lines[node.lineno - 1 - len(node.decorator_list):node.end_lineno]
                removed += 1
        cell.source = "".join(lines).rstrip() + "\n"
    if not removed:
        raise SystemExit(f"{source} defines no predict_batch")
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, target)
    return target
