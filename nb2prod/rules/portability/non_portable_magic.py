"""NB505: an IPython magic has effects a service cannot reproduce."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.rules._base import Rule, register
from nb2prod.rules.portability.magics import (
    CHDIR_MAGICS,
    HARMLESS_CELL_MAGICS,
    HARMLESS_LINE_MAGICS,
    NON_PORTABLE,
    SHELL_CELL_MAGICS,
    SHELL_LINE_MAGICS,
    UNKNOWN_MAGIC,
    acts,
    all_magics,
    allowed_magics,
    is_package_command,
    magic_text,
)
from nb2prod.rules.portability.paths import shorten


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
        allowed = allowed_magics(nb)
        for cell, m in all_magics(nb):
            if m.kind not in ("line", "cell") or not m.name or m.name in allowed:
                continue
            if "skip" in cell.nb2prod_tags or is_package_command(m):
                continue
            if m.kind == "line" and (
                m.name in HARMLESS_LINE_MAGICS or m.name in CHDIR_MAGICS or m.name in SHELL_LINE_MAGICS
            ):
                continue
            if m.kind == "cell" and (m.name in HARMLESS_CELL_MAGICS or m.name in SHELL_CELL_MAGICS):
                continue
            if not acts(m):
                continue
            reason = NON_PORTABLE.get(m.name, UNKNOWN_MAGIC)
            yield self.at(
                cell,
                f"`{shorten(magic_text(m))}` {reason}",
                line=m.line,
                column=m.column,
            )
