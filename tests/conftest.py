from __future__ import annotations

import ast
import json
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


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A rule fixture of tests/rules whose spec says ``execute=True`` (its ``expect.json``) runs
    its notebook in a kernel: it is marked ``kernel`` and ``slow`` like every such test."""
    for item in items:
        case_dir = getattr(item, "callspec", None) and item.callspec.params.get("case_dir")
        if isinstance(case_dir, Path) and (case_dir / "expect.json").is_file():
            if json.loads((case_dir / "expect.json").read_text(encoding="utf-8")).get("execute"):
                item.add_marker(pytest.mark.kernel)
                item.add_marker(pytest.mark.slow)


def _module_marks(path: Path) -> set[str]:
    """The names ``X`` of ``pytest.mark.X`` in a test module's top-level ``pytestmark``."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            for sub in ast.walk(node.value):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Attribute) and sub.value.attr == "mark":
                    names.add(sub.attr)
    return names


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With ``-m`` (e.g. ``-m "not slow"``), a test module whose module-level marks already rule out
    every test in it, whatever marks its tests add, is not imported at all: the fast loop does
    not pay for importing scikit-learn, cookiecutter or the service stack for tests it deselects."""
    markexpr = config.getoption("markexpr", default="")
    if not markexpr or collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    marks = _module_marks(collection_path)
    if not marks:
        return None
    from _pytest.mark.expression import Expression

    expression = Expression.compile(markexpr)
    extra = ["slow", "kernel", "browser", "corpus"]
    for n in range(1 << len(extra)):  # every set of the suite's markers the tests could add
        present = marks | {m for i, m in enumerate(extra) if n >> i & 1}
        if expression.evaluate(lambda name, present=present, **_: name in present):
            return None
    return True
