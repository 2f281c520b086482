"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

Lines are lines of the ``.ipynb`` file (where the cell's source sits), so the
annotation shows in the pull request's diff; the message names the cell and line.
"""

from __future__ import annotations

from nb2prod.diagnostics import Severity
from nb2prod.engine import RunResult
from nb2prod.formats.registry import FormatContext, display_path, register, where
from nb2prod.textsafe import one_line

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


# GitHub's own escaping of workflow commands (actions/toolkit, packages/core/src/command.ts):
# data: % CR LF; properties: also : and , . The runner decodes them, so a file name with a
# newline still names its file. Other control characters are not decoded by the runner;
# they are shown as escapes (one_line), so no line of the log can start a command or
# repaint a terminal.
def escape_data(value: str) -> str:
    """A workflow command's message, escaped."""
    return one_line(value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(value: str) -> str:
    """A workflow command's property (file, title), escaped."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


@register("github")
def render_github(run: RunResult, ctx: FormatContext) -> str:
    lines = []
    for nb in run.notebooks:
        path = display_path(nb.path, ctx.cwd)
        if nb.error:
            lines.append(f"::error file={escape_property(path)},title=nb2prod::{escape_data(nb.error)}")
            continue
        for err in nb.internal_errors:
            lines.append(f"::error file={escape_property(path)},title=nb2prod internal error::{escape_data(err)}")
        for f in nb.findings:
            title = escape_property(f"{f.code} {f.name}".strip())
            lines.append(
                f"::{_LEVEL[f.severity]} file={escape_property(path)},line={nb.file_line(f)},title={title}"
                f"::{escape_data(f'{f.message} ({where(f)})')}"
            )
    score = run.score
    if score is not None:
        lines.append(f"nb2prod: readiness {score}/100 over {len(run.notebooks)} notebook(s), "
                     f"{len(run.findings)} finding(s)")
    return "\n".join(lines) + ("\n" if lines else "")
