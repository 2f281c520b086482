"""Domain types shared by the rules, the engine and the output formats."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Severity", "Family", "FAMILIES", "Finding", "family_of"]


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {value!r} (use error, warning or info)") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Family:
    prefix: str
    key: str
    title: str
    weight: int  # share of the readiness score; all weights add up to 100
    summary: str


FAMILIES: tuple[Family, ...] = (
    Family("NB1", "reproducibility", "Reproducibility", 20, "Randomness without seeds, unpinned remote data."),
    Family("NB2", "environment", "Environment", 15, "Dependencies declared, pinned and recorded."),
    Family("NB3", "execution", "Execution state", 15, "The notebook runs top to bottom as saved."),
    Family("NB4", "tests", "Tests", 15, "Something checks that the code is right."),
    Family("NB5", "portability", "Portability", 10, "Runs on a machine that is not yours."),
    Family("NB6", "security", "Security & privacy", 15, "No secrets or personal data in the file."),
    Family("NB7", "structure", "Structure & build", 10, "Clean code and a buildable service."),
)
assert sum(f.weight for f in FAMILIES) == 100


def family_of(code: str) -> Family:
    for fam in FAMILIES:
        if code.startswith(fam.prefix):
            return fam
    raise KeyError(code)


@dataclass
class Finding:
    """One problem at one place. ``cell`` is 1-based over all cells (None: no cell)."""

    code: str
    message: str
    cell: int | None
    line: int = 1
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None
    cell_id: str | None = None
    output: int | None = None  # 1-based output index when the finding is in an output
    severity: Severity = Severity.WARNING
    # The source line the finding points at, secrets already masked; None for outputs.
    source_line: str | None = None
    # For NB6xx: (start, end) columns (1-based, end exclusive) of text to mask in source_line.
    redact: tuple[tuple[int, int], ...] = field(default=(), repr=False)
    name: str = ""
    # A remedy the rule can apply (nb2prod.fixes.Fix), or None.
    fix: Any = field(default=None, repr=False, compare=False)

    def sort_key(self) -> tuple[Any, ...]:
        return (self.cell or 0, self.output or 0, self.line, self.column, self.code)

    def to_dict(self) -> dict[str, Any]:
        # Every field is a scalar but ``redact`` (dropped) and ``fix`` (its own dict): a shallow
        # copy is asdict's result without its deep copies, the largest cost of a warm-cache report.
        d = {name: getattr(self, name) for name in self.__dataclass_fields__}
        d["severity"] = self.severity.label
        d["family"] = family_of(self.code).key
        d.pop("redact", None)
        d["fix"] = self.fix.to_dict() if self.fix is not None else None
        return d
