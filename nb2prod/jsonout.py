"""``json.dumps(obj, indent=2, ensure_ascii=False)``, faster.

With ``indent`` set, the standard library encodes in Python, one generator per container
and a ``yield`` per token (its C encoder is used only without indentation): for the JSON
and SARIF reports of a few hundred notebooks that is most of a warm-cache run. This writes
the same text with C's string escaping (``json.encoder.encode_basestring``) and one list of
pieces. Anything it does not handle exactly as ``json`` does (keys that are not strings,
types ``json`` cannot encode, cycles, very deep nesting) goes to ``json.dumps`` itself, so
the result is always ``json.dumps``'s.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # the C implementation when there is one
from typing import Any

_FLOAT_REPR = float.__repr__
_INT_REPR = int.__repr__
_INFINITY = float("inf")


class _Unsupported(Exception):
    pass


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return _FLOAT_REPR(value)


def dumps(obj: Any, indent: int = 2) -> str:
    """The text of ``json.dumps(obj, indent=indent, ensure_ascii=False)``."""
    pieces: list[str] = []
    append = pieces.append
    step = " " * indent

    def scalar(value: Any) -> str | None:
        # The common leaves, inline in the loops below (a call per leaf is most of the cost).
        if isinstance(value, str):
            return encode_basestring(value)
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if isinstance(value, int):
            return _INT_REPR(value)
        if isinstance(value, float):
            return _float(value)
        return None

    def write(value: Any, newline: str, depth: int) -> None:
        if depth > 400:  # json.dumps says what a very deep value does; never differ from it
            raise _Unsupported
        if isinstance(value, dict):
            if not value:
                append("{}")
                return
            inner = newline + step
            sep = "{" + inner
            for key, item in value.items():
                if type(key) is not str:
                    raise _Unsupported  # json's key coercions (numbers, None, bools), str subclasses
                text = encode_basestring(item) if type(item) is str else scalar(item)
                if text is not None:
                    append(sep + encode_basestring(key) + ": " + text)
                else:
                    append(sep + encode_basestring(key) + ": ")
                    write(item, inner, depth + 1)
                sep = "," + inner
            append(newline + "}")
        elif isinstance(value, (list, tuple)):
            if not value:
                append("[]")
                return
            inner = newline + step
            sep = "[" + inner
            for item in value:
                text = encode_basestring(item) if type(item) is str else scalar(item)
                if text is not None:
                    append(sep + text)
                else:
                    append(sep)
                    write(item, inner, depth + 1)
                sep = "," + inner
            append(newline + "]")
        else:
            text = scalar(value)
            if text is None:
                raise _Unsupported
            append(text)

    try:
        write(obj, "\n", 0)
    except _Unsupported:
        return json.dumps(obj, indent=indent, ensure_ascii=False)
    return "".join(pieces)
