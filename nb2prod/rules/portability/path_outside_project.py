"""NB506: a relative path leads outside the project."""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Iterator
from pathlib import Path

from nb2prod import _lazyre
from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.notebook import Cell
from nb2prod.rules._base import Rule, register
from nb2prod.rules.portability.paths import (
    PATH_JOINERS,
    SEP,
    TOKEN,
    is_absolute,
    levels_up,
    project_root,
    shorten,
    source_span,
)

# `cd DIR &&` / `cd DIR;` earlier in the same shell command line: later relative paths
# start from DIR.
_CD = _lazyre.compile(r"(?:^|[;&|(]\s*|\s)(?:cd|pushd)\s+(['\"]?)([^\s;&|'\"]+)\1\s*(?:&&|;|\|\|)")


def _cd_base(before: str) -> str | None:
    """Where a relative path of a shell command starts, relative to the notebook's
    folder, after the `cd`s that come before it in the same command line ("" when there
    is none); None when a `cd` goes somewhere the linter cannot know (an absolute,
    home or computed folder)."""
    base = ""
    for m in _CD.finditer(before):
        target = m.group(2).replace("\\", "/")
        if target.startswith(("/", "~", "-")) or "$" in target or "{" in target or is_absolute(target, strict=False):
            return None
        base = posixpath.normpath(posixpath.join(base, target)) if base else posixpath.normpath(target)
    return "" if base == "." else base


@register
class PathOutsideProject(Rule):
    """## What it does
    Finds relative paths that climb out of the project with `..`: the project is the
    nearest folder, from the notebook's folder up, that holds `.git` or `pyproject.toml`
    (nothing is reported when there is none). Strings such as `"../../data/x.csv"` and
    `os.path.join("..", "..", "data")` are checked, wherever they appear (file calls,
    `sys.path.append`, `%run`, `%cd`). In a shell command, a path after `cd DIR &&` (or
    `cd DIR;`) is taken from DIR: `!cd demos/app && zip -r ../app.zip .` stays inside.

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
        root = project_root(here)
        if root is None:
            return
        try:
            depth = len(here.relative_to(root).parts)
        except ValueError:
            return
        done: set[int] = set()
        for call in nb.calls:
            if call.qualname not in PATH_JOINERS or len(call.node.args) < 2:
                continue
            parts: list[ast.Constant] = []
            texts: list[str] = []
            for arg in call.node.args:
                if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                    break
                parts.append(arg)
                texts.append(arg.value)
            if len(parts) < 2:
                continue
            done.update(id(p) for p in parts)
            joined = "/".join(texts)
            if levels_up(joined) > depth:
                yield self._report(
                    call.cell, parts[0], call.offset, joined, levels_up(joined) - depth, root, where=texts[0]
                )
        for s in candidates:
            if id(s.node) in done:
                continue
            for m in TOKEN.finditer(s.value):
                token = m.group()
                if ".." not in SEP.split(token) or "://" in token or is_absolute(token, strict=False):
                    continue
                base = _cd_base(s.value[: m.start()])
                if base is None:
                    continue  # after a `cd` to a folder the linter cannot know
                up = levels_up(posixpath.join(base, token) if base else token)
                if up > depth:
                    yield self._report(s.cell, s.node, s.offset, token, up - depth, root)
                    break

    def _report(
        self, cell: Cell, node: ast.Constant, offset: int, token: str, above: int, root: Path, *, where: str = ""
    ) -> Finding:
        """``where``: the text to point at when it is not ``token`` (the first string of
        an `os.path.join(...)`, whose joined path is not written anywhere)."""
        line = node.lineno + offset
        col, end = source_span(cell, line, where or token, node, offset)
        folders = "folder" if above == 1 else "folders"
        return self.at(
            cell,
            f"`{shorten(token)}` leads {above} {folders} above the project root `{root.name or root}`: "
            "a clone of the project does not have it",
            line=line,
            column=col,
            end_line=line if end is not None else None,
            end_column=end,
        )
