"""The check every fix must pass (issue 14): lint, fix, lint again.

``check_fix`` writes a notebook, runs ``fix_file`` on it and asserts that

- the finding of ``code`` was there before and is gone after, and no new finding
  (of any code) appeared;
- a second fix changes nothing (``--fix`` twice equals once);
- the file's bytes outside the cells the fix meant to change are unchanged: every
  top-level key but ``cells`` and the metadata keys the fix set keeps its JSON text,
  every cell the fix did not edit keeps its JSON text, and an edited cell changes only
  in ``source`` (or ``outputs``/``execution_count`` when the fix clears them);
- with ``run=True``, the fixed notebook runs top to bottom in a fresh kernel.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from nb2prod.config import Overrides
from nb2prod.engine import lint_file
from nb2prod.fixes.run import FixOutcome, fix_file

__all__ = ["make_notebook", "check_fix", "FixCheck", "run_notebook"]


def make_notebook(cells: Sequence[str | dict[str, Any]], metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """A v4.5 notebook; a string is a code cell, ``"# md: ..."`` a markdown cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = metadata if metadata is not None else {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python", "version": "3.11.0"},
    }
    for i, c in enumerate(cells):
        if isinstance(c, dict):
            cell = nbformat.from_dict(c)
        elif c.startswith("# md:"):
            cell = nbformat.v4.new_markdown_cell(c[5:].strip())
        else:
            cell = nbformat.v4.new_code_cell(c)
        cell["id"] = f"cell-{i}"
        nb.cells.append(cell)
    return json.loads(json.dumps(nb))


@dataclass
class FixCheck:
    path: Path
    before: list[Any]
    after: list[Any]
    outcome: FixOutcome

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.text)

    def sources(self) -> list[str]:
        return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in self.data["cells"]]


def _key_texts(data: dict[str, Any]) -> dict[str, str]:
    return {k: json.dumps(v, sort_keys=True) for k, v in data.items() if k not in ("cells", "metadata")}


def _check_bytes(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert _key_texts(before) == _key_texts(after), "top-level keys changed"
    mb, ma = before.get("metadata", {}), after.get("metadata", {})
    for key in set(mb) | set(ma):
        if key in mb and key in ma:
            if mb[key] != ma[key]:
                assert key in ("kernelspec", "language_info"), f"notebook metadata {key!r} changed"
        elif key in mb:
            raise AssertionError(f"notebook metadata {key!r} was removed")
    cells_b = {c.get("id", i): c for i, c in enumerate(before["cells"])}
    for i, cell in enumerate(after["cells"]):
        old = cells_b.get(cell.get("id", i))
        assert old is not None, f"cell {cell.get('id', i)} is new"
        for key in set(old) | set(cell):
            if key in ("source", "outputs", "execution_count"):
                continue
            assert json.dumps(old.get(key), sort_keys=True) == json.dumps(cell.get(key), sort_keys=True), (
                f"cell {cell.get('id', i)}: {key} changed"
            )
        if old.get("outputs") != cell.get("outputs"):
            # Cleared, or some removed: what is left is the outputs that were there, in order.
            left = iter(old.get("outputs") or [])
            assert all(any(o == x for x in left) for o in cell.get("outputs") or []), (
                f"cell {cell.get('id', i)}: outputs changed, not just cleared or removed"
            )


def run_notebook(path: Path, timeout: int = 120) -> None:
    """Execute the notebook in a fresh kernel, in its folder; raises if a cell fails."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(path.parent)}}
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=resources).execute()


def check_fix(
    tmp_path: Path,
    notebook: dict[str, Any] | Sequence[str | dict[str, Any]],
    code: str,
    *,
    unsafe: bool = False,
    run: bool = False,
    extra_files: dict[str, str] | None = None,
    name: str = "nb.ipynb",
    indent: int | str | None = 1,
    overrides: Overrides = Overrides(),
    allow_new: Sequence[str] = (),
) -> FixCheck:
    """Lint, fix, lint again; see the module docstring. Returns what happened."""
    data = notebook if isinstance(notebook, dict) else make_notebook(notebook)
    for rel, text in (extra_files or {}).items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    path = tmp_path / name
    original = json.dumps(data, indent=indent, ensure_ascii=False) + "\n"
    path.write_text(original, encoding="utf-8")

    before = lint_file(path, overrides)
    assert not before.error, before.error
    assert any(f.code == code for f in before.findings), f"{code} not found before the fix: " + ", ".join(
        f"{f.code}@{f.cell}" for f in before.findings
    )
    assert any(f.code == code and f.fix is not None for f in before.findings), f"{code} has no fix"
    outcome = fix_file(path, overrides, unsafe=unsafe)
    assert not outcome.result.internal_errors, outcome.result.internal_errors
    assert outcome.fixed.get(code), f"{code} was not fixed: {outcome.result.notices}"
    after = lint_file(path, overrides)
    assert not after.internal_errors, after.internal_errors
    left = [f for f in after.findings if f.code == code]
    assert not left, f"{code} still reported after the fix: {[f.message for f in left]}"

    def keys(findings: list[Any]) -> set[tuple[str, str]]:
        return {(f.code, f.message) for f in findings}

    new = {k for k in keys(after.findings) - keys(before.findings) if k[0] not in allow_new}
    assert not new, f"the fix made new findings: {sorted(new)}"

    text_once = path.read_text(encoding="utf-8")
    deps_once = {p: p.read_text(encoding="utf-8") for p in tmp_path.rglob("*") if p.is_file() and p != path}
    again = fix_file(path, overrides, unsafe=unsafe)
    assert not again.changed, "a second --fix changed the notebook again"
    assert path.read_text(encoding="utf-8") == text_once
    assert {p: p.read_text(encoding="utf-8") for p in deps_once} == deps_once

    _check_bytes(data, json.loads(text_once))
    # The layout is the file's: re-dumping the fixed data the same way gives the file.
    assert json.dumps(json.loads(text_once), indent=indent, ensure_ascii=False) + "\n" == text_once

    if run:
        run_notebook(path)
    return FixCheck(path, before.findings, after.findings, outcome)
