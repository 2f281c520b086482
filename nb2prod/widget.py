"""The readiness score and findings of a notebook as an ipywidgets widget.

    import nb2prod.widget
    nb2prod.widget.readiness()                  # the notebook this kernel runs, where it can be found
    nb2prod.widget.readiness("analysis.ipynb")  # or any notebook

Shows the same score and findings as ``nb2prod lint`` and the JupyterLab panel (one
engine, :func:`nb2prod.engine.lint_file`), in any front end that renders widgets
(JupyterLab, Notebook 7, VS Code, Colab). The file is read as saved: "Re-lint" reads it
again. Everything that comes from the notebook is HTML-escaped. Where widgets are not
rendered (a terminal, a static viewer), the output falls back to text and static HTML.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any

try:
    import ipywidgets as widgets
except ImportError:  # the plain install: say which extra, in one line
    from nb2prod.extras import require

    require("lab", "nb2prod.widget", ("ipywidgets",))
    raise

from nb2prod.diagnostics import Finding
from nb2prod.engine import NotebookResult, lint_file
from nb2prod.fixes.run import FixOutcome, fix_file

__all__ = ["ReadinessWidget", "current_notebook", "readiness"]

SEVERITIES = ("error", "warning", "info")
_COLOURS = {"error": "#c62828", "warning": "#b35c00", "info": "#1565c0"}
_TITLES = {"error": "Errors", "warning": "Warnings", "info": "Info"}
_CELL = "padding:2px 10px 2px 0;vertical-align:top;white-space:nowrap"
_ASK = "pass the notebook's path: nb2prod.widget.readiness('analysis.ipynb')"


def current_notebook() -> Path:
    """The notebook this kernel runs, where the front end says so.

    VS Code puts ``__vsc_ipynb_file__`` into the user namespace; jupyter_server (under
    JupyterLab and Notebook 7) starts kernels with ``JPY_SESSION_NAME``. Elsewhere
    (Colab, a plain IPython shell) there is no way to know: ValueError.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        vsc = shell.user_ns.get("__vsc_ipynb_file__")
        if isinstance(vsc, str) and vsc:
            path = Path(vsc)
            if path.is_file():
                return path
            raise ValueError(f"VS Code names {vsc} as this notebook, but there is no such file: {_ASK}")
    session = os.environ.get("JPY_SESSION_NAME", "")
    if session:
        if not session.endswith(".ipynb"):
            raise ValueError(f"this kernel belongs to {session!r}, which is not a notebook: {_ASK}")
        given = Path(session)
        # jupyter_server gives the absolute path; a bare session path is relative to the
        # server root, and the kernel runs in the notebook's folder.
        candidates = [given] if given.is_absolute() else [Path.cwd() / given, Path.cwd() / given.name]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        raise ValueError(f"this kernel's notebook {session} is not there any more (renamed?): {_ASK}")
    raise ValueError(f"cannot tell which notebook this kernel runs: {_ASK}")


def readiness(path: str | os.PathLike[str] | None = None) -> ReadinessWidget:
    """The readiness widget for the notebook at ``path`` (default: this kernel's notebook)."""
    if path is None:
        notebook = current_notebook()
    else:
        notebook = Path(path)
        if not notebook.is_file():
            raise FileNotFoundError(f"{notebook}: no such notebook")
    return ReadinessWidget(notebook)


def _where(f: Finding) -> str:
    if f.cell is None:
        return "notebook"
    if f.output is not None:
        return f"cell {f.cell}, output {f.output}"
    return f"cell {f.cell}:{f.line}:{f.column}"


def _bar_style(ratio: float) -> str:
    return "success" if ratio >= 0.8 else "warning" if ratio >= 0.5 else "danger"


def _counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        counts[f.severity.label] += 1
    return counts


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 or word == 'info' else 's'}"


def _finding_rows(findings: list[Finding]) -> str:
    """An HTML table of findings; every value escaped."""
    rows = []
    for f in findings:
        colour = _COLOURS[f.severity.label]
        source = ""
        if f.source_line is not None and f.source_line.strip():
            source = (f'<div style="color:#555;font-family:monospace;white-space:pre-wrap">'
                      f"{escape(f.source_line.rstrip())}</div>")
        rows.append(
            "<tr>"
            f'<td style="{_CELL}"><b style="color:{colour}">{escape(f.code)}</b></td>'
            f'<td style="{_CELL}"><code>{escape(f.name)}</code></td>'
            f'<td style="{_CELL}">{escape(_where(f))}</td>'
            f'<td style="padding:2px 0;vertical-align:top">{escape(f.message)}{source}</td>'
            "</tr>"
        )
    return '<table style="border-collapse:collapse;text-align:left;line-height:1.45">' + "".join(rows) + "</table>"


def _group_heading(severity: str, n: int) -> str:
    return f'<div style="margin-top:6px;font-weight:bold;color:{_COLOURS[severity]}">{_TITLES[severity]} ({n})</div>'


class ReadinessWidget(widgets.VBox):
    """Score with a bar, per-family scores, findings grouped by severity, a Re-lint button.

    ``result`` is the last :class:`~nb2prod.engine.NotebookResult`; :meth:`relint` reads
    the file again (the button calls it).
    """

    def __init__(self, path: str | os.PathLike[str], **kwargs: Any) -> None:
        self.path = Path(path)
        self.result: NotebookResult | None = None
        self.linted_at: _dt.datetime | None = None
        self.heading = widgets.HTML()
        self.bar = widgets.IntProgress(value=0, min=0, max=100, layout=widgets.Layout(width="240px"))
        self.button = widgets.Button(description="Re-lint", icon="refresh",
                                     tooltip="Lint the saved notebook again (save it first)")
        self.button.on_click(lambda _button: self.relint())
        self.fix_button = widgets.Button(description="Fix safe…", icon="wrench",
                                         tooltip="Show what the safe fixes change in the saved notebook")
        self.fix_button.on_click(lambda _button: self.preview_fixes())
        # The preview: the diff, then "Write the fixes" or "Cancel".
        self.fix_diff = widgets.HTML()
        self.apply_button = widgets.Button(description="Write the fixes", button_style="warning", icon="check",
                                           tooltip="Write the fixed notebook (and dependency files) to disk")
        self.apply_button.on_click(lambda _button: self.apply_fixes())
        self.cancel_button = widgets.Button(description="Cancel")
        self.cancel_button.on_click(lambda _button: self._close_preview())
        self.fix_box = widgets.VBox(layout=widgets.Layout(display="none"))
        self.pending: FixOutcome | None = None
        self.families = widgets.VBox()
        self.findings = widgets.VBox()
        self.status = widgets.HTML()
        top = widgets.HBox([self.heading, self.bar, self.button, self.fix_button],
                           layout=widgets.Layout(align_items="center", grid_gap="12px"))
        self.fix_box.children = (self.fix_diff, widgets.HBox([self.apply_button, self.cancel_button]))
        super().__init__(children=[top, self.fix_box, self.families, self.findings, self.status], **kwargs)
        self.relint()

    # -- behaviour ------------------------------------------------------------------------

    def relint(self) -> NotebookResult:
        """Lint the file as it is now on disk and show the new result."""
        self.button.disabled, self.button.description = True, "Linting…"
        try:
            try:
                result = lint_file(self.path)
            except Exception as exc:  # a bug of ours must show up in the widget, not vanish in a log
                result = NotebookResult(path=str(self.path), error=f"internal error: {type(exc).__name__}: {exc}")
            self.result = result
            self.linted_at = _dt.datetime.now()
            self._show(result)
        finally:
            self.button.disabled, self.button.description = False, "Re-lint"
        return result

    def preview_fixes(self) -> FixOutcome:
        """Compute the safe fixes of the saved file without writing anything, and show their diff."""
        from nb2prod.fixes.diff import file_diff, notebook_diff

        self.fix_button.disabled = True
        try:
            outcome = fix_file(self.path, write=False)
        finally:
            self.fix_button.disabled = False
        if not outcome.changed:
            self.pending = None
            notes = [n for n in outcome.result.notices if n.startswith("not fixed")]
            self.fix_diff.value = (f'<div style="color:#555">{escape(notes[0])}</div>' if notes
                                   else "<b>Nothing to fix</b> with the safe fixes.")
            self.apply_button.layout.display = "none"
            self.fix_box.layout.display = None
            return outcome
        self.pending = outcome
        parts = []
        if outcome.text is not None and outcome.data_before is not None and outcome.data is not None:
            parts.append(notebook_diff(self.path.name, outcome.data_before, outcome.data))
        for file, (before, after) in sorted(outcome.files.items()):
            parts.append(file_diff(Path(os.path.relpath(file, self.path.parent)), before, after))
        n = outcome.fixed_total
        self.fix_diff.value = (
            f"<b>{_plural(n, 'finding')} fixed</b> ({escape(', '.join(sorted(outcome.fixed)))}), "
            f"{_plural(len(outcome.result.findings), 'finding')} remain. Writing changes the saved file: "
            "save the notebook first; afterwards reload it from disk (File → Reload Notebook from Disk)."
            f'<pre style="max-height:360px;overflow:auto;font-size:0.9em">{escape("".join(parts))}</pre>'
        )
        self.apply_button.layout.display = None
        self.fix_box.layout.display = None
        return outcome

    def apply_fixes(self) -> bool:
        """Write the previewed fixes, only if the notebook and the dependency files are
        still what the preview was computed from; then lint again."""
        from nb2prod.nbwrite import write_atomic

        outcome = self.pending
        if outcome is None:
            return False

        def current(path: Path) -> str | None:
            try:
                return path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return None

        stale = [p for p, (before, _) in outcome.files.items() if current(p) != before]
        if outcome.text is not None and current(self.path) != outcome.original:
            stale.insert(0, self.path)
        if stale:
            self.pending = None
            self.apply_button.layout.display = "none"
            names = ", ".join(escape(p.name) for p in stale)
            self.fix_diff.value = (f'<b style="color:{_COLOURS["error"]}">Not written</b>: {names} changed '
                                   "since the preview. Press Fix safe… again.")
            return False
        for file, (_, after) in outcome.files.items():
            write_atomic(file, after)
        if outcome.text is not None:
            write_atomic(self.path, outcome.text)
        self.pending = None
        self._close_preview()
        self.relint()
        self.status.value = self.status.value.replace(
            "</div>", f" · {_plural(outcome.fixed_total, 'finding')} fixed and written</div>")
        return True

    def _close_preview(self) -> None:
        self.pending = None
        self.fix_box.layout.display = "none"
        self.fix_diff.value = ""

    # -- views --------------------------------------------------------------------------

    def _show(self, result: NotebookResult) -> None:
        name = escape(self.path.name)
        if result.error is not None or result.score is None:
            self.heading.value = (f'<span style="font-size:1.2em"><b>nb2prod</b> could not lint <code>{name}</code>'
                                  f"</span>: {escape(result.error or 'no result')}")
            self.bar.value, self.bar.bar_style = 0, "danger"
            self.bar.layout.visibility = "hidden"
            self.families.children, self.findings.children = (), ()
            self.status.value = self._status_line(result)
            return
        total = result.score.total
        self.heading.value = (f'<span style="font-size:1.2em"><b>Readiness</b> '
                              f'<span style="font-size:1.4em;font-weight:bold">{total}</span>/100</span>'
                              f" &nbsp;<code>{name}</code>")
        self.bar.layout.visibility = "visible"
        self.bar.value, self.bar.bar_style = total, _bar_style(total / 100)
        self.bar.description = ""
        rows = []
        for fam in result.score.families:
            label = widgets.HTML(f"{escape(fam.title)}", layout=widgets.Layout(width="150px"))
            bar = widgets.FloatProgress(value=fam.score, min=0, max=fam.weight, bar_style=_bar_style(fam.ratio),
                                        layout=widgets.Layout(width="160px"))
            found = f" · {_plural(fam.findings, 'finding')}" if fam.findings else ""
            value = widgets.HTML(f"{fam.score:g}/{fam.weight}{found}")
            rows.append(widgets.HBox([label, bar, value], layout=widgets.Layout(align_items="center")))
        self.families.children = tuple(rows)
        groups: list[widgets.Widget] = []
        for severity in SEVERITIES:
            group = [f for f in result.findings if f.severity.label == severity]
            if group:
                groups.append(widgets.VBox([widgets.HTML(_group_heading(severity, len(group))),
                                            widgets.HTML(_finding_rows(group))]))
        if not result.findings:
            groups.append(widgets.HTML("<b>No findings.</b>"))
        for notice in [*result.notices, *result.internal_errors]:
            groups.append(widgets.HTML(f'<div style="color:#555">note: {escape(notice)}</div>'))
        self.findings.children = tuple(groups)
        self.status.value = self._status_line(result)

    def _status_line(self, result: NotebookResult) -> str:
        when = self.linted_at.strftime("%H:%M:%S") if self.linted_at else ""
        parts = [f"linted {escape(str(self.path))} at {when}"]
        if result.error is None:
            counts = _counts(result.findings)
            parts.append(", ".join(_plural(counts[s], s) for s in SEVERITIES))
        parts.append("the saved file is read: save, then Re-lint")
        return f'<div style="color:#666;font-size:0.9em">{" · ".join(parts)}</div>'

    def text(self) -> str:
        """The result as plain text (what a front end without widgets shows)."""
        result = self.result
        if result is None:
            return f"nb2prod readiness of {self.path}: not linted yet"
        if result.error is not None or result.score is None:
            return f"nb2prod could not lint {self.path}: {result.error}"
        families = ", ".join(f"{f.title} {f.score:g}/{f.weight}" for f in result.score.families if f.findings)
        lines = [f"nb2prod readiness {result.score.total}/100 for {self.path}" + (f" ({families})" if families else "")]
        for f in result.findings:
            lines.append(f"  {_where(f)}: {f.code} [{f.severity.label}] {f.name}: {f.message}")
        if not result.findings:
            lines.append("  no findings")
        lines += [f"  note: {n}" for n in [*result.notices, *result.internal_errors]]
        return "\n".join(lines)

    def html(self) -> str:
        """A static HTML rendering (for viewers that show saved outputs without widgets)."""
        result = self.result
        if result is None or result.error is not None or result.score is None:
            return f"<pre>{escape(self.text())}</pre>"
        families = " · ".join(f"{escape(f.title)} {f.score:g}/{f.weight}" for f in result.score.families)
        parts = [f"<div><b>Readiness {result.score.total}/100</b> &nbsp;<code>{escape(self.path.name)}</code></div>",
                 f'<div style="color:#555">{families}</div>']
        for severity in SEVERITIES:
            group = [f for f in result.findings if f.severity.label == severity]
            if group:
                parts += [_group_heading(severity, len(group)), _finding_rows(group)]
        return "<div>" + "".join(parts) + "</div>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        data = dict(super()._repr_mimebundle_(**kwargs) or {})
        data["text/plain"] = self.text()
        data["text/html"] = self.html()
        return data
