from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from _notebooks import code, md, write

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(Path(__file__).parent / "rules"))


@pytest.fixture
def write_nb(tmp_path: Path):
    """Write a small notebook of code cells (after a ``# A notebook`` title unless ``title=False``)
    to ``tmp_path / name``; its cells have the ids ``c1``, ``c2``...; returns its path."""

    def _write(*sources: str, name: str = "nb.ipynb", title: bool = True, **cell_kw: Any) -> Path:
        cells = [md("# A notebook")] if title else []
        cells += [code(s, **cell_kw) for s in sources]
        return write(tmp_path / name, *cells, ids="c{}")

    return _write
