"""``nb2prod clean``: clear outputs and execution counts, so notebooks go into git clean.

    nb2prod clean PATH... [--check] [--metadata] [--quiet]

Code cells lose their outputs and execution counts; with ``--metadata`` also the
metadata noise that front ends write on every run (``execution`` timings,
``ExecuteTime``, ``collapsed``, ``scrolled``, ``widgets`` state, the notebook signature).
What a notebook *means* is kept: sources, tags (nb2prod's included), attachments,
``kernelspec`` and ``language_info`` (NB205 reads the Python version from it).

A file that needs no change is never written (its mtime stays), so a second run changes
nothing. A file that changes is written the way Jupyter writes it (the layout of nbformat's
writer, reproduced here without nbformat: multi-line strings as lists of lines, one-space
indent, sorted keys, a trailing newline), keeping its line endings, through a
temporary file and a rename. ``--check`` writes nothing and exits 1 when a file would
change (for CI and pre-commit); an unreadable file is one line and exit 2, as in ``lint``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CleanResult", "clean_data", "clean_file", "clean_text", "jupyter_json", "register", "run", "main"]

EXIT_OK, EXIT_CHANGES, EXIT_ERROR = 0, 1, 2

# Metadata that front ends rewrite on every run and that says nothing about the notebook
# (the keys nbstripout strips by default).
NOISY_CELL_METADATA = ("collapsed", "scrolled", "ExecuteTime", "execution", "heading_collapsed", "hidden")
NOISY_NOTEBOOK_METADATA = ("signature", "widgets")


class CleanError(Exception):
    """A file that cannot be cleaned. ``str()`` is one line, without the path."""


@dataclass
class CleanResult:
    path: Path
    changes: list[str] = field(default_factory=list)  # what was (or would be) cleared, in words
    error: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def clean_data(nb: dict[str, Any], *, metadata: bool = False) -> list[str]:
    """Clean a decoded notebook in place; returns what changed, in words ([] = nothing).

    Works on nbformat 4 (``cells``, ``execution_count``) and 3 (``worksheets``,
    ``prompt_number``) without converting between them.
    """
    major = nb.get("nbformat")
    if major == 4:
        cells = nb.get("cells")
        count_key = "execution_count"
    elif major == 3:
        cells = [c for ws in nb.get("worksheets") or [] if isinstance(ws, dict) for c in ws.get("cells") or []]
        count_key = "prompt_number"
    else:
        raise CleanError(f"unsupported nbformat {major!r} (clean handles versions 3 and 4)")
    if not isinstance(cells, list):
        raise CleanError("not a notebook: 'cells' is missing or not a list")
    outputs = counts = meta = 0
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        if cell.get("cell_type") == "code":
            if cell.get("outputs"):
                outputs += len(cell["outputs"]) if isinstance(cell["outputs"], list) else 1
                cell["outputs"] = []
            if cell.get(count_key) is not None:
                counts += 1
                if major == 4:
                    cell[count_key] = None  # required key in v4
                else:
                    del cell[count_key]
        cell_meta = cell.get("metadata")
        if metadata and isinstance(cell_meta, dict):
            for key in NOISY_CELL_METADATA:
                if key in cell_meta:
                    del cell_meta[key]
                    meta += 1
    nb_meta = nb.get("metadata")
    if metadata and isinstance(nb_meta, dict):
        for key in NOISY_NOTEBOOK_METADATA:
            if key in nb_meta:
                del nb_meta[key]
                meta += 1
    changes = []
    if outputs:
        changes.append(_plural(outputs, "output"))
    if counts:
        changes.append(_plural(counts, "execution count"))
    if meta:
        changes.append(_plural(meta, "metadata field"))
    return changes


def _decode(raw: bytes) -> tuple[dict[str, Any], str]:
    from nb2prod.notebook import NotebookError, decode_json

    try:
        data, text = decode_json(raw)
    except NotebookError as exc:
        raise CleanError(str(exc)) from None
    if not isinstance(data, dict):
        raise CleanError(f"not a notebook: top-level JSON is {type(data).__name__}, not an object")
    return data, text


def _serialise(data: dict[str, Any], original: str) -> str:
    """Jupyter's own layout (:func:`jupyter_json`), with the original's line endings and
    trailing newline."""
    text = jupyter_json(data)
    if original.endswith("\n"):
        text += "\n"
    if "\r\n" in original:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    # A lone surrogate ("\ud800" in the file: valid JSON) can only be written back as the
    # escape it was read from; the writer puts characters inside JSON strings only.
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# -- Jupyter's notebook layout, without nbformat ---------------------------------------
#
# jupyter_json(data) is what nbformat.versions[major].writes_json(nbformat.from_dict(data))
# returns (nbformat 5.x, majors 3 and 4): the notebook with its multi-line strings split
# into lists of lines and its transient fields dropped, as JSON with one-space indent and
# sorted keys. That writer, not nbformat.writes, which would also
# "normalise" the notebook (add cell ids, repair duplicates): not ours to do.
# Where nbformat's writer raises (a cell that is not an object, a code cell without
# "outputs"...) the part of the notebook it could not walk is written as it was read.

# v4: the mime types split into lines besides text/*; JSON ones (application/json,
# application/*+json) and binary ones (image/png as base64) are never split.
_V4_SPLIT_MIMES = ("application/javascript", "image/svg+xml")
# v3: the output fields split into lines.
_V3_MULTILINE_OUTPUTS = ("text", "html", "svg", "latex", "javascript", "json")


def _lines(value: Any) -> Any:
    """A string as its lines, each with its line break (str.splitlines: also \\r, \\v, \\x85,
    \\u2028...); any other value as it is."""
    return value.splitlines(True) if isinstance(value, str) else value


def _without(value: Any, keys: tuple[str, ...]) -> Any:
    """A copy of a dict without ``keys``; any other value as it is."""
    if not isinstance(value, dict):
        return value
    return {k: v for k, v in value.items() if k not in keys}


def _v4_mimebundle(bundle: Any) -> Any:
    if not isinstance(bundle, dict):
        return bundle
    return {
        key: _lines(value) if key.startswith("text/") or key in _V4_SPLIT_MIMES else value
        for key, value in bundle.items()
    }


def _v4_output(output: Any) -> Any:
    if not isinstance(output, dict):
        return output
    kind = output.get("output_type")
    if kind in ("execute_result", "display_data") and "data" in output:
        return {**output, "data": _v4_mimebundle(output["data"])}
    if kind == "stream" and "text" in output:
        return {**output, "text": _lines(output["text"])}
    return output


def _v4_cell(cell: Any) -> Any:
    if not isinstance(cell, dict):
        return cell
    cell = dict(cell)
    if "source" in cell:
        cell["source"] = _lines(cell["source"])
    attachments = cell.get("attachments")
    if isinstance(attachments, dict):
        cell["attachments"] = {name: _v4_mimebundle(bundle) for name, bundle in attachments.items()}
    if cell.get("cell_type") == "code" and isinstance(cell.get("outputs"), list):
        cell["outputs"] = [_v4_output(output) for output in cell["outputs"]]
    if "metadata" in cell:
        cell["metadata"] = _without(cell["metadata"], ("trusted",))
    return cell


def _v4_layout(nb: dict[str, Any]) -> dict[str, Any]:
    nb = dict(nb)
    if "metadata" in nb:
        nb["metadata"] = _without(nb["metadata"], ("orig_nbformat", "orig_nbformat_minor", "signature"))
    if isinstance(nb.get("cells"), list):
        nb["cells"] = [_v4_cell(cell) for cell in nb["cells"]]
    return nb


def _v3_cell(cell: Any) -> Any:
    if not isinstance(cell, dict):
        return cell
    cell = {k: v for k, v in cell.items() if k != "trusted"}
    if "metadata" in cell:
        cell["metadata"] = _without(cell["metadata"], ("trusted",))
    if cell.get("cell_type") == "code":
        if "input" in cell:
            cell["input"] = _lines(cell["input"])
        if isinstance(cell.get("outputs"), list):
            cell["outputs"] = [
                {k: _lines(v) if k in _V3_MULTILINE_OUTPUTS else v for k, v in output.items()}
                if isinstance(output, dict) else output
                for output in cell["outputs"]
            ]
    else:  # markdown, raw, heading cells
        for key in ("source", "rendered"):
            if key in cell:
                cell[key] = _lines(cell[key])
    return cell


def _v3_layout(nb: dict[str, Any]) -> dict[str, Any]:
    nb = {k: v for k, v in nb.items() if k not in ("orig_nbformat", "orig_nbformat_minor")}
    if isinstance(nb.get("worksheets"), list):
        nb["worksheets"] = [
            {**ws, "cells": [_v3_cell(cell) for cell in ws["cells"]]}
            if isinstance(ws, dict) and isinstance(ws.get("cells"), list) else ws
            for ws in nb["worksheets"]
        ]
    return nb


def jupyter_json(data: dict[str, Any]) -> str:
    """A decoded nbformat 3 or 4 notebook as Jupyter writes it (without the final newline),
    byte for byte what ``nbformat.versions[major].writes_json(nbformat.from_dict(data))``
    returns. ``data`` is not changed. :class:`CleanError` for another major version."""
    major = data.get("nbformat")
    if major == 4:
        layout, ascii_only = _v4_layout(data), False
    elif major == 3:
        layout, ascii_only = _v3_layout(data), True  # nbformat's v3 writer escapes non-ASCII text
    else:
        raise CleanError(f"unsupported nbformat {major!r} (clean handles versions 3 and 4)")
    try:
        return json.dumps(layout, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=ascii_only)
    except RecursionError:
        raise CleanError("cannot write: nested too deeply") from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str, *, metadata: bool = False) -> tuple[str | None, list[str]]:
    """(the cleaned notebook text, or None when nothing needs to change; what changed)."""
    data, text = _decode(text.encode("utf-8"))
    changes = clean_data(data, metadata=metadata)
    return (_serialise(data, text) if changes else None), changes


def _write_atomic(path: Path, raw: bytes) -> None:
    target = path.resolve() if path.is_symlink() else path
    import shutil
    import tempfile  # only here: not imported by every lint
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        shutil.copymode(target, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def clean_file(path: str | Path, *, check: bool = False, metadata: bool = False) -> CleanResult:
    """Clean one file in place (``check``: only say whether it would change)."""
    path = Path(path)
    result = CleanResult(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        result.error = "is a directory"
        return result
    except FileNotFoundError:
        result.error = "no such file"
        return result
    except OSError as exc:
        result.error = f"cannot read: {exc.strerror or exc}"
        return result
    try:
        data, text = _decode(raw)
        result.changes = clean_data(data, metadata=metadata)
        if result.changes and not check:
            out = _serialise(data, text)
            bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
            _write_atomic(path, bom + out.encode("utf-8"))
    except CleanError as exc:
        result.error = str(exc)
    except OSError as exc:
        result.error = f"cannot write: {exc.strerror or exc}"
    return result


# -- command line ---------------------------------------------------------------------


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``clean`` to the ``nb2prod`` subcommands; the handler is ``args.handler``."""
    parser = subparsers.add_parser(
        "clean",
        help="clear outputs and execution counts (for clean notebooks in git)",
        description="Clear the outputs and execution counts of notebooks, in place. Files that need no "
        "change are not touched.",
    )
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="notebooks or folders (default: .)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when a notebook would be cleaned")
    parser.add_argument("--metadata", action="store_true",
                        help="also remove metadata noise (execution timings, collapsed/scrolled, widget state, "
                        "signature); tags, kernelspec and language_info are kept")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing; only the exit code")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``nb2prod clean`` for parsed arguments: 0 clean (or cleaned), 1 ``--check`` found
    notebooks to clean, 2 a file could not be read or written."""
    from nb2prod.textsafe import one_line
    from nb2prod.walk import discover

    results = []
    for target in discover(args.paths):
        if target.error:
            results.append(CleanResult(target.path, error=target.error))
        else:
            results.append(clean_file(target.path, check=args.check, metadata=args.metadata))
    changed = [r for r in results if r.changed and not r.error]
    errors = [r for r in results if r.error]
    if not args.quiet:
        verb = "would clean" if args.check else "cleaned"
        for r in results:
            if r.error:
                print(f"nb2prod: error: {one_line(r.path)}: {one_line(r.error)}", file=sys.stderr)
            elif r.changed:
                print(f"{verb} {one_line(r.path)} ({', '.join(r.changes)})")
        n_ok = len(results) - len(changed) - len(errors)
        parts = []
        if changed:
            parts.append(f"{_plural(len(changed), 'notebook')} {'would be cleaned' if args.check else 'cleaned'}")
        parts.append(f"{n_ok} already clean")
        if errors:
            parts.append(f"{len(errors)} could not be {'read' if args.check else 'cleaned'}")
        print(", ".join(parts) + ".")
    if errors:
        return EXIT_ERROR
    return EXIT_CHANGES if args.check and changed else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """``nb2prod clean`` on its own (tests, and ``python -m nb2prod.clean``)."""
    parser = argparse.ArgumentParser(prog="nb2prod")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["clean", *(sys.argv[1:] if argv is None else argv)])
    return int(args.handler(args))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
