"""Which rules run: select / ignore with prefix matching, the longest prefix winning.

A selector is ``ALL``, a code or code prefix (``NB``, ``NB1``, ``NB10``, ``NB101``), a
rule name (``unseeded-python-random``) or a family key (``reproducibility``). For each
rule, the most specific selector that matches it in ``select`` and in ``ignore`` is
found; the rule runs when the select match is strictly more specific than the ignore
match (so an ignore of the same specificity wins). ``ALL`` is the least specific.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from nb2prod.diagnostics import FAMILIES

__all__ = ["SelectorError", "expand", "resolve", "most_specific", "lookup"]

T = TypeVar("T")


class SelectorError(ValueError):
    pass


def expand(selector: str, codes: Mapping[str, str]) -> str:
    """Normalise a selector to a code prefix ('' for ALL). ``codes`` maps code -> rule name."""
    s = selector.strip()
    if not s:
        raise SelectorError("empty rule selector")
    if s.upper() == "ALL":
        return ""
    up = s.upper()
    if up.startswith("NB") and any(code.startswith(up) for code in codes):
        return up
    for code, name in codes.items():
        if name == s.lower():
            return code
    for fam in FAMILIES:
        if fam.key == s.lower():
            return fam.prefix
    raise SelectorError(f"unknown rule selector {selector!r}")


def most_specific(code: str, prefixes: Iterable[str]) -> str | None:
    best: str | None = None
    for p in prefixes:
        if code.startswith(p) and (best is None or len(p) > len(best)):
            best = p
    return best


def resolve(codes: Iterable[str], select: Iterable[str], ignore: Iterable[str]) -> frozenset[str]:
    """Codes enabled by already-expanded ``select`` and ``ignore`` prefixes."""
    select = list(select)
    ignore = list(ignore)
    enabled: set[str] = set()
    for code in codes:
        s = most_specific(code, select)
        if s is None:
            continue
        i = most_specific(code, ignore)
        if i is None or len(s) > len(i):
            enabled.add(code)
    return frozenset(enabled)


def lookup(code: str, table: Mapping[str, T]) -> T | None:
    """The value of the most specific prefix of ``code`` in ``table``."""
    best = most_specific(code, table.keys())
    return table[best] if best is not None else None
