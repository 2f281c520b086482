"""Write the fixture notebooks from ``specs/``: ``python tests/rules/build_fixtures.py [NB1 ...]``.

The committed files under ``fixtures/`` are what the tests read; ``test_rules.py`` checks
that they match the specs, so edit the specs and re-run this script.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"


def load_specs() -> dict[str, dict[str, object]]:
    sys.path.insert(0, str(HERE))
    try:
        merged: dict[str, dict[str, object]] = {}
        for spec_file in sorted((HERE / "specs").glob("nb*.py")):
            mod_spec = importlib.util.spec_from_file_location(f"_specs_{spec_file.stem}", spec_file)
            assert mod_spec and mod_spec.loader
            module = importlib.util.module_from_spec(mod_spec)
            mod_spec.loader.exec_module(module)
            for code, cases in module.FIXTURES.items():
                if code in merged:
                    raise SystemExit(f"{spec_file}: {code} is specified twice")
                merged[code] = cases
        return merged
    finally:
        sys.path.remove(str(HERE))


def render(case) -> dict[str, str]:
    """Relative path -> file text for one case."""
    files = {"notebook.ipynb": nbformat.writes(case.notebook) + "\n"}
    files.update(case.files)
    expect = {}
    if case.expect_cells is not None:
        expect["cells"] = case.expect_cells
    if case.also_select:
        expect["also_select"] = case.also_select
    if getattr(case, "execute", False):
        expect["execute"] = True
    if getattr(case, "reproduce", False):
        expect["reproduce"] = True
    if expect:
        files["expect.json"] = json.dumps(expect) + "\n"
    return files


def main(prefixes: list[str]) -> None:
    """Rewrite the fixtures of the rules whose codes start with one of ``prefixes`` (all if none)."""
    specs = load_specs()
    wanted = tuple(prefixes) or ("NB",)
    for old in FIXTURES.glob("NB*"):
        if old.name.startswith(wanted):
            shutil.rmtree(old)
    specs = {c: v for c, v in specs.items() if c.startswith(wanted)}
    for code, cases in specs.items():
        for name, case in cases.items():
            for rel, text in render(case).items():
                target = FIXTURES / code / name / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    print(f"wrote {sum(len(c) for c in specs.values())} cases for {len(specs)} rules into {FIXTURES}")


if __name__ == "__main__":
    main(sys.argv[1:])
