"""NB504: a shell command (`!cmd`, `%%bash`) will not run in the service."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.rules._base import Rule, register
from nb2prod.rules.portability.magics import (
    SHELL_CELL_MAGICS,
    SHELL_LINE_MAGICS,
    all_magics,
    allowed_magics,
    is_inspection_command,
    is_package_command,
    magic_text,
)
from nb2prod.rules.portability.paths import shorten


@register
class ShellCommand(Rule):
    """## What it does
    Finds shell commands: `!cmd`, `x = !cmd`, `%system`, `%sx`, IPython's shell aliases
    (`%ls`, `%cp`, `%rm`...) and cells run by another program (`%%bash`, `%%sh`,
    `%%script`, `%%python3`, `%%perl`...). Package installs (`!pip install`,
    `!conda install`) are left to the NB2xx rules. Commands that only show something
    (`!ls -lh`, `!nvidia-smi`, `!head data.csv`, `!git log -1`, `!cat /proc/cpuinfo`),
    with their output not captured into a variable and nothing written (`>`), are not
    reported: nothing later depends on them, and a failing `!cmd` does not stop the run.
    Cells tagged `skip` are not checked
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
        allowed = allowed_magics(nb)
        for cell, m in all_magics(nb):
            if "skip" in cell.nb2prod_tags or is_package_command(m) or is_inspection_command(m):
                continue
            if m.kind in ("shell", "shell_capture"):
                if "!" in allowed:
                    continue
                what = "shell command"
            elif m.kind == "line" and m.name in SHELL_LINE_MAGICS:
                if m.name in allowed:
                    continue
                what = "shell command"
            elif m.kind == "cell" and m.name in SHELL_CELL_MAGICS:
                if m.name in allowed:
                    continue
                what = "cell run by another program"
            else:
                continue
            yield self.at(
                cell,
                f"{what} `{shorten(magic_text(m))}` depends on this machine's shell and tools",
                line=m.line,
                column=m.column,
            )
