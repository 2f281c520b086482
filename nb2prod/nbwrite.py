"""Write a changed notebook back in the layout its file already has.

A fix must not change a byte it did not mean to: Jupyter writes one-space indents and
sorted keys, VS Code keeps the file's key order, some tools write two-space or tab
indents, CRLF line endings, ``ensure_ascii`` escapes or no trailing newline. This module
finds the ``json.dumps`` settings under which the *original* text round-trips exactly
(``detect_layout``) and writes the changed data with them (``dumps``). When no setting
reproduces the original (hand-edited whitespace, ``1.50`` floats, duplicate keys), the
file cannot be rewritten without touching bytes nobody asked to change, and
:class:`LayoutError` says so: the caller refuses the change rather than reformat the file.

``write_atomic`` writes through a temporary file in the same folder and a rename, so a
crash never leaves a half-written notebook; a symlink is followed to the file it names,
and the file's permission bits are kept.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Layout", "LayoutError", "detect_layout", "dumps", "rewrite", "write_atomic"]


class LayoutError(Exception):
    """The file's JSON layout cannot be reproduced; ``str()`` is one line."""


@dataclass(frozen=True)
class Layout:
    indent: int | str | None = 1
    item_separator: str = ","
    key_separator: str = ": "
    ensure_ascii: bool = False
    newline: str = "\n"
    trailing_newline: bool = True
    bom: bool = False


def _candidates(text: str) -> list[Layout]:
    body = text[1:] if text.startswith("\ufeff") else text
    newline = "\r\n" if "\r\n" in body else "\n"
    trailing = body.endswith(newline)
    lines = (body[: -len(newline)] if trailing else body).split(newline)
    indents: list[int | str | None] = []
    if len(lines) > 1:
        second = lines[1]
        lead = second[: len(second) - len(second.lstrip(" \t"))]
        if lead.startswith("\t"):
            indents.append("\t" * len(lead))
        elif lead:
            indents.append(len(lead))
        else:
            indents.append(0)
    else:
        indents.append(None)
    has_raw_non_ascii = any(ord(ch) > 127 for ch in body)
    ascii_options = [False] if has_raw_non_ascii else [True, False] if "\\u" in body else [False, True]
    out = []
    for indent in indents:
        items = [", "] if indent is None else [",", ", "]
        for item in items:
            for key in (": ", ":"):
                for ensure_ascii in ascii_options:
                    out.append(Layout(indent, item, key, ensure_ascii, newline, trailing, text.startswith("\ufeff")))
    if indents == [None]:  # compact JSON written with separators=(",", ":")
        out.append(Layout(None, ",", ":", ascii_options[0], newline, trailing, text.startswith("\ufeff")))
    return out


def dumps(data: Any, layout: Layout) -> str:
    """``data`` as text in ``layout`` (keys in their current order)."""
    text = json.dumps(
        data,
        indent=layout.indent,
        separators=(layout.item_separator, layout.key_separator),
        ensure_ascii=layout.ensure_ascii,
    )
    if layout.newline != "\n":
        text = text.replace("\n", layout.newline)
    if layout.trailing_newline:
        text += layout.newline
    return ("\ufeff" if layout.bom else "") + text


def detect_layout(text: str, data: Any | None = None) -> Layout:
    """The layout under which ``data`` (``json.loads(text)`` by default) is written as
    exactly ``text``; :class:`LayoutError` when there is none."""
    if data is None:
        try:
            data = json.loads(text[1:] if text.startswith("\ufeff") else text)
        except ValueError as exc:
            raise LayoutError(f"not JSON: {exc}") from None
    for layout in _candidates(text):
        if dumps(data, layout) == text:
            return layout
    raise LayoutError(
        "its JSON layout is not one a JSON writer produces (hand-edited spacing, number formats or duplicate keys), "
        "so it cannot be rewritten without changing other bytes"
    )


def rewrite(original: str, data: Any, layout: Layout | None = None) -> str:
    """The text of ``data`` in the layout of ``original``."""
    return dumps(data, layout or detect_layout(original))


def write_atomic(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Replace ``path``'s content with ``text`` through a temporary file and a rename."""
    target = Path(os.path.realpath(path))
    mode = None
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except OSError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".nb2prod-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
            fh.write(text)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
