"""Masking secrets wherever nb2prod shows text: messages, code frames, every format.

One rule for what is shown of a secret: its first 4 characters when it is longer than
8, else its first character; the rest becomes ``*``. :mod:`nb2prod.secret_scan` finds
secrets (it imports no rule, so masking a string loads none); the NB6 rules report them;
the engine also passes every finding's message and source line through :func:`redact`,
so a secret is masked even when another rule quotes it (an error output, a URL).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["mask", "mask_spans", "redact", "kept"]


def kept(length: int) -> int:
    """How many leading characters of a secret of ``length`` characters are shown."""
    return 4 if length > 8 else 1


def mask(secret: str) -> str:
    """A secret as it may be shown: its first characters, then stars."""
    keep = kept(len(secret))
    return secret[:keep] + "*" * min(max(len(secret) - keep, 3), 12)


def mask_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Mask the 0-based, end-exclusive ``spans`` of ``text`` (spaces are kept)."""
    chars = list(text)
    for start, end in spans:
        start = max(start, 0)
        for i in range(start + kept(end - start), min(end, len(chars))):
            if not chars[i].isspace():
                chars[i] = "*"
    return "".join(chars)


def redact(text: str) -> str:
    """``text`` with every secret the linter recognises masked.

    Any text: a code line, a message, a whole build log or traceback (it is read as a
    saved output is: ``TOKEN=...`` lines, ``repr()`` of dicts, URLs with passwords; a
    private key is masked down to its end marker). Lines without a secret are returned
    as they are; a megabyte takes well under a second unless most of its lines are secrets.
    """
    if not text:
        return text
    from nb2prod.secret_scan import secret_spans

    spans = secret_spans(text)
    return mask_spans(text, spans) if spans else text
