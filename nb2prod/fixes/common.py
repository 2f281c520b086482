"""Fixes several rules share: clearing saved outputs, writing kernel metadata."""

from __future__ import annotations

from typing import Any

from nb2prod.fixes.model import Applicability, ClearOutputs, Fix, set_metadata
from nb2prod.notebook import Notebook

__all__ = ["clear_all_outputs", "remove_output", "kernelspec_fix", "language_version_fix", "PYTHON_KERNELSPEC"]

# What ipykernel writes for its default kernel.
PYTHON_KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def clear_all_outputs(nb: Notebook) -> Fix | None:
    """Every code cell's outputs and execution count cleared (what ``nb2prod clean`` does).
    Unsafe: the saved results are lost; run the notebook top to bottom to get them back."""
    edits = tuple(
        ClearOutputs(c.index, c.id) for c in nb.cells if c.is_code and (c.outputs or c.execution_count is not None)
    )
    if not edits:
        return None
    return Fix(
        f"clear the outputs and execution counts of {len(edits)} cell{'s' if len(edits) != 1 else ''} "
        "(as `nb2prod clean` does); run the notebook top to bottom to save fresh ones",
        edits,
        Applicability.UNSAFE,
    )


def remove_output(nb: Notebook, cell_index: int, output: int, what: str) -> Fix | None:
    """Remove one saved output of a cell (its other outputs and its execution count stay)."""
    cell = nb.cells[cell_index - 1] if 1 <= cell_index <= len(nb.cells) else None
    if cell is None or not cell.is_code or not 1 <= output <= len(cell.outputs):
        return None
    return Fix(f"remove output {output} of cell {cell_index} ({what})", (ClearOutputs(cell.index, cell.id, output),),
               Applicability.UNSAFE)


def _merged(existing: Any, wanted: dict[str, Any]) -> dict[str, Any]:
    """``existing`` (a dict, or anything) with the keys of ``wanted`` it lacks or has blank;
    sorted when ``existing`` was sorted (as nbformat writes it)."""
    base = dict(existing) if isinstance(existing, dict) else {}
    was_sorted = list(base) == sorted(base)
    for key, value in wanted.items():
        current = base.get(key)
        if not (isinstance(current, str) and current.strip()):
            base[key] = value
    return dict(sorted(base.items())) if was_sorted else base


def kernelspec_fix(nb: Notebook) -> Fix | None:
    """``metadata.kernelspec`` naming ipykernel's ``python3`` kernel (Python notebooks only)."""
    if not nb.is_python:
        return None
    value = _merged(nb.metadata.get("kernelspec"), PYTHON_KERNELSPEC)
    return Fix("name the `python3` kernel in the notebook's metadata (`kernelspec`)",
               (set_metadata("kernelspec", value),))


def language_version_fix(nb: Notebook) -> Fix | None:
    """``metadata.language_info`` with the version of the Python nb2prod runs with (the
    interpreter the ``python3`` kernel of this environment runs); Python notebooks only."""
    if not nb.is_python:
        return None
    import platform  # only here: not imported by every lint
    version = platform.python_version()
    value = _merged(nb.metadata.get("language_info"), {"name": "python", "version": version})
    return Fix(f"record Python {version} (the Python nb2prod runs with) in `language_info.version`",
               (set_metadata("language_info", value),))
