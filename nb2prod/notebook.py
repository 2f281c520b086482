"""The notebook model: what the linter and the build see of a ``.ipynb`` file.

Notebooks are read as nbformat v4 (older versions are upgraded by nbformat). Cells carry
a 1-based ``index`` over *all* cells, as ruff numbers them (``nb.ipynb:cell 3:2:5``).
Code is parsed lazily, after IPython's input transforms, by :mod:`nb2prod.code`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from nb2prod import tags as tagmod
from nb2prod.code import ParsedCode, parse_code

__all__ = ["Cell", "Notebook", "NotebookError", "read_notebook", "notebook_from_dict"]


class NotebookError(Exception):
    """A file that cannot be read as a notebook. ``str()`` is one line, without the path."""


def multiline_text(value: Any) -> str:
    """nbformat multiline strings: a string or a list of strings (non-strings skipped)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""


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


def notebook_from_dict(
    data: Any, path: Path | None = None, raw_text: str | None = None, *, size_bytes: int | None = None
) -> Notebook:
    """Build the model from decoded JSON. Raises :class:`NotebookError` when unusable."""
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
        data = _upgrade(data, major)
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
    import nbformat

    try:
        node = nbformat.from_dict(data)
        upgraded = nbformat.convert(node, 4)
        # Back to plain JSON types, which also rejects anything the converters left
        # that JSON cannot hold.
        return json.loads(json.dumps(upgraded))
    except Exception:  # nbformat raises many types (KeyError, AttributeError...) for malformed v1-v3 files
        # Its messages name its internals ("missing a key: 'list' object has no
        # attribute 'orig_nbformat'"), which tell the user nothing about their file.
        raise NotebookError(f"cannot upgrade nbformat {major} notebook to v4: its content is malformed") from None


def _schema_error(data: dict[str, Any]) -> str | None:
    """The nbformat v4 JSON-schema check, as one line or None.

    Uses nbformat's own schema files, compiled with fastjsonschema. Cells and outputs
    are validated one by one against the definition for their type, instead of through
    the schema's ``oneOf`` (which costs an exception per non-matching branch, per cell),
    and the message says which cell is wrong.
    """
    minor = data.get("nbformat_minor")
    if not isinstance(minor, int) or isinstance(minor, bool):
        return "'nbformat_minor' is missing"
    schema = _schemas.load(min(max(minor, 0), 5))
    top = dict(data)
    cells = top.get("cells")
    top["cells"] = []
    problem = schema.check("notebook", top)
    if problem:
        return problem
    for i, cell in enumerate(cells or [], start=1):
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        if kind not in ("code", "markdown", "raw"):
            return f"cell {i}: unknown cell_type {kind!r}"
        outputs = cell.get("outputs") if kind == "code" else None
        if kind == "code" and isinstance(outputs, list):
            cell = {**cell, "outputs": []}
        problem = schema.check(f"{kind}_cell", cell)
        if problem:
            return f"cell {i}: {problem}"
        for j, out in enumerate(outputs or [], start=1):
            otype = out.get("output_type") if isinstance(out, dict) else None
            if otype not in ("execute_result", "display_data", "stream", "error"):
                return f"cell {i} output {j}: unknown output_type {otype!r}"
            problem = schema.check(otype, out)
            if problem:
                return f"cell {i} output {j}: {problem}"
    return None


class _Schemas:
    """Compiled validators for the parts of each nbformat 4.x schema, shared between
    minor versions whose part is identical."""

    def __init__(self) -> None:
        self._by_minor: dict[int, _Schema] = {}
        self._compiled: dict[str, Any] = {}

    def load(self, minor: int) -> _Schema:
        found = self._by_minor.get(minor)
        if found is None:
            import nbformat.v4

            path = Path(nbformat.v4.__file__).parent / f"nbformat.v4.{minor}.schema.json"
            found = self._by_minor[minor] = _Schema(json.loads(path.read_text(encoding="utf-8")), self._compiled)
        return found


class _Schema:
    def __init__(self, schema: dict[str, Any], compiled: dict[str, Any]) -> None:
        self._schema = schema
        self._compiled = compiled
        self._validators: dict[str, Any] = {}

    def _part(self, name: str) -> dict[str, Any]:
        defs = json.loads(json.dumps(self._schema.get("definitions", {})))
        if "code_cell" in defs:
            defs["code_cell"]["properties"]["outputs"]["items"] = {}
        if name == "notebook":
            part = {k: v for k, v in self._schema.items() if k != "definitions"}
            part = json.loads(json.dumps(part))
            part["properties"]["cells"]["items"] = {}
        else:
            part = {"$ref": f"#/definitions/{name}"}
        part["definitions"] = defs
        return part

    def check(self, name: str, value: Any) -> str | None:
        validator = self._validators.get(name)
        if validator is None:
            import fastjsonschema

            part = self._part(name)
            key = json.dumps(part, sort_keys=True)
            validator = self._compiled.get(key)
            if validator is None:
                validator = self._compiled[key] = fastjsonschema.compile(part)
            self._validators[name] = validator
        try:
            validator(value)
        except Exception as exc:  # fastjsonschema.JsonSchemaException
            message = getattr(exc, "message", None) or str(exc)
            return " ".join(str(message).split())[:300]
        return None


_schemas = _Schemas()


def read_notebook(path: str | Path) -> Notebook:
    """Read a notebook file. Raises :class:`NotebookError` with a one-line reason."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except IsADirectoryError:
        raise NotebookError("is a directory") from None
    except FileNotFoundError:
        raise NotebookError("no such file") from None
    except PermissionError:
        raise NotebookError("permission denied") from None
    except OSError as exc:
        raise NotebookError(f"cannot read: {exc.strerror or exc}") from None
    data, text = decode_json(raw)
    return notebook_from_dict(data, path=p, raw_text=text, size_bytes=len(raw))


def decode_json(raw: bytes) -> tuple[Any, str]:
    """(decoded JSON, text) of a notebook file's bytes; :class:`NotebookError` if it is
    not UTF-8 JSON."""
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
