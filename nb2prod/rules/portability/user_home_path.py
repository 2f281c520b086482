"""NB501: a path points into a user's home folder."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import ClassVar

from nb2prod._ast import walk as walk_nodes
from nb2prod.analysis import Analysis, CallFact
from nb2prod.diagnostics import Finding, Severity
from nb2prod.fixes.model import Applicability
from nb2prod.rules._base import Rule, register
from nb2prod.rules.portability.paths import HOME, home_kind, relative_path_fix, shorten, source_span


@register
class UserHomePath(Rule):
    """## What it does
    Finds string literals that point into a user's home folder: `/Users/jake/...`,
    `/home/jake/...`, `/root/...`, `C:\\Users\\jake\\...`, `~/...`, or a Colab Google
    Drive (`/content/drive/MyDrive/...`). Every code cell is checked, `skip` cells too.
    Paths built on the home folder count as well: `Path.home() / "data"`,
    `os.path.join(os.path.expanduser("~"), "data")`, `Path.home().joinpath("data")`,
    `f"{Path.home()}/data"`; not the dot-folders tools keep there
    (`Path.home() / ".cache"`, `~/.kaggle` for `Path.home()`), which every machine that
    runs the tool has.

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

    The automatic fix (unsafe: it assumes the notebook runs in its own folder, as
    Jupyter runs it) applies when the home folder path is inside the project, the
    notebook's folder or the project root above it (the nearest folder with `.git` or
    `pyproject.toml`): `"/home/jake/proj/data/iris.csv"` in
    `/home/jake/proj/notebooks/nb.ipynb` becomes `"../data/iris.csv"`, in the same
    quotes. No fix for paths outside the project (the file has to be moved first), `~`
    paths, `Path.home() / ...`, Windows paths, a path that is only part of its string,
    cell magics, lines that IPython syntax changes, or anywhere in a notebook that
    changes its working directory.
    """

    code = "NB501"
    name = "user-home-path"
    severity = Severity.WARNING
    summary = "A path points into a user's home folder"
    fix: ClassVar[Applicability | None] = Applicability.UNSAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for s in nb.strings:
            m = HOME.search(s.value)
            if m is None:
                continue
            path = m.group("path")
            line = s.node.lineno + s.offset
            col, end = source_span(s.cell, line, path, s.node, s.offset)
            what = home_kind(path)
            yield self.at(
                s.cell,
                f"`{shorten(path)}` {what}: it exists only on the author's machine",
                line=line,
                column=col,
                end_line=line if end is not None else None,
                end_column=end,
                fix=relative_path_fix(nb, s.cell, s.node, s.offset) if path == s.value else None,
            )
        yield from self._home_calls(nb)
        for cell in nb.code_cells:
            cm = cell.parsed.cell_magic
            if cm is not None and cm.args and (m := HOME.search(cm.args)):
                yield self.at(
                    cell,
                    f"`{shorten(m.group('path'))}` in `%%{cm.name}` {home_kind(m.group('path'))}",
                    line=cm.line,
                    column=cm.column,
                )

    def _home_calls(self, nb: Analysis) -> Iterator[Finding]:
        """`Path.home() / "data"` and the like: a path in the user's home folder."""
        homes = [c for c in nb.calls if _is_home(c)]
        if not homes:
            return
        parents: dict[int, ast.AST] = {}
        for cell in {c.cell.index: c.cell for c in homes}.values():
            for node in walk_nodes(cell.parsed.tree):  # type: ignore[arg-type]
                for child in ast.iter_child_nodes(node):
                    parents[id(child)] = node
        for call in homes:
            rest = _next_part(call.node, parents)
            if rest is None or rest.startswith("."):
                continue
            shown = f"{call.local_name or 'Path.home'}()"
            yield self.at(
                call.cell,
                f"`{shorten(shown + ' / ' + repr(rest))}` is in the user's home folder, which differs "
                "on every machine and is not in the project: it exists only on the author's machine",
                node=call.node,
                offset=call.offset,
            )


def _is_home(call: CallFact) -> bool:
    q = call.qualname
    if q in ("pathlib.Path.home", "pathlib.PosixPath.home", "pathlib.WindowsPath.home"):
        return True
    if q == "os.path.expanduser" and call.node.args:
        arg = call.node.args[0]
        return isinstance(arg, ast.Constant) and arg.value in ("~", "~/")
    return False


def _next_part(node: ast.AST, parents: dict[int, ast.AST]) -> str | None:
    """The literal path part joined to the home folder, if it is joined to one."""
    child: ast.AST = node
    for _ in range(4):
        parent = parents.get(id(child))
        if parent is None:
            return None
        if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id == "str":
            child = parent
            continue
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Div, ast.Add)) and parent.left is child:
            right = parent.right
            if isinstance(right, ast.Constant) and isinstance(right.value, str):
                return right.value.lstrip("/\\") or None
            if isinstance(right, ast.JoinedStr) and right.values and isinstance(right.values[0], ast.Constant):
                return str(right.values[0].value).lstrip("/\\") or None
            return None
        if isinstance(parent, ast.Attribute) and parent.attr == "joinpath":
            call = parents.get(id(parent))
            if isinstance(call, ast.Call) and call.args:
                first = call.args[0]
                return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
            return None
        if isinstance(parent, ast.Call) and parent.args and parent.args[0] is child and len(parent.args) > 1:
            name = parent.func.attr if isinstance(parent.func, ast.Attribute) else getattr(parent.func, "id", "")
            if name == "join":
                second = parent.args[1]
                return second.value if isinstance(second, ast.Constant) and isinstance(second.value, str) else None
            return None
        if isinstance(parent, ast.FormattedValue):
            joined = parents.get(id(parent))
            if isinstance(joined, ast.JoinedStr):
                values = joined.values
                i = next((k for k, v in enumerate(values) if v is parent), -1)
                if 0 <= i + 1 < len(values) and isinstance(values[i + 1], ast.Constant):
                    return str(values[i + 1].value).lstrip("/\\") or None  # type: ignore[attr-defined]
            return None
        return None
    return None
