"""NB5xx: portability. Does the notebook run on a machine that is not its author's?

Paths are judged from the string literals collected once by :class:`Analysis`; shell
commands and magics from the :class:`~nb2prod.code.Magic` facts of each cell. Shell
commands and magics in cells tagged `skip` are not reported (those cells never run at
build time and are never exported); paths and directory changes are reported in every
cell, because a `skip` cell that changes directory or reads a private file still makes the
interactive run differ from the build.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path

from nb2prod.analysis import Analysis, CallFact, dotted_name
from nb2prod.code import PYTHON_BODY_CELL_MAGICS, Magic
from nb2prod.diagnostics import Finding, Severity
from nb2prod.notebook import Cell
from nb2prod.rules._base import Rule, register

# -- paths -------------------------------------------------------------------------------

# A path inside somebody's home folder, anywhere in a string (after a delimiter).
_HOME = re.compile(
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
_ABS_POSIX = re.compile(r"^/(?!/)(?!(?:dev|proc|sys|tmp|var/tmp)(?:/|$))[^\n\r]*[^/\n\r]")
# A Windows drive path: anywhere as a whole string when the drive is upper case and the
# string is a valid Windows path (no * ? " < > |), which keeps regexes like r"x:\s*" out.
_DRIVE_STRICT = re.compile(r'^[A-Z]:[\\/][^*?"<>|\n\r:]*$')
_DRIVE_LOOSE = re.compile(r"^[A-Za-z]:[\\/]")
_UNC = re.compile(r"^\\\\[\w.$-]+\\[\w.$ -]+")

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
_PATH_JOINERS = frozenset(
    {"os.path.join", "posixpath.join", "ntpath.join", "pathlib.Path", "pathlib.PurePath",
     "pathlib.PosixPath", "pathlib.PurePosixPath"}
)
# Top-level `NAME = "/abs/path"`: names that say "this is a location", minus the ones that
# say "this is a URL route".
_PATHY_NAME = re.compile(r"(?i)path|dir|folder|file|root|home|data|input|output|save|ckpt|checkpoint|model|csv|db")
_ROUTEY_NAME = re.compile(r"(?i)url|uri|route|endpoint|api|host|prefix|pattern|regex")
# A path-like token of a string (paths in shell-like strings are split on blanks).
_TOKEN = re.compile(r"""[^\s'",;()]+""")
_SEP = re.compile(r"[\\/]")


def _source_span(cell: Cell, line: int, text: str, node: ast.expr, offset: int) -> tuple[int, int | None]:
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


def _leftmost_string(expr: ast.expr) -> ast.Constant | None:
    """The string literal a path expression starts with: `"/a"`, `"/a" + x`, `f"/a/{x}"`."""
    while True:
        if isinstance(expr, ast.Constant):
            return expr if isinstance(expr.value, str) else None
        if isinstance(expr, ast.JoinedStr):
            return expr.values[0] if expr.values and isinstance(expr.values[0], ast.Constant) else None  # type: ignore[return-value]
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


def _is_io_call(call: CallFact) -> bool:
    if call.qualname in _IO_QUALNAMES:
        return True
    return _callee_last(call) in _IO_NAMES


def _call_args(call: CallFact) -> Iterator[ast.expr]:
    yield from call.node.args
    for kw in call.node.keywords:
        if kw.arg is not None:
            yield kw.value


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _home_kind(path: str) -> str:
    if path.startswith("~"):
        return "depends on the user's home folder"
    if path.startswith("/content/drive"):
        return "is in a user's Google Drive"
    return "is in a user's home folder"


@register
class UserHomePath(Rule):
    """## What it does
    Finds string literals that point into a user's home folder: `/Users/jake/...`,
    `/home/jake/...`, `/root/...`, `C:\\Users\\jake\\...`, `~/...`, or a Colab Google
    Drive (`/content/drive/MyDrive/...`). Every code cell is checked, `skip` cells too.

    ## Why is this bad?
    A home folder belongs to one person on one machine. Nobody else, no CI runner and no
    service container has `/Users/jake/Downloads/train.csv`; the notebook fails there
    with `FileNotFoundError`, and the path also tells readers the author's user name.

    ## Example
    ```python
    df = pd.read_csv("/Users/jake/Downloads/iris.csv")
    ```

    ## Use instead
    ```python
    DATA_DIR = Path("data")          # inside the project, next to the notebook
    df = pd.read_csv(DATA_DIR / "iris.csv")
    ```

    ## Fix
    Move the file into the project (or download it in the notebook from a pinned URL)
    and use a path relative to the notebook, or make the location a `parameters` value.
    """

    code = "NB501"
    name = "user-home-path"
    severity = Severity.WARNING
    summary = "A path points into a user's home folder"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for s in nb.strings:
            m = _HOME.search(s.value)
            if m is None:
                continue
            path = m.group("path")
            line = s.node.lineno + s.offset
            col, end = _source_span(s.cell, line, path, s.node, s.offset)
            what = _home_kind(path)
            yield self.at(
                s.cell,
                f"`{_short(path)}` {what}: it exists only on the author's machine",
                line=line,
                column=col,
                end_line=line if end is not None else None,
                end_column=end,
            )
        for cell in nb.code_cells:
            cm = cell.parsed.cell_magic
            if cm is not None and cm.args and (m := _HOME.search(cm.args)):
                yield self.at(
                    cell,
                    f"`{_short(m.group('path'))}` in `%%{cm.name}` {_home_kind(m.group('path'))}",
                    line=cm.line,
                    column=cm.column,
                )


@register
class AbsolutePath(Rule):
    """## What it does
    Finds absolute paths that are not in a home folder (NB501 covers those):
    `/data/projects/iris.csv`, `/kaggle/input/...`, `D:\\datasets\\...`. To keep false
    alarms away (URL routes such as `"/predict"`, regexes), a POSIX path is reported only
    where it is a file: an argument of a file call (`open`, `pd.read_*`, `to_csv`,
    `np.load`, `Path`, `os.path.join`, `joblib.dump`, `savefig`...), or the value of a
    top-level variable named like a location (`DATA_DIR = "/data/iris"`). A Windows drive
    path is reported anywhere. `/tmp`, `/dev`, `/proc` and `/sys` are never reported.

    ## Why is this bad?
    An absolute path ties the notebook to one machine's layout. CI, a colleague and the
    service container have different disks; the notebook fails there.

    ## Example
    ```python
    model = joblib.load("/srv/models/iris.joblib")
    ```

    ## Use instead
    ```python
    MODEL_PATH = Path("models") / "iris.joblib"   # relative to the project
    model = joblib.load(MODEL_PATH)
    ```

    ## Fix
    Use a path relative to the notebook, or make the location a `parameters` value that
    the build and the service can set.
    """

    code = "NB502"
    name = "absolute-path"
    severity = Severity.WARNING
    summary = "A file path is absolute"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        seen: set[int] = set()
        for call in nb.calls:
            if not _is_io_call(call):
                continue
            for arg in _call_args(call):
                const = _leftmost_string(arg)
                if const is None or id(const) in seen:
                    continue
                seen.add(id(const))
                finding = self._judge(call.cell, const, call.offset, strict=False)
                if finding is not None:
                    yield finding
        for cell in nb.parsed_cells:
            off = cell.parsed.line_offset
            for stmt in cell.parsed.tree.body:  # type: ignore[union-attr]
                target, value = _simple_assignment(stmt)
                if target is None or value is None or id(value) in seen:
                    continue
                if _PATHY_NAME.search(target) and not _ROUTEY_NAME.search(target):
                    seen.add(id(value))
                    finding = self._judge(cell, value, off, strict=False)
                    if finding is not None:
                        yield finding
        for s in nb.strings:
            if id(s.node) not in seen and _DRIVE_STRICT.match(s.value.strip()):
                finding = self._judge(s.cell, s.node, s.offset, strict=True)
                if finding is not None:
                    yield finding
        for cell in nb.code_cells:
            cm = cell.parsed.cell_magic
            if cm is not None and cm.name in {"writefile", "file"} and cm.args:
                target = cm.args.split()[-1]
                if _is_absolute(target, strict=False) and not _HOME.search(target):
                    yield self.at(
                        cell,
                        f"`%%{cm.name}` writes to the absolute path `{_short(target)}`",
                        line=cm.line,
                        column=cm.column,
                    )

    def _judge(self, cell: Cell, const: ast.Constant, offset: int, *, strict: bool) -> Finding | None:
        value = const.value.strip()
        if not _is_absolute(value, strict=strict) or _HOME.search(value):
            return None
        line = const.lineno + offset
        col, end = _source_span(cell, line, value, const, offset)
        return self.at(
            cell,
            f"absolute path `{_short(value)}` exists only on machines laid out like this one",
            line=line,
            column=col,
            end_line=line if end is not None else None,
            end_column=end,
        )


def _is_absolute(value: str, *, strict: bool) -> bool:
    if strict:
        return bool(_DRIVE_STRICT.match(value))
    return bool(_ABS_POSIX.match(value) or _DRIVE_LOOSE.match(value) or _UNC.match(value))


def _simple_assignment(stmt: ast.stmt) -> tuple[str | None, ast.Constant | None]:
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


def _project_root(directory: Path) -> Path | None:
    """The nearest folder, from ``directory`` up, with a ``.git`` or a ``pyproject.toml``."""
    for folder in (directory, *directory.parents):
        try:
            if (folder / ".git").exists() or (folder / "pyproject.toml").is_file():
                return folder
        except OSError:
            return None
    return None


def _levels_up(path: str) -> int:
    """How many folders above its start a relative path climbs (`../../a` -> 2)."""
    norm = posixpath.normpath(path.replace("\\", "/"))
    n = 0
    for part in norm.split("/"):
        if part != "..":
            break
        n += 1
    return n


@register
class PathOutsideProject(Rule):
    """## What it does
    Finds relative paths that climb out of the project with `..`: the project is the
    nearest folder, from the notebook's folder up, that holds `.git` or `pyproject.toml`
    (nothing is reported when there is none). Strings such as `"../../data/x.csv"` and
    `os.path.join("..", "..", "data")` are checked, wherever they appear (file calls,
    `sys.path.append`, `%run`, `%cd`).

    ## Why is this bad?
    A file outside the repository is not in a clone of it: CI, a colleague and the
    service build do not have it. The notebook only works in the author's folder layout.

    ## Example
    ```python
    # notebooks/train.ipynb, in a repository whose root is the parent folder
    df = pd.read_csv("../../shared-data/iris.csv")
    ```

    ## Use instead
    ```python
    df = pd.read_csv("../data/iris.csv")     # data/ inside the repository
    ```

    ## Fix
    Move or link the data into the project (or fetch it from a pinned URL), or make the
    location a `parameters` value.
    """

    code = "NB506"
    name = "path-outside-project"
    severity = Severity.WARNING
    summary = "A relative path leads outside the project"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        if nb.path is None:
            return
        candidates = [s for s in nb.strings if ".." in s.value]
        if not candidates:
            return
        try:
            here = nb.path.absolute().parent
        except OSError:
            return
        root = _project_root(here)
        if root is None:
            return
        try:
            depth = len(here.relative_to(root).parts)
        except ValueError:
            return
        done: set[int] = set()
        for call in nb.calls:
            if call.qualname not in _PATH_JOINERS or len(call.node.args) < 2:
                continue
            parts: list[ast.Constant] = []
            for arg in call.node.args:
                if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                    break
                parts.append(arg)
            if len(parts) < 2:
                continue
            done.update(id(p) for p in parts)
            joined = "/".join(p.value for p in parts)
            if _levels_up(joined) > depth:
                yield self._report(
                    call.cell, parts[0], call.offset, joined, _levels_up(joined) - depth, root, where=parts[0].value
                )
        for s in candidates:
            if id(s.node) in done:
                continue
            for token in _TOKEN.findall(s.value):
                if ".." not in _SEP.split(token) or "://" in token or _is_absolute(token, strict=False):
                    continue
                up = _levels_up(token)
                if up > depth:
                    yield self._report(s.cell, s.node, s.offset, token, up - depth, root)
                    break

    def _report(
        self, cell: Cell, node: ast.Constant, offset: int, token: str, above: int, root: Path, *, where: str = ""
    ) -> Finding:
        """``where``: the text to point at when it is not ``token`` (the first string of
        an `os.path.join(...)`, whose joined path is not written anywhere)."""
        line = node.lineno + offset
        col, end = _source_span(cell, line, where or token, node, offset)
        folders = "folder" if above == 1 else "folders"
        return self.at(
            cell,
            f"`{_short(token)}` leads {above} {folders} above the project root `{root.name or root}`: "
            "a clone of the project does not have it",
            line=line,
            column=col,
            end_line=line if end is not None else None,
            end_column=end,
        )


# -- directory changes, shell commands, magics -------------------------------------------

_CHDIR_MAGICS = frozenset({"cd", "pushd", "popd"})
_CHDIR_CALLS = frozenset({"os.chdir", "os.fchdir"})
# Package managers belong to NB2xx (environment), not here.
_PACKAGE_MAGICS = frozenset({"pip", "conda", "mamba", "micromamba", "uv"})
_PACKAGE_COMMAND = re.compile(
    r"""^\s*(?:sudo\s+)?(?:(?:\{[^}]*\}|\S*python[\d.]*|py)\s+-m\s+)?
        (?:pip[\d.]*|conda|mamba|micromamba|uv(?:\s+pip)?)(?:\s|$)""",
    re.X,
)
# Line magics that run a shell (`%system`, `%sx`) and IPython's default shell aliases.
_SHELL_LINE_MAGICS = frozenset(
    {"system", "sx", "sc", "ls", "ll", "lf", "lk", "ldir", "lx", "cat", "cp", "mv", "rm",
     "rmdir", "mkdir", "less", "more", "man"}
)
# Cell magics that hand the cell to another program (IPython's %%script family).
_SHELL_CELL_MAGICS = frozenset(
    {"bash", "sh", "zsh", "script", "system", "!", "sx", "perl", "ruby", "python", "python2",
     "python3", "pypy", "cmd", "powershell", "pwsh"}
)
# Magics that only display, time, profile or configure the session: dropping them does not
# change what the notebook computes.
_HARMLESS_LINE_MAGICS = frozenset(
    {"matplotlib", "config", "load_ext", "reload_ext", "unload_ext", "autoreload", "aimport",
     "time", "timeit", "prun", "lprun", "memit", "mprun", "precision", "pprint", "xmode", "pdb",
     "debug", "tb", "who", "whos", "who_ls", "lsmagic", "magic", "quickref", "pdef", "pdoc",
     "psource", "pfile", "pinfo", "pinfo2", "psearch", "colors", "automagic", "autocall",
     "autoawait", "autosave", "doctest_mode", "ipytest", "watermark", "reset", "reset_selective",
     "pwd", "dirs", "dhist", "page", "history", "tensorboard", "gui", "clear", "connect_info",
     "qtconsole", "killbgscripts", "code_wrap", "alias_magic"}
)
_HARMLESS_CELL_MAGICS = PYTHON_BODY_CELL_MAGICS | frozenset(
    {"html", "HTML", "javascript", "js", "latex", "markdown", "svg"}
)
# Magics known to change state a service cannot reproduce, with the reason.
_NON_PORTABLE: dict[str, str] = {
    "run": "runs another script or notebook, which the service will not have",
    "load": "pastes code from a file or URL into the cell",
    "loadpy": "pastes code from a file or URL into the cell",
    "store": "passes variables between notebooks through IPython's private database",
    "env": "sets environment variables only inside this kernel",
    "set_env": "sets environment variables only inside this kernel",
    "writefile": "writes a file as a side effect of running the cell",
    "file": "writes a file as a side effect of running the cell",
    "bookmark": "names a folder of this machine",
    "macro": "replays IPython input history",
    "recall": "replays IPython input history",
    "rerun": "replays IPython input history",
    "rep": "replays IPython input history",
    "save": "writes cells to a file",
    "notebook": "writes the session to a file",
    "alias": "defines a shell alias",
    "unalias": "removes a shell alias",
    "rehashx": "turns the machine's executables into shell aliases",
    "logstart": "logs the session to a file",
}
_UNKNOWN_MAGIC = "is not an IPython built-in: it needs an extension the service will not load"


def _acts(m: Magic) -> bool:
    """False for the listing forms: `%env`, `%env NAME`, `%store`, `%alias`, `%bookmark -l`."""
    args = m.args.split()
    if m.name in ("env", "set_env"):
        return "=" in m.args or len(args) >= 2
    if m.name in ("store", "alias"):
        return bool(args)
    if m.name == "bookmark":
        return bool(args) and args[0] != "-l"
    return True


def _magic_text(m: Magic) -> str:
    if m.kind in ("shell", "shell_capture"):
        return f"!{m.args}"
    prefix = "%%" if m.kind == "cell" else "%"
    return f"{prefix}{m.name} {m.args}".rstrip()


def _explicit_ipython_call(call: CallFact) -> Magic | None:
    """`get_ipython().system("ls")` written out in valid Python, as a Magic."""
    func = call.node.func
    if not (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Call)
        and dotted_name(func.value.func) == "get_ipython"
    ):
        return None
    args = call.node.args

    def const(i: int) -> str:
        arg = args[i] if len(args) > i else None
        return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else ""

    line, col = call.node.lineno + call.offset, call.node.col_offset + 1
    if func.attr == "run_line_magic":
        return Magic("line", const(0), const(1), line, col)
    if func.attr == "run_cell_magic":
        return Magic("cell", const(0), const(1), line, col)
    if func.attr == "system":
        return Magic("shell", "!", const(0), line, col)
    if func.attr == "getoutput":
        return Magic("shell_capture", "!", const(0), line, col)
    return None


def _all_magics(nb: Analysis) -> Iterator[tuple[Cell, Magic]]:
    """Every magic and shell escape in notebook order, including explicit
    ``get_ipython().…`` calls in cells that are plain Python."""
    seen: set[tuple[int, int, int]] = set()
    explicit: dict[int, list[Magic]] = {}
    for call in nb.calls:
        if call.local_name is None:
            m = _explicit_ipython_call(call)
            if m is not None:
                explicit.setdefault(call.cell.index, []).append(m)
    for cell in nb.code_cells:
        for m in cell.parsed.magics:
            seen.add((cell.index, m.line, m.column))
            yield cell, m
        for m in explicit.get(cell.index, ()):
            if (cell.index, m.line, m.column) not in seen:
                yield cell, m


def _is_package_command(m: Magic) -> bool:
    if m.kind in ("line", "cell") and m.name in _PACKAGE_MAGICS:
        return True
    return bool(_PACKAGE_COMMAND.match(m.args)) and (
        m.kind in ("shell", "shell_capture") or m.name in _SHELL_LINE_MAGICS
    )


def _allowed(nb: Analysis) -> frozenset[str]:
    raw = nb.option("allowed-magics", [])
    if not isinstance(raw, (list, tuple)):
        return frozenset()
    return frozenset(a.strip().lstrip("%") for a in raw if isinstance(a, str) and a.strip())


@register
class ChangeDirectory(Rule):
    """## What it does
    Finds changes of the working directory: `%cd`, `%pushd`, `%popd` and `os.chdir(...)`.
    Reported in every cell, `skip` cells too: a directory change in a skipped cell makes
    the relative paths below it mean something else interactively than at build time.

    ## Why is this bad?
    Every relative path after the change depends on where the notebook was started and
    on which cells ran before; running a cell twice moves you twice. Papermill, CI and
    `nb2prod build` start in the notebook's folder and find different files.

    ## Example
    ```python
    %cd ../data
    df = pd.read_csv("iris.csv")
    ```

    ## Use instead
    ```python
    DATA_DIR = Path("../data")
    df = pd.read_csv(DATA_DIR / "iris.csv")
    ```

    ## Fix
    Remove the directory change and build paths from a base folder variable instead.
    """

    code = "NB503"
    name = "change-directory"
    severity = Severity.WARNING
    summary = "The working directory is changed (`%cd`, `os.chdir`)"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        found: list[Finding] = []
        for cell, m in _all_magics(nb):
            if m.kind == "line" and m.name in _CHDIR_MAGICS:
                found.append(
                    self.at(
                        cell,
                        f"`{_short(_magic_text(m))}` changes the working directory: "
                        "relative paths below depend on it",
                        line=m.line,
                        column=m.column,
                    )
                )
        for call in nb.calls:
            if call.qualname in _CHDIR_CALLS:
                found.append(
                    self.at(
                        call.cell,
                        f"`{call.local_name}()` changes the working directory: relative paths below depend on it",
                        line=call.node.lineno + call.offset,
                        column=call.node.col_offset + 1,
                    )
                )
        found.sort(key=Finding.sort_key)
        yield from found


@register
class ShellCommand(Rule):
    """## What it does
    Finds shell commands: `!cmd`, `x = !cmd`, `%system`, `%sx`, IPython's shell aliases
    (`%ls`, `%cp`, `%rm`...) and cells run by another program (`%%bash`, `%%sh`,
    `%%script`, `%%python3`, `%%perl`...). Package installs (`!pip install`,
    `!conda install`) are left to the NB2xx rules; cells tagged `skip` are not checked
    (they never run at build time); names listed in the `allowed-magics` option (for
    example `"bash"`, or `"!"` for every `!cmd`) are not reported.

    ## Why is this bad?
    A shell command runs only where that shell and those programs exist: `!ls`, `!wget`
    or `%%bash` fail on Windows, in a slim service container, and anywhere the tool is
    not installed. The service is Python code without IPython, where `!cmd` is a syntax
    error.

    ## Example
    ```python
    !mkdir -p output
    !wget -q https://example.org/iris.csv
    ```

    ## Use instead
    ```python
    Path("output").mkdir(exist_ok=True)
    urllib.request.urlretrieve("https://example.org/iris.csv", "iris.csv")
    ```

    ## Fix
    Do it in Python (`pathlib`, `shutil`, `urllib`, `subprocess.run([...])` for real
    external programs), or tag the cell `skip` if it is only for exploration.
    """

    code = "NB504"
    name = "shell-command"
    severity = Severity.WARNING
    summary = "A shell command (`!cmd`, `%%bash`) will not run in the service"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        allowed = _allowed(nb)
        for cell, m in _all_magics(nb):
            if "skip" in cell.nb2prod_tags or _is_package_command(m):
                continue
            if m.kind in ("shell", "shell_capture"):
                if "!" in allowed:
                    continue
                what = "shell command"
            elif m.kind == "line" and m.name in _SHELL_LINE_MAGICS:
                if m.name in allowed:
                    continue
                what = "shell command"
            elif m.kind == "cell" and m.name in _SHELL_CELL_MAGICS:
                if m.name in allowed:
                    continue
                what = "cell run by another program"
            else:
                continue
            yield self.at(
                cell,
                f"{what} `{_short(_magic_text(m))}` depends on this machine's shell and tools",
                line=m.line,
                column=m.column,
            )


@register
class NonPortableMagic(Rule):
    """## What it does
    Finds IPython magics whose effect a service cannot reproduce: `%run`, `%load`,
    `%store`, `%env NAME=value`, `%%writefile`, `%bookmark`, `%macro`, `%alias`..., and
    magics that IPython itself does not define (`%sql`, `%%R`: they need an extension and
    are not Python). Magics that only display, time, profile or configure the session
    (`%matplotlib`, `%config`, `%load_ext`, `%autoreload`, `%time`, `%timeit`,
    `%%capture`, `%precision`, `%%html`...) are not reported, nor are cells tagged `skip`
    or names listed in the `allowed-magics` option.

    ## Why is this bad?
    The exported service is plain Python; what the magic did is missing there, and the
    build cannot turn it into code. `%run helpers.py` needs a file the service does not
    have; `%env` settings vanish with the kernel; `%%writefile` hides a file write inside
    cell syntax.

    ## Example
    ```python
    %run ./helpers.py
    %env MODEL_DIR=/srv/models
    ```

    ## Use instead
    ```python
    from helpers import clean         # helpers.py in the project, imported
    os.environ["MODEL_DIR"] = "models"
    ```

    ## Fix
    Replace the magic by Python (imports, `os.environ`, `open(...).write`), tag the cell
    `skip` if it is only for exploration, or add the magic's name to `allowed-magics` in
    `[tool.nb2prod]` if your build handles it.
    """

    code = "NB505"
    name = "non-portable-magic"
    severity = Severity.WARNING
    summary = "An IPython magic has effects a service cannot reproduce"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        allowed = _allowed(nb)
        for cell, m in _all_magics(nb):
            if m.kind not in ("line", "cell") or not m.name or m.name in allowed:
                continue
            if "skip" in cell.nb2prod_tags or _is_package_command(m):
                continue
            if m.kind == "line" and (
                m.name in _HARMLESS_LINE_MAGICS or m.name in _CHDIR_MAGICS or m.name in _SHELL_LINE_MAGICS
            ):
                continue
            if m.kind == "cell" and (m.name in _HARMLESS_CELL_MAGICS or m.name in _SHELL_CELL_MAGICS):
                continue
            if not _acts(m):
                continue
            reason = _NON_PORTABLE.get(m.name, _UNKNOWN_MAGIC)
            yield self.at(
                cell,
                f"`{_short(_magic_text(m))}` {reason}",
                line=m.line,
                column=m.column,
            )
