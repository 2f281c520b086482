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

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

# The cell and output builders are the tests' shared ones (tests/_notebooks.py); tests/ is on
# sys.path under pytest, and this puts it there for ``python tests/rules/build_fixtures.py``.
if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _notebooks import PY_META, code, display, error, md, notebook, raw, result, stream

__all__ = ["PY_META", "Case", "code", "display", "error", "md", "nb", "notebook", "raw", "result", "stream"]


@dataclass
class Case:
    notebook: nbformat.NotebookNode
    files: dict[str, str] = field(default_factory=dict)
    expect_cells: list[int] | None = None
    also_select: list[str] | None = None  # rules that must run too (e.g. for NB720)
    execute: bool = False  # lint with execution (`--execute`)
    reproduce: bool = False  # ... and run twice (`--reproduce`)


def nb(*cells: nbformat.NotebookNode, metadata: dict[str, Any] | None = None,
       files: dict[str, str] | None = None, expect_cells: list[int] | None = None,
       also_select: list[str] | None = None, title: bool = True, execute: bool = False,
       reproduce: bool = False) -> Case:
    """A notebook case. ``title`` prepends nothing; cells are numbered from 1 as given."""
    book = notebook(*cells, metadata=metadata)
    return Case(book, dict(files or {}), expect_cells, also_select, execute or reproduce, reproduce)
