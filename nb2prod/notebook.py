"""The notebook model: what the linter and the build see of a ``.ipynb`` file.

Notebooks are read as nbformat v4 (older versions are upgraded as nbformat does it, by
:mod:`nb2prod._upgrade`). Cells carry a 1-based ``index`` over *all* cells, as ruff numbers
them (``nb.ipynb:cell 3:2:5``).
Code is parsed lazily, after IPython's input transforms, by :mod:`nb2prod.code`.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from nb2prod import tags as tagmod
from nb2prod.code import ParsedCode, parse_code
from nb2prod.textsafe import has_surrogates, scrub_json

__all__ = [
    "Cell",
    "Notebook",
    "NotebookError",
    "read_notebook",
    "notebook_from_dict",
    "DEFAULT_MAX_BYTES",
    "MAX_DEPTH",
    "ANSI_ESCAPE",
    "strip_ansi",
    "multiline_text",
]

# The default of ``max-notebook-bytes``: larger files are refused before they are read.
DEFAULT_MAX_BYTES = 100_000_000
# nbformat's JSON schemas, v4.0 to v4.5 (and v3, for the upgrade), as nbformat ships them.
# JSON nested deeper than this is refused: real notebooks stay below 20 levels, and the
# consumers of the model (schema checks, JSON replies, rules that walk outputs) recurse.
MAX_DEPTH = 200


class NotebookError(Exception):
    """A file that cannot be read as a notebook. ``str()`` is one line, without the path."""


def multiline_text(value: Any) -> str:
    """nbformat multiline strings: a string or a list of strings (non-strings skipped)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""


# An ANSI escape sequence (colours, cursor moves) as kernels write them in tracebacks and
# streams. The one pattern of nb2prod: import it, or call :func:`strip_ansi`.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """``text`` without its ANSI escape sequences."""
    return ANSI_ESCAPE.sub("", text)


@dataclass(eq=False)
class Cell:
    index: int
    cell_type: str
    source: str
    id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    execution_count: int | None = None

    @cached_property
    def tags(self) -> tuple[str, ...]:
        """The raw ``metadata.tags`` (strings only)."""
        raw = self.metadata.get("tags")
        if not isinstance(raw, list):
            return ()
        return tuple(t for t in raw if isinstance(t, str))

    @cached_property
    def comment_tags(self) -> tuple[str, ...]:
        """Tags given as a first-line comment ``# nb2prod: predict, serve``."""
        return tagmod.comment_tags(self.source) if self.cell_type == "code" else ()

    @cached_property
    def nb2prod_tags(self) -> frozenset[str]:
        """The build-vocabulary tags of this cell, from metadata and the comment form."""
        return tagmod.cell_vocabulary_tags(self.tags, self.comment_tags)

    @property
    def is_code(self) -> bool:
        return self.cell_type == "code"

    @cached_property
    def lines(self) -> list[str]:
        return self.source.splitlines()

    @cached_property
    def parsed(self) -> ParsedCode:
        return parse_code(self.source)

    @property
    def executed(self) -> bool:
        return self.execution_count is not None

    def has_error_output(self) -> bool:
        return any(o.get("output_type") == "error" for o in self.outputs)


@dataclass(eq=False)
class Notebook:
    path: Path | None
    cells: list[Cell]
    metadata: dict[str, Any]
    nbformat: int = 4
    nbformat_minor: int = 0
    raw_text: str | None = None
    schema_error: str | None = None
    # The size of the file in bytes, as read (None when the model was not read from a file).
    size_bytes: int | None = None

    @property
    def display_path(self) -> str:
        return str(self.path) if self.path is not None else "<notebook>"

    @cached_property
    def language(self) -> str:
        """The kernel language, lower case; ``python`` when the notebook does not say.

        Taken from ``kernelspec.language``, else ``language_info.name``, else jupytext's
        ``jupytext.main_language`` (written when an R, Julia or PowerShell script is
        converted to a notebook without a kernel).
        """
        for key, field_name in (("kernelspec", "language"), ("language_info", "name"), ("jupytext", "main_language")):
            section = self.metadata.get(key)
            if isinstance(section, dict):
                value = section.get(field_name)
                if isinstance(value, str) and value.strip():
                    return value.strip().lower()
        return "python"

    @property
    def is_python(self) -> bool:
        return self.language in {"python", "python3", "python2", "ipython", "ipython3"}

    @property
    def code_cells(self) -> list[Cell]:
        return [c for c in self.cells if c.cell_type == "code"]

    @cached_property
    def source_line_map(self) -> dict[int, tuple[int, bool]] | None:
        """Cell index -> (1-based line in the raw file where the cell's source begins,
        whether each source line is on its own file line).

        Used so that SARIF and GitHub annotations land on the right line of the
        ``.ipynb`` file in a pull request (see ``engine.NotebookResult.file_line``).
        ``None`` when the raw text is unknown or its layout cannot be matched to the cells.
        """
        if self.raw_text is None:
            return None
        return _source_lines(self.raw_text, len(self.cells))


def _source_lines(raw: str, n_cells: int) -> dict[int, tuple[int, bool]] | None:
    """Find where each cell's ``source`` begins in the raw JSON text.

    Notebooks written by Jupyter put one source line per JSON line; this maps cell
    index -> (line of its first source string, one-line-per-element?). When the count of
    ``"source":`` keys does not match the cells (unusual writers), give up.
    """
    key = '"source":'
    result: dict[int, tuple[int, bool]] = {}
    line, pos, i = 1, 0, 0
    find, count = raw.find, raw.count
    while True:
        at = find(key, pos)
        if at < 0:
            break
        # Only keys that start a line (after indentation) are cell keys; a "source"
        # string inside a cell's text or outputs is escaped or mid-line.
        bol = raw.rfind("\n", 0, at) + 1
        line += count("\n", pos, at)
        pos = at
        if raw[bol:at].strip():
            pos = at + len(key)
            continue
        i += 1
        rest = raw[at + len(key) : at + len(key) + 4].lstrip(" ")
        if rest.startswith("[") and rest[1:2] in ("\n", "\r"):
            result[i] = (line + 1, True)
        else:
            result[i] = (line, False)
        pos = at + len(key)
    return result if i == n_cells else None


def _checked(data: Any) -> Any:
    """``data`` made safe for every consumer of the model, or :class:`NotebookError`.

    One walk over the decoded JSON: nesting deeper than :data:`MAX_DEPTH` and integers
    too long to print (Python refuses to convert an int of more than 4300 digits to
    text: a message, a JSON reply or a report would fail on it) are refused; lone
    surrogates (``"\\ud800"`` is valid JSON, and no UTF-8 encoder takes it) are replaced
    with U+FFFD, so that the CLI, the server extension, the widget and the pytest plugin
    can print and send whatever they take from the notebook.
    """
    limit = sys.get_int_max_str_digits()
    # An int of up to ``bits`` bits has at most limit digits; longer ones are checked exactly.
    bits = int(limit * 3.3219) if limit else 0
    dirty = False
    stack: list[tuple[Any, int]] = [(data, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        value, depth = pop()
        if isinstance(value, str):
            if not dirty and not value.isascii() and has_surrogates(value):
                dirty = True
        elif isinstance(value, dict):
            if depth > MAX_DEPTH:
                raise NotebookError(f"invalid JSON: nested more than {MAX_DEPTH} levels deep")
            for k, v in value.items():
                if not dirty and isinstance(k, str) and not k.isascii() and has_surrogates(k):
                    dirty = True
                push((v, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                raise NotebookError(f"invalid JSON: nested more than {MAX_DEPTH} levels deep")
            for v in value:
                push((v, depth + 1))
        elif isinstance(value, int) and bits and value.bit_length() > bits and _too_long(value, limit):
            raise NotebookError(f"invalid JSON: an integer of more than {limit} digits")
    return scrub_json(data) if dirty else data


def _too_long(value: int, limit: int) -> bool:
    try:
        str(value)
    except ValueError:
        return True
    return False


def notebook_from_dict(
    data: Any, path: Path | None = None, raw_text: str | None = None, *, size_bytes: int | None = None
) -> Notebook:
    """Build the model from decoded JSON. Raises :class:`NotebookError` when unusable.

    Strings in the model never hold lone surrogates (they become U+FFFD), see
    :func:`_checked`."""
    data = _checked(data)
    if not isinstance(data, dict):
        raise NotebookError(f"not a notebook: top-level JSON is {type(data).__name__}, not an object")
    major = data.get("nbformat")
    if not isinstance(major, int) or isinstance(major, bool):
        raise NotebookError("not a notebook: no integer 'nbformat' field")
    if major > 4:
        raise NotebookError(f"unsupported nbformat {major} (this version of nb2prod reads up to 4)")
    if major < 1:
        raise NotebookError(f"unsupported nbformat {major} (nbformat versions start at 1)")
    if major < 4:
        # Checked again: the upgrade parses the JSON text of v3 outputs (application/json).
        data = _checked(_upgrade(data, major))
        raw_text = None  # the raw layout is v3; lines would not match the model
    cells_raw = data.get("cells")
    if not isinstance(cells_raw, list):
        raise NotebookError("not a notebook: 'cells' is missing or not a list")
    schema_error = _schema_error(data)
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    cells: list[Cell] = []
    for i, c in enumerate(cells_raw, start=1):
        if not isinstance(c, dict):
            raise NotebookError(f"cell {i} is not an object")
        cell_type = c.get("cell_type")
        if not isinstance(cell_type, str):
            raise NotebookError(f"cell {i} has no 'cell_type'")
        meta = c.get("metadata")
        outputs = c.get("outputs") if cell_type == "code" else None
        count = c.get("execution_count")
        cid = c.get("id")
        cells.append(
            Cell(
                index=i,
                cell_type=cell_type,
                source=multiline_text(c.get("source")),
                id=cid if isinstance(cid, str) else None,
                metadata=meta if isinstance(meta, dict) else {},
                outputs=[o for o in outputs if isinstance(o, dict)] if isinstance(outputs, list) else [],
                execution_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
            )
        )
    minor = data.get("nbformat_minor")
    return Notebook(
        path=path,
        cells=cells,
        metadata=metadata,
        nbformat=4,
        nbformat_minor=minor if isinstance(minor, int) else 0,
        raw_text=raw_text,
        schema_error=schema_error,
        size_bytes=size_bytes,
    )


def _upgrade(data: dict[str, Any], major: int) -> dict[str, Any]:
    """A v1-v3 notebook as v4, as ``nbformat.reads(text, as_version=4)`` makes it (see
    :mod:`nb2prod._upgrade`, which does it without nbformat): the version's JSON reader
    (joining the lists of lines of ``input``, ``source`` and text outputs), then nbformat's
    converters."""
    from nb2prod._upgrade import UpgradeError, upgrade

    try:
        result = upgrade(data, major)
    except Exception as exc:  # UpgradeError; or MemoryError, RecursionError on absurd input
        missing = exc.missing if isinstance(exc, UpgradeError) else None
        what = f"it has no {missing!r}" if missing else "its content is malformed"
        raise NotebookError(f"cannot upgrade nbformat {major} notebook to v4: {what}") from None
    # nbformat's converter invents random cell ids (v4.5), and the upgrade keeps none that the
    # file has: a report must not change from run to run. The model says nbformat 4.4, without ids.
    for cell in result.get("cells") or []:
        if isinstance(cell, dict):
            cell.pop("id", None)
    if isinstance(result.get("nbformat_minor"), int) and result["nbformat_minor"] > 4:
        result["nbformat_minor"] = 4
    return result


def _schema_error(data: dict[str, Any]) -> str | None:
    """The nbformat v4 JSON-schema check, as one line or None.

    Uses nbformat's own schema files (copied into ``nb2prod/data/nbformat``), compiled with
    fastjsonschema ahead of time (``nb2prod._nbschema``, ``tools/gen_nbschema.py``). Cells
    and outputs are validated one by one against the definition for
    their type, instead of through the schema's ``oneOf`` (which costs an exception per
    non-matching branch, per cell), and the message says which cell is wrong.
    """
    minor = data.get("nbformat_minor")
    if not isinstance(minor, int) or isinstance(minor, bool):
        return "'nbformat_minor' is missing"
    minor = min(max(minor, 0), 5)
    top = dict(data)
    cells = top.get("cells")
    top["cells"] = []
    problem = _check_part(minor, "notebook", top)
    if problem:
        return problem
    for i, cell in enumerate(cells or [], start=1):
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        if kind not in ("code", "markdown", "raw"):
            return f"cell {i}: unknown cell_type {kind!r}"
        outputs = cell.get("outputs") if kind == "code" else None
        if kind == "code" and isinstance(outputs, list):
            cell = {**cell, "outputs": []}
        problem = _check_part(minor, f"{kind}_cell", cell)
        if problem:
            return f"cell {i}: {problem}"
        for j, out in enumerate(outputs or [], start=1):
            otype = out.get("output_type") if isinstance(out, dict) else None
            if otype not in ("execute_result", "display_data", "stream", "error"):
                return f"cell {i} output {j}: unknown output_type {otype!r}"
            problem = _check_part(minor, otype, out)
            if problem:
                return f"cell {i} output {j}: {problem}"
    return None


_validators: dict[tuple[int, str], Any] = {}


def _check_part(minor: int, name: str, value: Any) -> str | None:
    key = (minor, name)
    validate = _validators.get(key)
    if validate is None:
        from nb2prod._nbschema import validator

        validate = _validators[key] = validator(minor, name)
    try:
        validate(value)
    except Exception as exc:  # the generated code's JsonSchemaValueException, or worse
        message = getattr(exc, "message", None) or str(exc)
        return " ".join(str(message).split())[:300]
    return None


def read_notebook(path: str | Path, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> Notebook:
    """Read a notebook file. Raises :class:`NotebookError` with a one-line reason.

    Only regular files are read (a FIFO, a device or a socket is refused without being
    opened in a way that could block), and none larger than ``max_bytes`` (``None`` or 0:
    no limit; the ``max-notebook-bytes`` setting)."""
    p = Path(path)
    raw = read_regular_file(p, max_bytes)
    data, text = decode_json(raw)
    return notebook_from_dict(data, path=p, raw_text=text, size_bytes=len(raw))


def size_text(n: int) -> str:
    """``100 MB`` / ``1500 kB`` / ``1234 bytes``: a size limit in words."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000} MB"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000} kB"
    return f"{n} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_regular_file(
    path: Path, max_bytes: int | None = DEFAULT_MAX_BYTES, what: str = "a notebook file",
    setting: str | None = "max-notebook-bytes",
) -> bytes:
    """The bytes of ``path`` if it is a regular file (symlinks followed) of at most
    ``max_bytes``; :class:`NotebookError` otherwise (``what`` the file should have been and
    ``setting`` the configuration key of the limit, for the messages).

    The type is checked with ``stat`` before the file is opened, and again on the open
    descriptor (opened with ``O_NONBLOCK``, so that a FIFO swapped in meanwhile cannot
    block the read); the size limit holds even if the file grows while it is read."""
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise NotebookError("is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise NotebookError(f"is {_kind(st.st_mode)}, not {what}")
        limit = max_bytes or None
        if limit is not None and st.st_size > limit:
            raise NotebookError(_too_large(limit, setting))
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags)
        with open(fd, "rb", closefd=True) as fh:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise NotebookError(f"is {_kind(st.st_mode)}, not {what}")
            raw = fh.read() if limit is None else fh.read(limit + 1)
    except NotebookError:
        raise
    except IsADirectoryError:
        raise NotebookError("is a directory") from None
    except FileNotFoundError:
        raise NotebookError("no such file") from None
    except PermissionError:
        raise NotebookError("permission denied") from None
    except MemoryError:
        raise NotebookError("too large to read into memory") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotebookError("too many levels of symbolic links") from None
        raise NotebookError(f"cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:  # a path with a NUL character
        raise NotebookError(f"cannot read: {exc}") from None
    if limit is not None and len(raw) > limit:
        raise NotebookError(_too_large(limit, setting))
    return raw


def _too_large(limit: int, setting: str | None = "max-notebook-bytes") -> str:
    return f"larger than the {size_text(limit)} limit" + (f" ({setting})" if setting else "")


def decode_json(raw: bytes) -> tuple[Any, str]:
    """(decoded JSON, text) of a notebook file's bytes; :class:`NotebookError` if it is
    not UTF-8 JSON. The data is as decoded (lone surrogates kept: ``nb2prod clean``
    writes it back); the model built from it is made safe by :func:`notebook_from_dict`."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise NotebookError(f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise NotebookError("invalid JSON: nested too deeply") from None
    except ValueError as exc:
        # Python refuses to read an integer of more than 4300 digits (sys.int_info).
        if "integer string conversion" in str(exc):
            raise NotebookError(
                f"invalid JSON: an integer of more than {sys.get_int_max_str_digits()} digits"
            ) from None
        raise NotebookError(f"invalid JSON: {exc}") from None
