"""Paths in string literals: home folders, absolute paths, paths that leave the project,
and the I/O calls and names that make a string a path."""

from __future__ import annotations

import ast
import os
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path

from nb2prod import _lazyre
from nb2prod._ast import walk as walk_nodes
from nb2prod.analysis import Analysis, CallFact
from nb2prod.code import PYTHON_BODY_CELL_MAGICS
from nb2prod.fixes.model import Applicability, Fix, SourceEdit
from nb2prod.fixes.text import node_span
from nb2prod.notebook import Cell
from nb2prod.rules.portability.magics import CHDIR_CALLS, CHDIR_MAGICS, all_magics

# -- paths -------------------------------------------------------------------------------

# A path inside somebody's home folder, anywhere in a string (after a delimiter).
HOME = _lazyre.compile(
    r"""(?:^|(?<=[\s'"=:,;(\[]))(?P<path>
        (?:/mnt/[a-zA-Z])?/(?:Users|home)/(?!<|\{)[^/\s'"]+(?:/[^\s'"]*)?   # /Users/x, /home/x
      | /root(?:/[^\s'"]*)?(?=$|[\s'"])                                 # /root
      | /content/drive/My\ ?Drive(?:/[^\s'"]*)?                          # Colab's Google Drive
      | [A-Za-z]:[\\/]+(?i:Users|Documents\ and\ Settings)[\\/]+[^\\/\s'"]+(?:[\\/][^\s'"]*)?
      | ~[A-Za-z0-9_.-]*[\\/][^\s'"]*                                    # ~/data, ~jake/data
    )""",
    re.X,
)
# A POSIX absolute path that is not a system device or scratch location.
_ABS_POSIX = _lazyre.compile(r"^/(?!/)(?!(?:dev|proc|sys|tmp|var/tmp)(?:/|$))[^\n\r]*[^/\n\r]")
# A Windows drive path: anywhere as a whole string when the drive is upper case and the
# string is a valid Windows path (no * ? " < > |), which keeps regexes like r"x:\s*" out.
DRIVE_STRICT = _lazyre.compile(r'^[A-Z]:[\\/][^*?"<>|\n\r:]*$')
_DRIVE_LOOSE = _lazyre.compile(r"^[A-Za-z]:[\\/]")
_UNC = _lazyre.compile(r"^\\\\[\w.$-]+\\[\w.$ -]+")

# Callees (last name part) whose string arguments are file system paths. Existence tests
# (`os.path.exists("/kaggle/input")`) are left out: they are how code detects a platform.
_IO_NAMES = frozenset(
    {
        "open", "Path", "PurePath", "PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath",
        "read_csv", "read_table", "read_excel", "read_json", "read_parquet", "read_pickle",
        "read_feather", "read_hdf", "read_fwf", "read_orc", "read_stata", "read_sas", "read_spss",
        "read_xml", "to_csv", "to_excel", "to_json", "to_parquet", "to_pickle", "to_feather",
        "to_hdf", "to_stata", "to_html", "to_xml", "load", "save", "savez", "savez_compressed",
        "loadtxt", "savetxt", "genfromtxt", "fromfile", "tofile", "memmap", "load_npz", "save_npz",
        "dump", "load_model", "save_model", "load_weights", "save_weights", "savefig", "imread",
        "imsave", "imwrite", "load_img", "ImageFolder", "DatasetFolder", "read_file", "write_file",
        "listdir", "scandir", "walk", "glob", "iglob", "makedirs",
        "mkdir", "rmdir", "unlink", "rename", "copy", "copy2", "copyfile", "copytree", "rmtree",
        "move", "File", "ZipFile", "TarFile", "open_dataset", "open_mfdataset", "FileHandler",
        "SummaryWriter", "ModelCheckpoint", "CSVLogger", "TensorBoard", "chdir", "expanduser",
        "abspath", "realpath", "from_pretrained", "save_pretrained", "load_dataset",
        # Spark readers and writers: spark.read.csv("/mnt/..."), df.write.parquet(...)
        "csv", "parquet", "orc", "json", "textFile", "saveAsTextFile",
    }
)
_IO_QUALNAMES = frozenset(
    {"os.path.join", "posixpath.join", "ntpath.join", "sys.path.append", "sys.path.insert",
     "sqlite3.connect", "os.remove", "os.startfile"}
)
PATH_JOINERS = frozenset(
    {"os.path.join", "posixpath.join", "ntpath.join", "pathlib.Path", "pathlib.PurePath",
     "pathlib.PosixPath", "pathlib.PurePosixPath"}
)
# Top-level `NAME = "/abs/path"`: names that say "this is a location", minus the ones that
# say "this is a URL route".
PATHY_NAME = _lazyre.compile(r"(?i)path|dir|folder|file|root|home|data|input|output|save|ckpt|checkpoint|model|csv|db")
ROUTEY_NAME = _lazyre.compile(r"(?i)url|uri|route|endpoint|api|host|prefix|pattern|regex")
# A path-like token of a string (paths in shell-like strings are split on blanks).
TOKEN = _lazyre.compile(r"""[^\s'",;()]+""")
SEP = _lazyre.compile(r"[\\/]")


def source_span(cell: Cell, line: int, text: str, node: ast.expr, offset: int) -> tuple[int, int | None]:
    """1-based ``(column, end column)`` (end exclusive) of ``text`` on ``line`` of the cell
    as written, so that the finding covers exactly the path inside the quotes, not the
    quotes and brackets after it.

    ``text`` is looked for as it is and as a non-raw literal writes it (backslashes
    doubled), first from the string literal ``node`` onwards, then from the start of the
    line (a `!cmd` line that IPython rewrote). When it is not on the line (a multi-line
    or otherwise escaped string), the span falls back to the start of the literal and
    no end.
    """
    if not 1 <= line <= len(cell.lines):
        return node.col_offset + 1, None
    source = cell.lines[line - 1]
    literal = _char_column(source, node.col_offset) if node.lineno + offset == line else 0
    if text:
        escaped = text.replace("\\", "\\\\")
        for candidate in dict.fromkeys((text, escaped)):
            for start in dict.fromkeys((literal, 0)):
                i = source.find(candidate, start)
                if i >= 0:
                    return i + 1, i + 1 + len(candidate)
    return literal + 1, None


def _char_column(line: str, byte_offset: int) -> int:
    """The character index of a UTF-8 byte offset (what ``ast`` gives) in ``line``."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def leftmost_string(expr: ast.expr) -> ast.Constant | None:
    """The string literal a path expression starts with: `"/a"`, `"/a" + x`, `f"/a/{x}"`."""
    while True:
        if isinstance(expr, ast.Constant):
            return expr if isinstance(expr.value, str) else None
        if isinstance(expr, ast.JoinedStr):
            return expr.values[0] if expr.values and isinstance(expr.values[0], ast.Constant) else None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Div, ast.Mod)):
            expr = expr.left
            continue
        return None


def _callee_last(call: CallFact) -> str | None:
    func = call.node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def is_io_call(call: CallFact) -> bool:
    if call.qualname in _IO_QUALNAMES:
        return True
    return _callee_last(call) in _IO_NAMES


def call_args(call: CallFact) -> Iterator[ast.expr]:
    yield from call.node.args
    for kw in call.node.keywords:
        if kw.arg is not None:
            yield kw.value


def shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def home_kind(path: str) -> str:
    if path.startswith("~"):
        return "depends on the user's home folder"
    if path.startswith("/content/drive"):
        return "is in a user's Google Drive"
    return "is in a user's home folder"



def is_absolute(value: str, *, strict: bool) -> bool:
    if strict:
        return bool(DRIVE_STRICT.match(value))
    return bool(_ABS_POSIX.match(value) or _DRIVE_LOOSE.match(value) or _UNC.match(value))


def simple_assignment(stmt: ast.stmt) -> tuple[str | None, ast.Constant | None]:
    """`NAME = "text"` (or annotated) at top level -> (NAME, the constant)."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        target, value = stmt.target, stmt.value
    else:
        return None, None
    if isinstance(target, ast.Name) and isinstance(value, ast.Constant) and isinstance(value.value, str):
        return target.id, value
    return None, None


def project_root(directory: Path) -> Path | None:
    """The nearest folder, from ``directory`` up, with a ``.git`` or a ``pyproject.toml``."""
    for folder in (directory, *directory.parents):
        try:
            if (folder / ".git").exists() or (folder / "pyproject.toml").is_file():
                return folder
        except OSError:
            return None
    return None


def levels_up(path: str) -> int:
    """How many folders above its start a relative path climbs (`../../a` -> 2)."""
    norm = posixpath.normpath(path.replace("\\", "/"))
    n = 0
    for part in norm.split("/"):
        if part != "..":
            break
        n += 1
    return n


# -- names that hold paths -----------------------------------------------------------------


def leftmost_name(expr: ast.expr) -> str | None:
    """The variable a path expression starts from: `DATA`, `DATA + "/x.csv"`,
    `f"{DATA}/x.csv"`, `DATA / "x.csv"`, `os.path.join(DATA, "x")`, `Path(DATA)`."""
    for _ in range(20):
        if isinstance(expr, ast.Name):
            return expr.id
        if isinstance(expr, ast.JoinedStr):
            first = expr.values[0] if expr.values else None
            if not isinstance(first, ast.FormattedValue):
                return None
            expr = first.value
        elif isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Div)):
            expr = expr.left
        elif isinstance(expr, ast.Call) and expr.args and (
            (isinstance(expr.func, ast.Attribute) and expr.func.attr in ("join", "Path", "PurePath"))
            or (isinstance(expr.func, ast.Name) and expr.func.id in ("Path", "PurePath", "PosixPath", "join"))
        ):
            expr = expr.args[0]
        else:
            return None
    return None


def module_strings(cells: list[Cell]) -> dict[str, list[tuple[Cell, ast.Constant, int]]]:
    """`NAME = "text"` outside functions and classes (at the top of a cell, or in an
    `if`, `for`, `with` or `try` there) -> the constants, in notebook order."""
    table: dict[str, list[tuple[Cell, ast.Constant, int]]] = {}
    for cell in cells:
        tree = cell.parsed.tree
        if tree is None:
            continue
        off = cell.parsed.line_offset
        stack: list[ast.stmt] = list(tree.body)
        while stack:
            stmt = stack.pop(0)
            if isinstance(stmt, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)):
                for field_name in ("body", "orelse", "finalbody"):
                    stack.extend(getattr(stmt, field_name, []))
                for handler in getattr(stmt, "handlers", []):
                    stack.extend(handler.body)
                continue
            target, value = simple_assignment(stmt)
            if target is not None and value is not None:
                table.setdefault(target, []).append((cell, value, off))
    return table


def colab_or_kaggle(path: str) -> str | None:
    """What a platform path means: Colab's working folder, Kaggle's input/working folders."""
    if path.startswith("/content/") and not path.startswith("/content/drive"):
        return ("is in `/content`, the working folder of Google Colab, which exists only there: "
                "write the path relative to the notebook (drop `/content/`)")
    if path.startswith("/kaggle/"):
        return "exists only on Kaggle: make the location a `parameters` value or a path relative to the notebook"
    return None


# -- the fix: an absolute path under the project made relative ----------------------------

# A whole string literal (prefix, quotes, text), and how an f-string starts.
_LITERAL = _lazyre.compile(r"""(?s)([rRuU]?)('''|\"\"\"|'|")(.*)\2""")
_FSTRING_START = _lazyre.compile(r"""([fF][rR]?|[rR][fF])('''|\"\"\"|'|")""")


def _changes_directory(nb: Analysis) -> bool:
    """Whether the notebook changes its working directory anywhere (`%cd`, `os.chdir`)."""
    if any(m.kind == "line" and m.name in CHDIR_MAGICS for _, m in all_magics(nb)):
        return True
    return any(call.qualname in CHDIR_CALLS for call in nb.calls)


def _path_text(cell: Cell, const: ast.Constant, offset: int) -> tuple[int, int, str] | None:
    """Where the text of string ``const`` is in the cell's source, as written (no escapes):
    (start, end, quote). ``const`` is a whole string literal, or the first part of an
    f-string (``f"/data/{name}.csv"``: the ``/data/`` before the first brace)."""
    parsed = cell.parsed
    value = const.value
    if parsed.tree is None or not isinstance(value, str) or not value:
        return None
    if parsed.cell_magic is not None and parsed.cell_magic.name not in PYTHON_BODY_CELL_MAGICS:
        return None
    if len(cell.source.splitlines()) != len(parsed.code.splitlines()) + parsed.line_offset:
        return None  # IPython's transforms moved lines
    joined = next((n for n in walk_nodes(parsed.tree) if isinstance(n, ast.JoinedStr)
                   and n.values and n.values[0] is const), None)
    node: ast.expr = joined if joined is not None else const
    span = node_span(cell.source, node, offset)
    if span is None:
        return None
    text = cell.source[span[0]:span[1]]
    if text != ast.get_source_segment(parsed.code, node):
        return None
    if joined is None:
        m = _LITERAL.fullmatch(text)
        if m is None or m.group(3) != value:
            return None
        return span[0] + len(m.group(1)) + len(m.group(2)), span[1] - len(m.group(2)), m.group(2)
    f = _FSTRING_START.match(text)
    if f is None or any(c in value for c in "{}\\") or not text.startswith(value, f.end()):
        return None
    return span[0] + f.end(), span[0] + f.end() + len(value), f.group(2)


def relative_path_fix(nb: Analysis, cell: Cell, const: ast.Constant, offset: int) -> Fix | None:
    """The fix that writes the absolute POSIX path of string ``const`` relative to the
    notebook's folder (the kernel's working folder when Jupyter runs the notebook), when
    the path is inside the project: the notebook's folder or the project root above it
    (:func:`project_root`). ``"/repo/data/x.csv"`` in ``/repo/notebooks/nb.ipynb`` becomes
    ``"../data/x.csv"``, in the same quotes; ``f"/repo/data/{name}"`` becomes
    ``f"../data/{name}"``.

    None (no fix) when the path is outside the project, is not the whole string (or
    the start of an f-string), is not in its normal form (`..`, `.`, `//`), is a Windows
    path, is the notebook's folder or a folder above it without a final `/` (what is
    added to it may not start with one), or is on a line that IPython's transforms
    changed; and whenever the notebook changes its working directory (a relative path
    would then start somewhere else)."""
    value = const.value
    if nb.path is None or os.sep != "/" or not isinstance(value, str):
        return None
    if not value.startswith("/") or value.startswith("//") or posixpath.normpath(value) != value.rstrip("/"):
        return None
    where = _path_text(cell, const, offset)
    if where is None or nb.fact(_changes_directory):
        return None
    start, end, quote = where
    try:
        here = nb.path.absolute().parent
    except OSError:
        return None
    root = str(project_root(here) or here)
    norm = value.rstrip("/")
    if not (norm == root or norm.startswith(root.rstrip("/") + "/")):
        return None
    rel = posixpath.relpath(norm, str(here))
    if value.endswith("/"):
        rel += "/"
    elif all(part in (".", "..") for part in rel.split("/")):
        return None  # "/repo" + "_old/x.csv" is not ".." + "_old/x.csv"
    if quote in rel or "\\" in rel or "\n" in rel or "{" in rel or "}" in rel:
        return None
    return Fix(
        f"write the path relative to the notebook's folder, where Jupyter runs it: `{shorten(rel)}`",
        (SourceEdit(cell.index, cell.id, start, end, rel),),
        Applicability.UNSAFE,
    )
