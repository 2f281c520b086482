"""NB503: the working directory is changed (`%cd`, `os.chdir`)."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.rules._base import Rule, register
from nb2prod.rules.portability.magics import CHDIR_CALLS, CHDIR_MAGICS, all_magics, magic_text
from nb2prod.rules.portability.paths import shorten


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
        for cell, m in all_magics(nb):
            if m.kind == "line" and m.name in CHDIR_MAGICS:
                found.append(
                    self.at(
                        cell,
                        f"`{shorten(magic_text(m))}` changes the working directory: "
                        "relative paths below depend on it",
                        line=m.line,
                        column=m.column,
                    )
                )
        for call in nb.calls:
            if call.qualname in CHDIR_CALLS:
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
