"""The rule unit: one class per rule, its docstring is the user documentation."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from nb2prod import _lazyre
from nb2prod.diagnostics import Family, Finding, Severity, family_of
from nb2prod.fixes.model import Applicability, Fix

if TYPE_CHECKING:
    from nb2prod.analysis import Analysis
    from nb2prod.notebook import Cell

__all__ = ["Rule", "DOC_SECTIONS", "REGISTRY", "register"]

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix")

_CODE = _lazyre.compile(r"^NB[1-7]\d\d$")
_NAME = _lazyre.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class Rule:
    """Base class. Subclasses set the class variables and implement :meth:`check`."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]  # one line, shown in `nb2prod rules`
    # Notebook-level facts that do not need Python code (kernel metadata, outputs...)
    # still run on notebooks in other languages when this is False.
    needs_python: ClassVar[bool] = True
    # The fix the rule offers (``nb2prod lint --fix``): SAFE, UNSAFE, or None (no fix).
    # A rule with a safe fix may still leave a finding unfixed where it cannot be sure.
    fix: ClassVar[Applicability | None] = None

    @property
    def family(self) -> Family:
        return family_of(self.code)

    def check(self, nb: Analysis) -> Iterable[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- documentation -------------------------------------------------------------
    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        sections: dict[str, str] = {}
        current: str | None = None
        buf: list[str] = []
        for line in cls.doc().splitlines():
            if line.startswith("## "):
                if current is not None:
                    sections[current] = "\n".join(buf).strip()
                current, buf = line[3:].strip(), []
            elif current is not None:
                buf.append(line)
        if current is not None:
            sections[current] = "\n".join(buf).strip()
        return sections

    def to_dict(self) -> dict[str, object]:
        """The rule as data: what `nb2prod rule --format json` prints and the JupyterLab
        panel's rule table is made from."""
        return {
            "code": self.code,
            "name": self.name,
            "family": self.family.key,
            "family_title": self.family.title,
            "severity": self.severity.label,
            "summary": self.summary,
            "doc": self.doc(),
            "sections": self.doc_sections(),
            "fix": self.fix.label if self.fix is not None else None,
        }

    @property
    def fix_label(self) -> str:
        """How the rule's fix is described in `nb2prod rule` and docs/rules.md."""
        if self.fix is None:
            return "none"
        return "safe (`--fix`)" if self.fix is Applicability.SAFE else "unsafe (`--fix --unsafe-fixes`)"

    # -- building findings ---------------------------------------------------------
    def at(
        self,
        cell: Cell | None,
        message: str,
        *,
        node: ast.AST | None = None,
        line: int | None = None,
        column: int = 1,
        end_line: int | None = None,
        end_column: int | None = None,
        offset: int = 0,
        output: int | None = None,
        redact: tuple[tuple[int, int], ...] = (),
        fix: Fix | None = None,
    ) -> Finding:
        """A finding of this rule. ``node`` positions are shifted by ``offset`` lines.

        Without ``node`` or ``line`` the finding is about the whole cell (or output):
        it points at line 1 and carries no code frame.
        """
        whole_cell = line is None and node is None
        line = 1 if line is None else line
        if node is not None and hasattr(node, "lineno"):
            line = node.lineno + offset
            column = getattr(node, "col_offset", column - 1) + 1
            el = getattr(node, "end_lineno", None)
            ec = getattr(node, "end_col_offset", None)
            end_line = el + offset if el is not None else None
            end_column = ec + 1 if ec is not None else None
        source_line = None
        if cell is not None and output is None and not whole_cell and cell.lines and 1 <= line <= len(cell.lines):
            source_line = cell.lines[line - 1]
        return Finding(
            code=self.code,
            name=self.name,
            message=message,
            cell=cell.index if cell is not None else None,
            cell_id=cell.id if cell is not None else None,
            line=line,
            column=column,
            end_line=end_line,
            end_column=end_column,
            output=output,
            severity=self.severity,
            source_line=source_line,
            redact=redact,
            fix=fix,
        )


REGISTRY: dict[str, Rule] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: validate the rule's metadata and add it to the registry."""
    if not _CODE.match(cls.code):
        raise ValueError(f"bad rule code {cls.code!r}")
    if not _NAME.match(cls.name):
        raise ValueError(f"rule {cls.code}: name {cls.name!r} is not kebab-case")
    if cls.code in REGISTRY:
        raise ValueError(f"duplicate rule code {cls.code}")
    if any(r.name == cls.name for r in REGISTRY.values()):
        raise ValueError(f"duplicate rule name {cls.name}")
    REGISTRY[cls.code] = cls()
    return cls
