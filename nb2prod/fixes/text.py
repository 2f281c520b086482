"""Positions in a cell's source, as the fixes need them.

Python's ``ast`` counts lines split at ``\\n``, ``\\r\\n`` and ``\\r`` and columns in UTF-8
bytes; a fix edits the cell's source string by character offsets. These helpers convert,
and refuse (``None``) a position the source does not have.
"""

from __future__ import annotations

import ast

from nb2prod import _lazyre

__all__ = ["line_starts", "offset", "node_span", "line_end", "line_of", "indent_of"]

_NEWLINE = _lazyre.compile(r"\r\n|\r|\n")


def line_starts(source: str) -> list[int]:
    """Offset of the first character of each line (1-based line n is index n-1)."""
    return [0] + [m.end() for m in _NEWLINE.finditer(source)]


def offset(source: str, line: int, byte_col: int) -> int | None:
    """The string offset of ``line`` (1-based), UTF-8 byte column ``byte_col`` (0-based)."""
    starts = line_starts(source)
    if not 1 <= line <= len(starts):
        return None
    start = starts[line - 1]
    end = starts[line] if line < len(starts) else len(source)
    text = source[start:end]
    prefix = text.encode("utf-8")[:byte_col]
    try:
        chars = len(prefix.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    return start + chars


def node_span(source: str, node: ast.AST, line_offset: int = 0) -> tuple[int, int] | None:
    """(start, end) string offsets of ``node`` in ``source``; its tree's line 1 is the
    source's line ``1 + line_offset`` (the body of a ``%%time`` cell)."""
    lineno = getattr(node, "lineno", None)
    end_lineno = getattr(node, "end_lineno", None)
    if lineno is None or end_lineno is None:
        return None
    start = offset(source, lineno + line_offset, node.col_offset)  # type: ignore[attr-defined]
    end = offset(source, end_lineno + line_offset, node.end_col_offset)  # type: ignore[attr-defined]
    if start is None or end is None:
        return None
    return start, end


def line_end(source: str, line: int) -> int:
    """The offset just past ``line``'s text (before its newline)."""
    starts = line_starts(source)
    if line >= len(starts):
        return len(source)
    nxt = starts[line]
    if source[nxt - 2: nxt] == "\r\n":
        return nxt - 2
    return nxt - 1


def line_of(source: str, at: int) -> int:
    """The 1-based line that offset ``at`` is on."""
    return sum(1 for s in line_starts(source) if s <= at)


def newline_of(source: str) -> str:
    """The line ending the cell already uses (``\\n`` when it has none)."""
    m = _NEWLINE.search(source)
    return m.group(0) if m else "\n"


def indent_of(source: str, line: int) -> str:
    starts = line_starts(source)
    if not 1 <= line <= len(starts):
        return ""
    text = source[starts[line - 1]:]
    return text[: len(text) - len(text.lstrip(" \t"))]
