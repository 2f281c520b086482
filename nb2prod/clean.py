"""``nb2prod clean``: clear outputs and execution counts, so notebooks go into git clean.

    nb2prod clean PATH... [--check] [--metadata] [--quiet]

Code cells lose their outputs and execution counts; with ``--metadata`` also the
metadata noise that front ends write on every run (``execution`` timings,
``ExecuteTime``, ``collapsed``, ``scrolled``, ``widgets`` state, the notebook signature).
What a notebook *means* is kept: sources, tags (nb2prod's included), attachments,
``kernelspec`` and ``language_info`` (NB205 reads the Python version from it).

A file that needs no change is never written (its mtime stays), so a second run changes
nothing. A file that changes is written the way Jupyter writes it (nbformat's writer:
one-space indent, sorted keys, a trailing newline), keeping its line endings, through a
temporary file and a rename. ``--check`` writes nothing and exits 1 when a file would
change (for CI and pre-commit); an unreadable file is one line and exit 2, as in ``lint``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CleanResult", "clean_data", "clean_file", "clean_text", "register", "run", "main"]

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
    """Jupyter's own layout (nbformat's writer), with the original's line endings and
    trailing newline. The writer is called directly: ``nbformat.writes`` would also
    "normalise" the notebook (add cell ids, repair duplicates), which is not ours to do."""
    import nbformat

    major = data["nbformat"]
    node = nbformat.from_dict(data)
    text: str = nbformat.versions[major].writes_json(node)
    if original.endswith("\n"):
        text += "\n"
    if "\r\n" in original:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    # A lone surrogate ("\ud800" in the file: valid JSON) can only be written back as the
    # escape it was read from; the writer puts characters inside JSON strings only.
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str, *, metadata: bool = False) -> tuple[str | None, list[str]]:
    """(the cleaned notebook text, or None when nothing needs to change; what changed)."""
    data, text = _decode(text.encode("utf-8"))
    changes = clean_data(data, metadata=metadata)
    return (_serialise(data, text) if changes else None), changes


def _write_atomic(path: Path, raw: bytes) -> None:
    target = path.resolve() if path.is_symlink() else path
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
