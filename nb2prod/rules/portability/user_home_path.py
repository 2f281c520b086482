"""NB501: a path points into a user's home folder."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.rules._base import Rule, register
from nb2prod.rules.portability.paths import HOME, home_kind, shorten, source_span


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
            )
        for cell in nb.code_cells:
            cm = cell.parsed.cell_magic
            if cm is not None and cm.args and (m := HOME.search(cm.args)):
                yield self.at(
                    cell,
                    f"`{shorten(m.group('path'))}` in `%%{cm.name}` {home_kind(m.group('path'))}",
                    line=cm.line,
                    column=cm.column,
                )
