"""``--format text``: ruff-like, for people.

    nb.ipynb:cell 3:2:5: NB101 [error] `np.random.rand` used with no seed set before it
      |
    2 | x = np.random.rand(3)
      |     ^^^^^^^^^^^^^^ NB101
      |

then a readiness line per notebook and a summary. After ``lint --execute`` each notebook
also gets a line with the verdict of its fresh run::

    nb.ipynb: executed: failed at cell 4 (NameError: name 'x' is not defined)
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from nb2prod.diagnostics import Finding, Severity
from nb2prod.formats.registry import FormatContext, display_path, register
from nb2prod.textsafe import one_line

if TYPE_CHECKING:
    from nb2prod.engine import NotebookResult, RunResult

_SEV_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}

# The styles used here as ANSI SGR parameters, as rich writes them for its "standard"
# colour system (this module used rich; its ~40 modules cost ~40 ms at every start).
_SGR = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34", "cyan": "36"}


def _sgr(style: str) -> str:
    words = style.split()
    attrs = [_SGR[w] for w in words if w in ("bold", "dim")]
    colours = [_SGR[w] for w in words if w not in ("bold", "dim")]
    return "\x1b[" + ";".join(attrs + colours) + "m"


class Text:
    """Styled text: spans of (text, style). The report's text has no tab and no control
    character (messages and paths go through ``one_line``), so a span renders as itself,
    inside an SGR sequence when colour is on (one per span and line, as rich does)."""

    def __init__(self, text: str = "", style: str = "") -> None:
        self.spans: list[tuple[str, str]] = []
        if text:
            self.spans.append((text, style))

    def append(self, text: str, style: str = "") -> Text:
        if text:
            self.spans.append((text, style))
        return self

    @classmethod
    def assemble(cls, *parts: str | tuple[str, str]) -> Text:
        t = cls()
        for part in parts:
            if isinstance(part, tuple):
                t.append(*part)
            else:
                t.append(part)
        return t

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.spans)

    def render(self, color: bool) -> str:
        if not color:
            return self.plain
        out: list[str] = []
        for text, style in self.spans:
            if not style:
                out.append(text)
                continue
            start = _sgr(style)
            out.append("\n".join(start + piece + "\x1b[0m" if piece else "" for piece in text.split("\n")))
        return "".join(out)


class _Console:
    def __init__(self, color: bool) -> None:
        self.color = color
        self.lines: list[str] = []

    def print(self, text: Text | None = None) -> None:
        self.lines.append(text.render(self.color) if text is not None else "")

    def getvalue(self) -> str:
        return "".join(line + "\n" for line in self.lines)


def location(path: str, f: Finding) -> str:
    """``nb.ipynb:cell 3:2:5`` (source), ``nb.ipynb:cell 3:output 1`` (an output)."""
    if f.cell is None:
        return f"{path}:{f.line}:{f.column}"
    if f.output is not None:
        return f"{path}:cell {f.cell}:output {f.output}"
    return f"{path}:cell {f.cell}:{f.line}:{f.column}"


def _frame(f: Finding) -> Text | None:
    if f.source_line is None:
        return None
    line = f.source_line.replace("\t", "    ")
    if len(line) > 200:
        line = line[:200] + "…"
    gutter = str(f.line)
    pad = " " * len(gutter)
    start = max(f.column - 1, 0)
    if f.end_line == f.line and f.end_column and f.end_column > f.column:
        width = f.end_column - f.column
    else:
        width = max(len(line.rstrip()) - start, 1)
    width = max(1, min(width, max(len(line) - start, 1)))
    if not (line.isascii() and line.isprintable()):
        # Control characters (an escape sequence would repaint the terminal) shown as
        # escapes; the carets still point at the same characters.
        head, marked, tail = line[:start], line[start : start + width], line[start + width :]
        head, marked, tail = one_line(head), one_line(marked), one_line(tail)
        line, start, width = head + marked + tail, len(head), max(1, len(marked))
    t = Text()
    t.append(f"{pad} |\n", style="blue")
    t.append(f"{gutter} | ", style="blue")
    t.append(line + "\n")
    t.append(f"{pad} | ", style="blue")
    t.append(" " * start + "^" * width, style=_SEV_STYLE[f.severity])
    t.append(f" {f.code}\n", style=_SEV_STYLE[f.severity])
    t.append(f"{pad} |", style="blue")
    return t


def _score_line(path: str, nb: NotebookResult) -> Text:
    t = Text()
    assert nb.score is not None
    t.append(f"{path}: ", style="bold")
    total = nb.score.total
    style = "green" if total >= 80 else "yellow" if total >= 50 else "red"
    t.append(f"readiness {total}/100", style=f"bold {style}")
    parts = [f"{fam.title} {fam.score:g}/{fam.weight}" for fam in nb.score.families if fam.score < fam.weight]
    if parts:
        t.append("  (" + ", ".join(parts) + ")", style="dim")
    return t


def execution_line(path: str, execution: dict) -> Text:
    """``nb.ipynb: executed: ran 5 cells in 3.2 s`` (``executed twice`` with --reproduce)."""
    verdict = execution.get("verdict")
    how = "executed twice" if execution.get("runs") == 2 else "executed"
    style = "dim" if verdict in ("ran", "skipped") else "yellow"
    return Text.assemble((f"{path}: ", "bold"), (f"{how}: {one_line(execution.get('summary') or verdict)}", style))


@register("text")
def render_text(run: RunResult, ctx: FormatContext) -> str:
    console = _Console(ctx.color)
    # Every line is one line: paths (a file name may hold a newline) and messages (which
    # quote the notebook) have their control characters shown as escapes.
    for nb in run.notebooks:
        path = one_line(display_path(nb.path, ctx.cwd))
        if nb.error:
            console.print(Text.assemble((f"{path}: ", "bold"), ("error: ", "bold red"), one_line(nb.error)))
            continue
        for f in nb.findings:
            head = Text()
            head.append(location(path, f), style="bold")
            head.append(": ")
            head.append(f.code, style=_SEV_STYLE[f.severity])
            head.append(f" [{f.severity.label}] ", style=_SEV_STYLE[f.severity])
            if f.fix is not None and (f.fix.safe or ctx.unsafe_fixes):
                head.append("[*] ", style="bold")  # as ruff: `--fix` repairs this one
            head.append(one_line(f.message))
            console.print(head)
            frame = _frame(f) if ctx.show_source else None
            if frame is not None:
                console.print(frame)
                console.print()
        for notice in nb.notices:
            console.print(Text(f"{path}: note: {one_line(notice)}", style="dim"))
        for err in nb.internal_errors:
            console.print(Text(f"{path}: internal error: {one_line(err)}", style="bold red"))
        if nb.execution is not None:
            console.print(execution_line(path, nb.execution))
    read = [nb for nb in run.notebooks if nb.score is not None]
    if run.findings or len(read) > 1:
        for nb in read:
            console.print(_score_line(one_line(display_path(nb.path, ctx.cwd)), nb))
    console.print(_summary(run, ctx))
    return console.getvalue()


def _summary(run: RunResult, ctx: FormatContext) -> Text:
    counts = Counter(f.severity for f in run.findings)
    unreadable = sum(1 for nb in run.notebooks if nb.error)
    n = len(run.notebooks)
    t = Text()
    if not run.notebooks:
        t.append("No notebooks found.", style="yellow")
        return t
    internal = sum(len(nb.internal_errors) for nb in run.notebooks)
    if unreadable == n:
        t.append(f"No notebook could be read ({n} file{'s' if n != 1 else ''}).", style="bold red")
        return t
    if ctx.fixed:
        total = ctx.fixed + len(run.findings)
        t.append(f"Found {total} finding{'s' if total != 1 else ''} ({ctx.fixed} fixed, {len(run.findings)} remaining)",
                 style="bold")
        t.append(f" in {n} notebook{'s' if n != 1 else ''}.")
    elif run.findings:
        parts = [f"{counts[s]} {s.label}{'s' if counts[s] != 1 and s is not Severity.INFO else ''}"
                 for s in (Severity.ERROR, Severity.WARNING, Severity.INFO) if counts[s]]
        t.append(f"Found {len(run.findings)} finding{'s' if len(run.findings) != 1 else ''} ({', '.join(parts)})",
                 style="bold")
        t.append(f" in {n} notebook{'s' if n != 1 else ''}.")
    elif unreadable or internal:
        t.append("No findings", style="bold")
        t.append(f" in {n - unreadable} of {n} file{'s' if n != 1 else ''}.")
    else:
        t.append("All checks passed!", style="bold green")
        t.append(f" ({n} notebook{'s' if n != 1 else ''})")
    if unreadable:
        t.append(f" {unreadable} file{'s' if unreadable != 1 else ''} could not be read.", style="bold red")
    if internal:
        t.append(f" {internal} rule{'s' if internal != 1 else ''} failed (a bug in nb2prod: please report it).",
                 style="bold red")
    if run.score is not None:
        t.append(f" Readiness {run.score}/100.", style="bold")
    failing = sum(len(nb.failing(ctx.fail_on)) for nb in run.notebooks)
    if failing and ctx.fail_on is not Severity.ERROR:
        t.append(f" {failing} at or above --fail-on {ctx.fail_on.label}.", style="dim")
    line = fixable_line(run, ctx.unsafe_fixes)
    if line:
        t.append("\n" + line, style="dim")
    return t


def fixable_line(run: RunResult, unsafe: bool) -> str:
    """``[*] 3 fixable with `--fix` (2 more with `--unsafe-fixes`).`` or ``""``."""
    safe = sum(1 for f in run.findings if f.fix is not None and (f.fix.safe or unsafe))
    hidden = 0 if unsafe else sum(1 for f in run.findings if f.fix is not None and not f.fix.safe)
    if not safe and not hidden:
        return ""
    flag = "`--fix --unsafe-fixes`" if unsafe else "`--fix`"
    if safe and hidden:
        return f"[*] {safe} fixable with {flag} ({hidden} more with `--fix --unsafe-fixes`)."
    if safe:
        return f"[*] {safe} fixable with {flag}."
    return f"[*] {hidden} fixable with `--fix --unsafe-fixes`."
