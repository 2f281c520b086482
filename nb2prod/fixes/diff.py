"""A cell-aware diff of what a fix changes (``nb2prod lint --diff``, the panel's dialog).

A notebook's JSON diff is unreadable (escaped quotes, ``"\\n",`` on every line), so the
diff is of what a person sees: each changed cell's source as a unified diff under a
``nb.ipynb:cell 3`` header, deleted cells, cleared outputs and changed notebook metadata
in words; dependency files as ordinary unified diffs.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nb2prod.notebook import multiline_text

__all__ = ["notebook_diff", "file_diff"]


def _source(cell: dict[str, Any]) -> str:
    return multiline_text(cell.get("source"))


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    return lines


def _key(cell: Any, i: int) -> Any:
    if isinstance(cell, dict) and isinstance(cell.get("id"), str):
        return cell["id"]
    return ("#", json.dumps(cell, sort_keys=True)[:200], i)


def _pairs(before: list[Any], after: list[Any]) -> Iterator[tuple[int | None, int | None]]:
    """(index before, index after) of corresponding cells, 0-based; None: no counterpart."""
    if all(isinstance(c, dict) and isinstance(c.get("id"), str) for c in before + after):
        where = {c["id"]: j for j, c in enumerate(after)}
        seen = set()
        for i, c in enumerate(before):
            j = where.get(c["id"])
            seen.add(j)
            yield i, j
        for j in range(len(after)):
            if j not in seen:
                yield None, j
        return
    a = [(_source(c), c.get("cell_type")) if isinstance(c, dict) else None for c in before]
    b = [(_source(c), c.get("cell_type")) if isinstance(c, dict) else None for c in after]
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or tag == "replace" and i2 - i1 == j2 - j1:
            yield from zip(range(i1, i2), range(j1, j2), strict=True)
        else:
            for i in range(i1, i2):
                yield i, None
            for j in range(j1, j2):
                yield None, j


def _outputs_change(old: dict[str, Any], new: dict[str, Any]) -> str:
    """What happened to a cell's outputs and execution count, in words."""
    before, after = old.get("outputs") or [], new.get("outputs") or []
    parts = []
    if len(after) < len(before):
        removed = len(before) - len(after)
        what = f"{removed} of {len(before)} outputs" if after else f"{removed} output{'s' if removed != 1 else ''}"
        parts.append(f"{what} removed")
    if old.get("execution_count") != new.get("execution_count"):
        parts.append("execution count cleared")
    return " and ".join(parts) or "outputs changed"


def notebook_diff(display: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    """The change from ``before`` to ``after`` (decoded notebooks), cell by cell."""
    out: list[str] = []
    cb, ca = before.get("cells") or [], after.get("cells") or []
    for i, j in _pairs(cb, ca):
        old = cb[i] if i is not None else None
        new = ca[j] if j is not None else None
        label = f"{display}:cell {(i if i is not None else j or 0) + 1}"
        if new is None and isinstance(old, dict):
            out.append(f"--- {label} (deleted)\n")
            out.extend("-" + line for line in _lines(_source(old)) or ["\n"])
            continue
        if old is None and isinstance(new, dict):
            out.append(f"+++ {label} (new)\n")
            out.extend("+" + line for line in _lines(_source(new)))
            continue
        if not isinstance(old, dict) or not isinstance(new, dict):
            continue
        s_old, s_new = _source(old), _source(new)
        if s_old != s_new:
            out.extend(difflib.unified_diff(_lines(s_old), _lines(s_new), f"{label}", f"{label} (fixed)"))
        if old.get("outputs") != new.get("outputs") or old.get("execution_count") != new.get("execution_count"):
            out.append(f"~~~ {label}: {_outputs_change(old, new)}\n")
    mb, ma = before.get("metadata") or {}, after.get("metadata") or {}
    for key in sorted(set(mb) | set(ma), key=str):
        if mb.get(key) != ma.get(key):
            old_t = json.dumps(mb.get(key), indent=1, sort_keys=True, ensure_ascii=False) if key in mb else ""
            new_t = json.dumps(ma.get(key), indent=1, sort_keys=True, ensure_ascii=False) if key in ma else ""
            out.extend(difflib.unified_diff(
                _lines(old_t), _lines(new_t), f"{display}:metadata.{key}", f"{display}:metadata.{key} (fixed)"
            ))
    return "".join(out)


def file_diff(path: Path, before: str | None, after: str) -> str:
    """A unified diff of a dependency file (created when ``before`` is None)."""
    name = str(path)
    return "".join(difflib.unified_diff(
        _lines(before or ""), _lines(after), "/dev/null" if before is None else name, name
    ))
