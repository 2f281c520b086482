"""Each rule against its fixture notebooks: ``fires*`` cases must produce it, ``clean*`` must not."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from nb2prod.config import Overrides, settings_from_table
from nb2prod.engine import lint_notebook
from nb2prod.execcheck import EXECUTION_RULES, ExecutionOptions
from nb2prod.notebook import read_notebook
from nb2prod.rules import REGISTRY

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
CASES = sorted(p for p in FIXTURES.glob("NB*/*") if p.is_dir())
# Time limits of the fixtures that run (`execute=True` in the spec): short, but far above
# what their few cells need, so a slow machine does not make them flaky.
EXEC_CELL_TIMEOUT, EXEC_TIMEOUT = 3, 60
_MARK = re.compile(r"#\s*expect:\s*((?:NB\d{3}[\s,]*)+)")


def _expect(case_dir: Path) -> dict:
    path = case_dir / "expect.json"
    return json.loads(path.read_text()) if path.exists() else {}


def lint_case(case_dir: Path, code: str, tmp_path: Path):
    """Lint a copy of the case (outside this repository, so no config or dependency
    file of ours is found), with only ``code`` selected (plus the case's ``also_select``)."""
    project = tmp_path / "project"
    shutil.copytree(case_dir, project)
    (project / ".git").mkdir(exist_ok=True)  # the case is its own repository root
    expect = _expect(case_dir)
    settings = settings_from_table({"select": [code, *expect.get("also_select", [])]}, None, Overrides())
    nb = read_notebook(project / "notebook.ipynb")
    execution = None
    if expect.get("execute"):  # an execution-only rule: run the fixture, as `lint --execute` does
        execution = ExecutionOptions(reproduce=bool(expect.get("reproduce")), cell_timeout=EXEC_CELL_TIMEOUT,
                                     timeout=EXEC_TIMEOUT)
    return nb, lint_notebook(nb, settings, raise_errors=True, execution=execution)


def expected_places(nb, code: str) -> set[tuple[int, int]]:
    places = set()
    for cell in nb.cells:
        for i, line in enumerate(cell.lines, start=1):
            m = _MARK.search(line)
            if m and code in re.split(r"[\s,]+", m.group(1)):
                places.add((cell.index, i))
    return places


@pytest.mark.parametrize("case_dir", CASES, ids=[f"{p.parent.name}-{p.name}" for p in CASES])
def test_rule_fixture(case_dir: Path, tmp_path: Path) -> None:
    code = case_dir.parent.name
    assert code in REGISTRY, f"fixture for unknown rule {code}"
    nb, result = lint_case(case_dir, code, tmp_path)
    assert not result.internal_errors
    found = [f for f in result.findings if f.code == code]
    also = set(_expect(case_dir).get("also_select", []))
    assert all(f.code == code or f.code in also for f in result.findings), "only the selected rules may report"
    if case_dir.name.startswith("clean"):
        assert found == [], [f"{f.cell}:{f.line} {f.message}" for f in found]
        return
    assert case_dir.name.startswith("fires"), case_dir
    assert found, f"{code} did not fire on {case_dir.name}"
    marked = expected_places(nb, code)
    if marked:
        assert {(f.cell, f.line) for f in found} == marked
    cells = _expect(case_dir).get("cells")
    if cells is not None:
        assert sorted({f.cell for f in found}) == sorted(cells)
    for f in found:
        assert f.message and f.cell is None or 1 <= f.cell <= len(nb.cells)


def test_every_rule_has_firing_and_clean_fixtures() -> None:
    missing = []
    for code in REGISTRY:
        names = [p.name for p in (FIXTURES / code).glob("*") if p.is_dir()]
        if not any(n.startswith("fires") for n in names) or not any(n.startswith("clean") for n in names):
            missing.append(code)
    assert missing == []


def test_execution_rules_are_checked_by_running_their_fixtures() -> None:
    """NB307-NB310 report only what a run finds: every fixture of theirs runs (``execute``
    in its spec), and without a run they report nothing."""
    for code in sorted(EXECUTION_RULES):
        cases = sorted(p for p in (FIXTURES / code).glob("*") if p.is_dir())
        assert cases, code
        for case in cases:
            assert _expect(case).get("execute"), f"{code}/{case.name}: set execute=True in its spec"
            settings = settings_from_table({"select": [code]}, None, Overrides())
            assert lint_notebook(read_notebook(case / "notebook.ipynb"), settings).findings == []


def test_fixtures_match_specs() -> None:
    """The committed fixture files are exactly what build_fixtures.py writes."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_fixtures", HERE / "build_fixtures.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    expected: dict[str, str] = {}
    for code, cases in mod.load_specs().items():
        for name, case in cases.items():
            for rel, text in mod.render(case).items():
                expected[f"{code}/{name}/{rel}"] = text
    actual = {
        p.relative_to(FIXTURES).as_posix(): p.read_text(encoding="utf-8")
        for p in FIXTURES.rglob("*") if p.is_file()
    }
    stale = sorted(k for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k))
    assert stale == [], "run: python tests/rules/build_fixtures.py"
