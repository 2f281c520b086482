"""Text that is safe to print, write and send, whatever bytes a user's files held.

Two hazards come from outside: *lone surrogates* (a notebook may contain ``"\\ud800"``,
which is valid JSON, and a file name that is not UTF-8 is decoded by Python with
``surrogateescape``), which no UTF-8 encoder accepts; and *control characters* (a newline
in a file name splits a one-line error, and under GitHub Actions the second line is read
as a workflow command; an escape sequence repaints the user's terminal).

- :func:`scrub` replaces lone surrogates with U+FFFD, for text that is content (a report,
  a JSON body): it can always be encoded as UTF-8 afterwards.
- :func:`one_line` is for a message that must stay one line: controls, line and
  paragraph separators and lone surrogates become visible escapes (``\\n``, ``\\x1b``,
  ``\\udcff``), everything else (accents, CJK, emoji) is kept as it is.
"""

from __future__ import annotations

import re
from typing import Any

from nb2prod import _lazyre

__all__ = ["has_surrogates", "one_line", "scrub", "scrub_json"]

_SURROGATE = _lazyre.compile("[\ud800-\udfff]")
# C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators; lone surrogates.
_UNSAFE_IN_LINE = _lazyre.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def has_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def scrub(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (the text is otherwise kept)."""
    if text.isascii():
        return text
    return _SURROGATE.sub("\ufffd", text)


def scrub_json(value: Any) -> Any:
    """A JSON-like value (dicts, lists, strings...) with :func:`scrub` applied to every
    string in it, keys included. Values without surrogates are returned as they are."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [scrub_json(v) for v in value]
    if isinstance(value, dict):
        return {scrub(k) if isinstance(k, str) else k: scrub_json(v) for k, v in value.items()}
    return value


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def one_line(text: object) -> str:
    """``str(text)`` as one printable line: control characters, line separators and lone
    surrogates become backslash escapes; nothing else changes."""
    s = str(text)
    if s.isascii() and s.isprintable():
        return s
    return _UNSAFE_IN_LINE.sub(_escape, s)
