"""Suppression: ``# noqa`` comments, ``nb2prod:ignore`` cell tags and notebook ignores.

The engine collects the suppressions of a notebook once (:func:`collect`), lets them
drop the findings they cover (:meth:`Suppressions.apply`, which records what each one
was used for), and hands what was never used to the unused-suppression rule (NB720),
which words the findings. Nothing here knows a rule: the rule names and codes come in
as arguments, so the module imports no rule family.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from nb2prod import _lazyre
from nb2prod import tags as tagmod
from nb2prod.diagnostics import Finding
from nb2prod.notebook import Cell, Notebook
from nb2prod.selection import SelectorError, expand, most_specific

__all__ = ["NOQA", "Suppression", "Suppressions", "collect", "comments"]

NOQA = _lazyre.compile(r"#\s*noqa(?::[\s]*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?", re.I)


@dataclass
class Suppression:
    """One ``# noqa`` comment (on ``line``) or ignore tag (``line`` None: the whole cell)."""

    cell: Cell
    line: int | None
    column: int
    prefixes: list[str]  # [] means everything (a blanket noqa comment, nb2prod:ignore)
    written: list[str]
    used: set[str] = field(default_factory=set)

    def covers(self, code: str) -> bool:
        return not self.prefixes or most_specific(code, self.prefixes) is not None

    def unused(self, enabled: Iterable[str], known: Iterable[str], exempt: str) -> list[str]:
        """The prefixes that suppressed nothing, leaving out those that cover ``exempt``
        (the unused-suppression rule's own code: such a prefix silences its reports) and
        those of rules that did not run. A blanket suppression is never unused: it may be
        meant for another tool."""
        enabled, known = list(enabled), list(known)
        return [
            p for p in self.prefixes
            if p not in self.used
            and not exempt.startswith(p)
            and (any(c.startswith(p) for c in enabled) or not any(c.startswith(p) for c in known))
        ]


@dataclass
class Suppressions:
    """Every suppression of one notebook."""

    by_line: dict[tuple[int, int], Suppression] = field(default_factory=dict)
    by_cell: dict[int, Suppression] = field(default_factory=dict)
    notebook: list[str] = field(default_factory=list)  # prefixes from metadata.nb2prod.ignore

    def __iter__(self) -> Iterator[Suppression]:
        yield from self.by_line.values()
        yield from self.by_cell.values()

    def suppressor(self, f: Finding) -> Suppression | bool | None:
        """What suppresses ``f``: a comment or tag, True for the notebook's ignore list,
        None when nothing does."""
        if self.notebook and most_specific(f.code, self.notebook) is not None:
            return True
        if f.cell is None:
            return None
        if f.output is None:
            for line in (f.line, f.end_line or f.line):
                s = self.by_line.get((f.cell, line))
                if s is not None and s.covers(f.code):
                    return s
        s = self.by_cell.get(f.cell)
        return s if s is not None and s.covers(f.code) else None

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """The findings nothing suppresses; each suppression records the prefix it used."""
        kept: list[Finding] = []
        for f in findings:
            hit = self.suppressor(f)
            if isinstance(hit, Suppression):
                hit.used.add((most_specific(f.code, hit.prefixes) or "") if hit.prefixes else "")
            if hit is None:
                kept.append(f)
        return kept


def comments(source: str) -> Iterable[tuple[int, int, str]]:
    """(line, column, text) of the comments in a cell: real ``#`` comments only, not a
    ``"# noqa"`` inside a string. Cells the tokenizer rejects (IPython syntax, syntax
    errors) fall back to a search line by line."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        for i, line in enumerate(source.splitlines(), start=1):
            at = line.find("#")
            if at >= 0:
                yield i, at, line[at:]
        return
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            yield tok.start[0], tok.start[1], tok.string


def _tag_prefixes(selectors: list[str], names: Mapping[str, str]) -> list[str]:
    """Cell-tag selectors as code prefixes; rule names and families are accepted too."""
    out = []
    for sel in selectors:
        try:
            out.append(expand(sel, names) or "NB")
        except SelectorError:
            out.append(sel.upper())  # reported by NB720 as unknown
    return out


def _notebook_ignores(nb: Notebook) -> list[str]:
    meta = nb.metadata.get("nb2prod")
    if isinstance(meta, dict) and isinstance(meta.get("ignore"), list):
        return [str(c).upper() for c in meta["ignore"] if isinstance(c, str)]
    return []


def collect(nb: Notebook, names: Mapping[str, str]) -> Suppressions:
    """The suppressions of ``nb``. ``names`` maps every rule code to its name (tags may
    name rules)."""
    found = Suppressions(notebook=_notebook_ignores(nb))
    for cell in nb.cells:
        selectors = tagmod.ignore_selectors(cell.tags)
        if selectors is not None:
            prefixes = [] if "" in selectors else _tag_prefixes(selectors, names)
            found.by_cell[cell.index] = Suppression(cell, None, 1, prefixes, prefixes)
        if not cell.is_code or "noqa" not in cell.source.lower():
            continue
        for line, col, text in comments(cell.source):
            m = NOQA.search(text)
            if not m:
                continue
            codes = m.group("codes")
            column = col + m.start() + 1
            if codes is None:
                found.by_line[(cell.index, line)] = Suppression(cell, line, column, [], [])
                continue
            written = [c.upper() for c in re.split(r"[\s,]+", codes) if c]
            ours = [c for c in written if c.startswith("NB")]
            if ours:
                found.by_line[(cell.index, line)] = Suppression(cell, line, column, ours, ours)
    return found
