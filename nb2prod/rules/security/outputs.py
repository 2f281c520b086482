"""The text of notebook outputs, as the NB6 rules read it: streams, text MIME types and
tracebacks (never images), ANSI colours removed, bounded per output. :func:`outputs` is
a fact of the analysis, computed once for the three rules that read outputs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from nb2prod import _lazyre
from nb2prod.analysis import Analysis
from nb2prod.notebook import Cell, multiline_text, strip_ansi

# for multi-megabyte outputs (a plotly bundle, a whole DataFrame as HTML).
_MAX_OUTPUT_CHARS = 64_000
_TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex", "application/json")

_DATA_URI = _lazyre.compile(r"data:[\w.+-]+/[\w.+-]+;base64,[A-Za-z0-9+/=_-]+")


def blank_data_uris(text: str) -> str:
    """Replace inline base64 images by spaces of the same length (offsets are kept)."""
    if "base64," not in text:
        return text
    return _DATA_URI.sub(lambda m: " " * len(m.group()), text)



def output_texts(out: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, text) of one output: streams, text MIME types, tracebacks; never images."""
    kind = out.get("output_type")
    if kind == "stream":
        name = out.get("name")
        yield (name if isinstance(name, str) else "stream"), multiline_text(out.get("text"))[:_MAX_OUTPUT_CHARS]
    elif kind in ("execute_result", "display_data", "update_display_data"):
        data = out.get("data")
        if not isinstance(data, dict):
            return
        for mime in _TEXT_MIMES:
            value = data.get(mime)
            if mime == "application/json" and value is not None and not isinstance(value, (str, list)):
                value = _json_text(value)
            text = multiline_text(value)[:_MAX_OUTPUT_CHARS]
            if mime == "text/html" and "&" in text:
                import html  # only here: not imported by every lint
                text = html.unescape(text)
            if mime in ("text/html", "text/markdown"):
                text = blank_data_uris(text)
            if text:
                yield mime, text
    elif kind == "error":
        parts = [multiline_text(out.get("evalue"))]
        tb = out.get("traceback")
        if isinstance(tb, list):
            parts.extend(t for t in tb if isinstance(t, str))
        text = "\n".join(parts)[:_MAX_OUTPUT_CHARS]
        if "\x1b" in text:
            text = strip_ansi(text)
        yield "traceback", text


def _json_text(value: Any) -> str:
    try:
        return json.dumps(value)[:_MAX_OUTPUT_CHARS]
    except (TypeError, ValueError):
        return ""


OutputTexts = list[tuple[Cell, int, list[tuple[str, str]]]]
def _output_texts_of(nb: Analysis) -> OutputTexts:
    found: OutputTexts = []
    for cell in nb.code_cells:
        for i, out in enumerate(cell.outputs, start=1):
            texts = [(w, t) for w, t in output_texts(out) if t]
            if texts:
                found.append((cell, i, texts))
    return found


def outputs(nb: Analysis) -> OutputTexts:
    """(cell, 1-based output index, [(where, text)]) of every output with text.

    Computed once per notebook for the three rules that read outputs.
    """
    return nb.fact(_output_texts_of)
