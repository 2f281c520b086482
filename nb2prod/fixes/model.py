"""What a fix is: edits on cell sources, on the notebook, and on dependency files.

A rule that can repair what it finds attaches a :class:`Fix` to the finding. A fix is
*safe* when the notebook means what it meant and the finding goes away, *unsafe* when it
may change what the code does or needs something from the user (DESIGN 4). Its edits are
data, so the same fix is applied by ``nb2prod lint --fix`` (to the file) and by the
JupyterLab panel (to the live notebook model, through ``to_dict``).

Edits
-----
``SourceEdit``
    replace ``source[start:end]`` of one cell with ``text`` (Python string offsets; the
    JSON form adds UTF-16 offsets, which is what JavaScript strings index by).
``DeleteCell``
    remove a cell.
``SetMetadata``
    set a top-level notebook metadata key (``kernelspec``, ``language_info``).
``ClearOutputs``
    clear a code cell's outputs and execution count, or remove one of its outputs.
``Requirement``
    add ``package`` to, or pin it in, a dependency file (requirements*.txt, pyproject.toml,
    environment.yml), written in that file's own syntax; creates ``requirements.txt`` when
    the file does not exist.

Two fixes conflict when their edits touch the same text; identical edits (the same seed
call three findings ask for) are one edit.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Applicability",
    "Fix",
    "Edit",
    "SourceEdit",
    "DeleteCell",
    "SetMetadata",
    "ClearOutputs",
    "Requirement",
    "utf16_offset",
]


class Applicability(enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"

    @property
    def label(self) -> str:
        return self.value


def utf16_offset(text: str, index: int) -> int:
    """The UTF-16 offset (what a JavaScript string indexes by) of ``text[index]``."""
    head = text[:index]
    return len(head) + sum(1 for ch in head if ord(ch) > 0xFFFF)


@dataclass(frozen=True)
class SourceEdit:
    cell: int  # 1-based index over all cells, as findings count them
    cell_id: str | None
    start: int
    end: int
    text: str

    def to_dict(self, source: str | None = None) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": "source", "cell": self.cell, "cell_id": self.cell_id,
                             "start": self.start, "end": self.end, "text": self.text}
        if source is not None:
            d["start_utf16"] = utf16_offset(source, self.start)
            d["end_utf16"] = utf16_offset(source, self.end)
        return d


@dataclass(frozen=True)
class DeleteCell:
    cell: int
    cell_id: str | None

    def to_dict(self, source: str | None = None) -> dict[str, Any]:
        return {"kind": "delete_cell", "cell": self.cell, "cell_id": self.cell_id}


@dataclass(frozen=True)
class SetMetadata:
    key: str
    value: Any = field(hash=False, compare=False)
    # compared through their JSON text (values are dicts)
    value_json: str = ""

    def to_dict(self, source: str | None = None) -> dict[str, Any]:
        return {"kind": "metadata", "key": self.key, "value": self.value}


@dataclass(frozen=True)
class ClearOutputs:
    cell: int
    cell_id: str | None
    # 1-based index of the one output to remove (the execution count stays); None: every
    # output and the execution count.
    output: int | None = None

    def to_dict(self, source: str | None = None) -> dict[str, Any]:
        return {"kind": "clear_outputs", "cell": self.cell, "cell_id": self.cell_id, "output": self.output}


@dataclass(frozen=True)
class Requirement:
    file: str  # path of the dependency file (absolute), created when missing
    package: str  # distribution name as it goes into the file
    version: str  # the version installed where nb2prod runs

    def to_dict(self, source: str | None = None) -> dict[str, Any]:
        return {"kind": "requirement", "file": self.file, "package": self.package, "version": self.version}


Edit = SourceEdit | DeleteCell | SetMetadata | ClearOutputs | Requirement


def set_metadata(key: str, value: Any) -> SetMetadata:
    import json

    return SetMetadata(key, value, json.dumps(value, sort_keys=True))


@dataclass(frozen=True)
class Fix:
    """A remedy for one finding: what it does, in words, and the edits that do it."""

    message: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE

    @property
    def safe(self) -> bool:
        return self.applicability is Applicability.SAFE

    def to_dict(self, sources: dict[int, str] | None = None) -> dict[str, Any]:
        sources = sources or {}
        return {
            "applicability": self.applicability.label,
            "message": self.message,
            "edits": [e.to_dict(sources.get(getattr(e, "cell", -1))) for e in self.edits],
        }


def insert(cell: int, cell_id: str | None, at: int, text: str) -> SourceEdit:
    return SourceEdit(cell, cell_id, at, at, text)
