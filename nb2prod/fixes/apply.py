"""Choose fixes that do not conflict and apply their edits to a decoded notebook.

The notebook is the decoded JSON (a dict), changed in place: only what an edit names
changes, so writing it back in the file's layout (:mod:`nb2prod.nbwrite`) leaves every
other byte as it was. A cell's source keeps its form: a list of lines stays a list of
lines, a string stays a string.

Fixes are taken in the order of their findings; a fix whose edits overlap an edit already
taken waits for the next pass (after the notebook is linted again), as ruff does. An edit
identical to one already taken is the same edit (three unseeded numpy calls ask for one
``np.random.seed``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nb2prod.fixes.model import ClearOutputs, DeleteCell, Edit, Fix, Requirement, SetMetadata, SourceEdit
from nb2prod.notebook import multiline_text

__all__ = ["Plan", "choose", "apply_to_data", "FixConflict"]


class FixConflict(Exception):
    """The notebook changed under the fix (a cell id or source does not match)."""


@dataclass
class Plan:
    """The fixes chosen for one pass and their edits (deduplicated)."""

    fixes: list[tuple[Any, Fix]] = field(default_factory=list)  # (finding, fix)
    edits: list[Edit] = field(default_factory=list)

    @property
    def requirements(self) -> list[Requirement]:
        return [e for e in self.edits if isinstance(e, Requirement)]


def _conflicts(a: Edit, b: Edit) -> bool:
    """Whether edits ``a`` and ``b`` (not identical) cannot both be applied."""
    cell_a, cell_b = getattr(a, "cell", None), getattr(b, "cell", None)
    if isinstance(a, DeleteCell) or isinstance(b, DeleteCell):
        return cell_a == cell_b and cell_a is not None
    if isinstance(a, SourceEdit) and isinstance(b, SourceEdit):
        if a.cell != b.cell:
            return False
        if a.start == a.end and b.start == b.end:
            return a.start == b.start  # two insertions at one point: order unknown
        return a.start < b.end and b.start < a.end or (a.start == a.end and b.start < a.start < b.end) or (
            b.start == b.end and a.start < b.start < a.end
        )
    if isinstance(a, ClearOutputs) and isinstance(b, ClearOutputs):
        # Removing one output shifts the others: one such edit per cell and pass.
        return cell_a == cell_b and (a.output is not None or b.output is not None)
    if isinstance(a, SetMetadata) and isinstance(b, SetMetadata):
        return a.key == b.key
    if isinstance(a, Requirement) and isinstance(b, Requirement):
        return a.file == b.file and a.package.lower() == b.package.lower()
    return False


def choose(candidates: Iterable[tuple[Any, Fix]]) -> Plan:
    """The candidates (in order) whose edits conflict with none taken before."""
    plan = Plan()
    taken: list[Edit] = []
    for finding, fix in candidates:
        new = [e for e in fix.edits if e not in taken]
        if any(_conflicts(e, t) for e in new for t in taken) or _self_conflicting(new):
            continue
        taken.extend(dict.fromkeys(new))
        plan.fixes.append((finding, fix))
    plan.edits = taken
    return plan


def _self_conflicting(edits: Sequence[Edit]) -> bool:
    return any(_conflicts(a, b) for i, a in enumerate(edits) for b in edits[i + 1:] if a != b)


def _set_source(cell: dict[str, Any], text: str) -> None:
    if isinstance(cell.get("source"), list):
        cell["source"] = text.splitlines(keepends=True)
    else:
        cell["source"] = text


def _set_key(table: dict[str, Any], key: str, value: Any) -> None:
    """``table[key] = value``; a new key goes where a sorted table (nbformat's writer sorts
    keys) keeps it sorted, else at the end."""
    keys = list(table)
    if key in table or keys != sorted(keys):
        table[key] = value
        return
    items = [*table.items(), (key, value)]
    table.clear()
    table.update(sorted(items, key=lambda kv: kv[0]))


def apply_to_data(data: dict[str, Any], edits: Sequence[Edit]) -> None:
    """Apply the notebook edits of ``edits`` to ``data`` (a v4 notebook) in place.
    Requirement edits are not the notebook's; the caller applies them to their files."""
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise FixConflict("the notebook has no cell list")

    def cell_at(index: int, cell_id: str | None) -> dict[str, Any]:
        if not 1 <= index <= len(cells) or not isinstance(cells[index - 1], dict):
            raise FixConflict(f"cell {index} does not exist")
        cell = cells[index - 1]
        if cell_id is not None and cell.get("id") != cell_id:
            raise FixConflict(f"cell {index} is not the cell the fix was made for")
        return cell

    by_cell: dict[int, list[SourceEdit]] = {}
    deletes: list[DeleteCell] = []
    for e in edits:
        if isinstance(e, SourceEdit):
            by_cell.setdefault(e.cell, []).append(e)
        elif isinstance(e, DeleteCell):
            cell_at(e.cell, e.cell_id)
            deletes.append(e)
        elif isinstance(e, ClearOutputs):
            cell = cell_at(e.cell, e.cell_id)
            if cell.get("cell_type") != "code":
                continue
            outputs = cell.get("outputs")
            if e.output is not None:
                if not isinstance(outputs, list) or not 1 <= e.output <= len(outputs):
                    raise FixConflict(f"cell {e.cell} has no output {e.output}")
                del outputs[e.output - 1]
                continue
            if "outputs" in cell:
                cell["outputs"] = []
            if "execution_count" in cell:
                cell["execution_count"] = None
        elif isinstance(e, SetMetadata):
            meta = data.setdefault("metadata", {})
            if not isinstance(meta, dict):
                raise FixConflict("the notebook metadata is not an object")
            _set_key(meta, e.key, e.value)
    for index, cell_edits in by_cell.items():
        cell = cell_at(index, cell_edits[0].cell_id)
        source = multiline_text(cell.get("source"))
        # Later edits first, so earlier offsets stay valid; insertions at one point keep
        # the order they were given in.
        for e in sorted(cell_edits, key=lambda e: (e.start, e.end), reverse=True):
            if not 0 <= e.start <= e.end <= len(source):
                raise FixConflict(f"cell {index} is shorter than the fix expects")
            source = source[: e.start] + e.text + source[e.end:]
        _set_source(cell, source)
    for d in sorted(deletes, key=lambda d: d.cell, reverse=True):
        del cells[d.cell - 1]
