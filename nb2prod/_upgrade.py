"""nbformat v1, v2 and v3 notebooks upgraded to v4, without nbformat.

The result is what nbformat 5.x makes of the decoded JSON of such a file (its v1/v2/v3 JSON
reader, then ``nbformat.convert(node, 4)``), down to the order of the keys, and a file nbformat
cannot upgrade is refused here as well: :class:`UpgradeError` says which key nbformat would
have missed (``missing``), or ``None`` when its failure was of another kind (a list where an
object belongs, text that is not ASCII in a v2 image, a prompt number that is not a number...).

What nbformat does, step by step:

- reading: v2 and v3 store ``input``, ``source``, ``rendered`` and the text outputs of a cell as
  lists of lines, joined on reading (v2 with ``"\\n"``; v3 with ``""`` when the first line ends
  with a newline, else with ``"\\n"``); v2 keeps ``png``/``jpeg`` as bytes, which must be ASCII;
- v1 to v2: a new notebook of one worksheet with only the cells (``code``/``prompt_number``
  of code cells, ``text`` of text cells, which become markdown); a cell of any other type
  repeats the cell before it (and is an error when it comes first);
- v2 to v3: ``nbformat`` 3.0, ``orig_nbformat`` 2, each cell gets a ``metadata``;
- v3 to v4: ``metadata.orig_nbformat(_minor)``, the cells of all worksheets in one list,
  ``input`` -> ``source``, ``prompt_number`` -> ``execution_count``, ``collapsed`` into the
  metadata, ``language`` dropped, heading cells -> markdown ``## text``, ``html`` cells ->
  markdown; outputs ``pyout`` -> ``execute_result``, ``pyerr`` -> ``error``, stream's ``stream``
  -> ``name``, the data of ``pyout``/``display_data`` moved under ``data`` with mime-type keys
  (``png`` -> ``image/png``...) and ``application/json`` parsed; metadata ``name`` and
  ``signature`` dropped. nbformat validates the notebook against the v3 schema before and the
  v4.5 schema after, which only logs; it fails, though, for a v3 ``nbformat_minor`` that is
  not an integer or above 0, and when the first schema error is that of a cell whose
  ``cell_type`` is not a string (its error report adds ``"_cell"`` to it).

The cell ids nbformat invents for v4.5 are not made (the caller drops ids). One difference on
purpose: a heading level above 100 million is refused as malformed, where nbformat would try to
build that string of "#"s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["UpgradeError", "upgrade"]

# Where the nbformat JSON schemas are kept (copied from nbformat, see SOURCE.md there).
SCHEMA_DIR = Path(__file__).parent / "data" / "nbformat"

# The keys of v2/v3 outputs whose value may be a list of lines.
_MULTILINE_OUTPUT_KEYS = ("text", "html", "svg", "latex", "javascript", "json")
# v3 output keys and their v4 mime types, in the order nbformat renames them.
_MIME_TYPES = (
    ("text", "text/plain"),
    ("html", "text/html"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("jpeg", "image/jpeg"),
    ("latex", "text/latex"),
    ("json", "application/json"),
    ("javascript", "application/javascript"),
)
# A heading cell of level n becomes n "#"s; nbformat would build a string of any length
# (a 100-byte file could ask for gigabytes). Beyond this the file is refused as malformed.
_MAX_HEADING_LEVEL = 100_000_000


class UpgradeError(Exception):
    """The notebook cannot be upgraded; ``missing`` is the key nbformat found missing, if that
    was its failure."""

    def __init__(self, missing: str | None = None) -> None:
        super().__init__(missing or "malformed")
        self.missing = missing


def upgrade(data: dict[str, Any], major: int) -> dict[str, Any]:
    """The v4 form of ``data``, a decoded nbformat ``major`` (1, 2 or 3) notebook.

    ``data`` is not changed. The result says ``nbformat_minor`` 5 (as nbformat's does); a cell
    has an ``id`` only if the file gave it one (nbformat replaces it with a random one, the caller
    drops it). Raises :class:`UpgradeError`."""
    if major not in (1, 2, 3):
        raise ValueError(f"not an nbformat version this upgrades: {major!r}")
    nb = _copy(data)
    if major == 1:
        nb = _v1_to_v2(nb)
    else:
        _join_lines(nb, _join_v2 if major == 2 else _join_v3)
        if major == 2:
            _check_v2_images(nb)
    if major < 3:
        _v2_to_v3(nb)
    _v3_to_v4(nb)
    # A v1 cell of an unknown type repeats the cell object before it: make each one its own.
    seen: set[int] = set()
    cells = nb["cells"]
    for i, cell in enumerate(cells):
        if id(cell) in seen:
            cells[i] = _copy(cell)
        seen.add(id(cell))
    return nb


def _copy(value: Any) -> Any:
    """A copy of decoded JSON (objects and arrays copied, the rest shared)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


# -- how nbformat's notebook nodes fail -------------------------------------------------------
# nbformat reads JSON objects into dicts with attribute access: ``node.key`` of a missing key
# raises AttributeError(key), which it reports as that key missing; the same access on a
# list, a string or a number fails in another way.


def _attr(node: Any, key: str) -> Any:
    """``node.key`` of a notebook node."""
    if not isinstance(node, dict):
        raise UpgradeError()
    if key not in node:
        raise UpgradeError(key)
    return node[key]


def _str_method(value: Any, name: str) -> None:
    """Raise as nbformat does when it calls the string method ``name`` of ``value`` that is
    not a string: an object looks the name up as a key (missing: that key is reported; present:
    its value cannot be called)."""
    if isinstance(value, str):
        return
    if isinstance(value, dict) and name not in value:
        raise UpgradeError(name)
    raise UpgradeError()


def _each(value: Any) -> list[Any]:
    """What ``for item in value`` gives nbformat where it expects a list of objects: an empty
    string or object gives nothing; the characters of a string or the keys of an object are
    strings, on which its first step fails; a number or null cannot be iterated."""
    if isinstance(value, list):
        return value
    if isinstance(value, (str, dict)) and not value:
        return []
    raise UpgradeError()


def _strings(lines: list[Any]) -> list[str]:
    if not all(isinstance(line, str) for line in lines):
        raise UpgradeError()
    return lines


# -- reading v2 and v3 JSON ----------------------------------------------------------------


def _join_v2(lines: list[Any]) -> str:
    return "\n".join(_strings(lines))


def _join_v3(lines: list[Any]) -> str:
    # Lines written with splitlines(True) keep their newline; older ones did not.
    if lines:
        _str_method(lines[0], "endswith")
        if lines[0].endswith(("\n", "\r")):
            return "".join(_strings(lines))
    return "\n".join(_strings(lines))


def _join_lines(nb: dict[str, Any], join: Callable[[list[Any]], str]) -> None:
    """The lists of lines of a v2/v3 notebook joined into strings, in place."""
    for ws in _each(_attr(nb, "worksheets")):
        for cell in _each(_attr(ws, "cells")):
            if _attr(cell, "cell_type") == "code":
                if isinstance(cell.get("input"), list):
                    cell["input"] = join(cell["input"])
                for output in _each(_attr(cell, "outputs")):
                    if not isinstance(output, dict):
                        raise UpgradeError()
                    for key in _MULTILINE_OUTPUT_KEYS:
                        if isinstance(output.get(key), list):
                            output[key] = join(output[key])
            else:
                for key in ("source", "rendered"):
                    if isinstance(cell.get(key), list):
                        cell[key] = join(cell[key])


def _check_v2_images(nb: dict[str, Any]) -> None:
    """v2 images are base64 text, which nbformat encodes to ASCII bytes (and back when it
    converts to v3): anything else fails."""
    for ws in nb["worksheets"]:
        for cell in ws["cells"]:
            if cell["cell_type"] == "code":
                for output in cell["outputs"]:
                    for key in ("png", "jpeg"):
                        if key in output:
                            value = output[key]
                            _str_method(value, "encode")
                            if not value.isascii():
                                raise UpgradeError()


# -- converting ------------------------------------------------------------------------------


def _v1_to_v2(nb: dict[str, Any]) -> dict[str, Any]:
    cells: list[dict[str, Any]] = []
    new: dict[str, Any] | None = None
    for cell in _each(_attr(nb, "cells")):
        kind = _attr(cell, "cell_type")
        if kind == "code":
            code, prompt = cell.get("code"), cell.get("prompt_number")
            new = {"cell_type": "code", "language": "python"}
            if code is not None:
                new["input"] = str(code)
            if prompt is not None:
                new["prompt_number"] = _int(prompt)
            new["outputs"] = []
            new["collapsed"] = False
        elif kind == "text":
            text = cell.get("text")
            new = {} if text is None else {"source": str(text)}
            new["cell_type"] = "markdown"
        elif new is None:
            raise UpgradeError()
        cells.append(new)
    return {"nbformat": 2, "worksheets": [{"cells": cells}], "metadata": {}}


def _int(value: Any) -> int:
    """``int(value)`` as nbformat takes a v1 prompt number: ``"7"`` and ``7.9`` are 7."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise UpgradeError() from None


def _v2_to_v3(nb: dict[str, Any]) -> None:
    nb["nbformat"] = 3
    nb["nbformat_minor"] = 0
    nb["orig_nbformat"] = 2
    for ws in _each(nb["worksheets"]):
        for cell in _each(ws["cells"]):
            cell.setdefault("metadata", {})


def _v3_to_v4(nb: dict[str, Any]) -> None:
    # nbformat validates the v3 notebook first: it asserts an integer nbformat_minor and
    # finds no schema for one above 0.
    minor = nb.get("nbformat_minor", 0)
    if not isinstance(minor, int) or minor > 0:
        raise UpgradeError()
    if _schema_fails_on_cell_type(nb, 3):
        raise UpgradeError()
    orig, orig_minor = nb.pop("orig_nbformat", None), nb.pop("orig_nbformat_minor", None)
    meta = _attr(nb, "metadata")
    if not isinstance(meta, dict):
        raise UpgradeError()
    meta["orig_nbformat"] = orig or 3
    meta["orig_nbformat_minor"] = orig_minor or 0
    nb["nbformat"] = 4
    nb["nbformat_minor"] = 5
    nb["cells"] = cells = []
    for ws in _each(nb.pop("worksheets", [])):
        for cell in _each(ws["cells"]):
            cells.append(_upgrade_cell(cell))
    meta.pop("name", None)
    meta.pop("signature", None)
    if _schema_fails_on_cell_type(nb, 4):
        raise UpgradeError()


def _upgrade_cell(cell: dict[str, Any]) -> dict[str, Any]:
    cell.setdefault("metadata", {})
    kind = cell["cell_type"]
    if kind == "code":
        cell.pop("language", None)
        if "collapsed" in cell:
            collapsed = cell.pop("collapsed")
            if not isinstance(cell["metadata"], dict):
                raise UpgradeError()
            cell["metadata"]["collapsed"] = collapsed
        cell["source"] = cell.pop("input", "")
        cell["execution_count"] = cell.pop("prompt_number", None)
        cell["outputs"] = [_upgrade_output(output) for output in _each(cell["outputs"])]
    elif kind == "heading":
        cell["cell_type"] = "markdown"
        level = cell.pop("level", 1)
        if not isinstance(level, int) or level > _MAX_HEADING_LEVEL:
            raise UpgradeError()
        source = cell.get("source", "")
        _str_method(source, "splitlines")
        cell["source"] = "#" * level + " " + " ".join(source.splitlines())
    elif kind == "html":
        cell["cell_type"] = "markdown"
    return cell


def _upgrade_output(output: dict[str, Any]) -> dict[str, Any]:
    if "output_type" not in output:
        raise UpgradeError("output_type")
    kind = output["output_type"]
    if isinstance(kind, (list, dict)):  # nbformat looks it up in a set
        raise UpgradeError()
    if kind in ("pyout", "display_data"):
        output.setdefault("metadata", {})
        if kind == "pyout":
            output["output_type"] = "execute_result"
            output["execution_count"] = output.pop("prompt_number", None)
        kept = ("output_type", "execution_count", "metadata")
        data = {key: output.pop(key) for key in list(output) if key not in kept}
        _mime_keys(data)
        output["data"] = data
        _mime_keys(output["metadata"])
        if "application/json" in data:
            value = data["application/json"]
            if not isinstance(value, str):
                raise UpgradeError()
            try:
                data["application/json"] = json.loads(value)
            except (ValueError, RecursionError):
                raise UpgradeError() from None
    elif kind == "pyerr":
        output["output_type"] = "error"
    elif kind == "stream":
        output["name"] = output.pop("stream", "stdout")
    return output


def _mime_keys(value: Any) -> None:
    """v3 output keys renamed to mime types, in place. nbformat does this to the output's
    metadata too, whatever it is: a list or a string is only an error if it holds (as an item
    or a substring) one of the old names, anything else but an object always is."""
    if isinstance(value, dict):
        for alias, mime in _MIME_TYPES:
            if alias in value:
                value[mime] = value.pop(alias)
    elif not isinstance(value, (list, str)) or any(alias in value for alias, _ in _MIME_TYPES):
        raise UpgradeError()


# -- the schema checks that can fail ---------------------------------------------------------
# When nbformat's validation finds an error (fastjsonschema says whether there is one; it
# never raises), it takes the first error jsonschema reports and, if that is a cell matching
# no cell type, computes ``cell["cell_type"] + "_cell"``: a TypeError when the type is not a
# string. jsonschema (Draft 4, Python's ``re``) reports the errors of the top-level keys
# before those of the cells, and the cells in order. Such a cell always has an error, so the
# question is only whether one comes before it; only a notebook with such a cell asks it.

_schemas: dict[int, dict[str, Any]] = {}


def _schema(major: int) -> dict[str, Any]:
    found = _schemas.get(major)
    if found is None:
        name = "nbformat.v3.schema.json" if major == 3 else "nbformat.v4.5.schema.json"
        found = _schemas[major] = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return found


def _schema_fails_on_cell_type(nb: dict[str, Any], major: int) -> bool:
    if major == 3:
        worksheets = nb.get("worksheets")
        groups = [ws.get("cells") for ws in worksheets] if isinstance(worksheets, list) else []
    else:
        groups = [nb["cells"]]
    if not any(isinstance(cells, list) and any(not isinstance(c["cell_type"], str) for c in cells)
               for cells in groups):
        return False
    root = _schema(major)
    cells_key = "worksheets" if major == 3 else "cells"
    if not _valid(root, {**nb, cells_key: []}, root):
        return False
    if major == 3:
        cell_schema = root["definitions"]["worksheet"]["properties"]["cells"]["items"]
        worksheets = nb["worksheets"]
    else:
        cell_schema = root["properties"]["cells"]["items"]
        worksheets = [{"cells": nb["cells"]}]
    for ws in worksheets:
        if set(ws) - {"cells", "metadata"} or not isinstance(ws["cells"], list):
            return False
        for cell in ws["cells"]:
            # nbformat's v4 cells have an id (a valid one) when it validates them.
            if not _valid(cell_schema, cell if major == 3 else {**cell, "id": "x"}, root):
                return not isinstance(cell["cell_type"], str)
        if not isinstance(ws.get("metadata", {}), dict):
            return False
    return False


_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _valid(schema: dict[str, Any], value: Any, root: dict[str, Any]) -> bool:
    """Whether jsonschema's Draft 4 validator finds no error in ``value``, for the keywords
    nbformat's schemas use."""
    if "$ref" in schema:  # Draft 4: a reference replaces the other keywords
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return _valid(target, value, root)
    kinds = schema.get("type")
    if kinds is not None and not any(_TYPES[k](value) for k in ([kinds] if isinstance(kinds, str) else kinds)):
        return False
    if "enum" in schema and not any(_equal(option, value) for option in schema["enum"]):
        return False
    if "not" in schema and _valid(schema["not"], value, root):
        return False
    if "oneOf" in schema and sum(_valid(option, value, root) for option in schema["oneOf"]) != 1:
        return False
    if isinstance(value, dict):
        if any(key not in value for key in schema.get("required", ())):
            return False
        properties = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            known = key in properties
            if known and not _valid(properties[key], item, root):
                return False
            for pattern, sub in patterns.items():
                if re.search(pattern, key):
                    known = True
                    if not _valid(sub, item, root):
                        return False
            if not known and (extra is False or (isinstance(extra, dict) and not _valid(extra, item, root))):
                return False
    elif isinstance(value, list):
        if "items" in schema and not all(_valid(schema["items"], item, root) for item in value):
            return False
        if schema.get("uniqueItems") and any(
                _equal(a, b) for i, a in enumerate(value) for b in value[i + 1:]):
            return False
    elif isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            return False
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return False
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            return False
    return True


def _equal(a: Any, b: Any) -> bool:
    """jsonschema's equality: ``true`` is not ``1``, objects and arrays compare by content."""
    if a is b:
        return True
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)
