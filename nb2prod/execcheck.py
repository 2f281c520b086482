"""Re-execution checks: run a notebook in a fresh kernel, top to bottom, and compare.

This is what ``nb2prod lint --execute [--reproduce]`` uses; the run itself is
:mod:`nb2prod.kernel_runner`'s (shared with ``nb2prod build`` and the pytest plugin):

- :class:`ExecutionOptions` are the runner's options (:class:`~nb2prod.kernel_runner.RunOptions`:
  ``--cell-timeout``, ``--timeout``, ``--kernel``) and lint's own (``--reproduce``,
  ``--compare-images``), declared once; the CLI's flags are generated from them.
- A run's outcome becomes lint's verdict (:data:`VERDICTS`): ``ran``, ``failed`` (a cell
  raised, or the kernel died: ``failed_cell`` says which), ``timeout`` (a cell or the run
  ran out of time: the kernel is killed), ``no-kernel`` or ``skipped`` (nothing to run).
- :func:`normalise_outputs` turns saved or fresh outputs into a comparable form, after
  removing what legitimately changes between runs (see :data:`NORMALISERS`).
- :func:`execution_findings` turns one run (two with ``reproduce``) into NB307-NB310
  findings, which the engine then suppresses, re-grades and scores like any other: the
  one place where an outcome becomes a finding.

The notebook's own code runs with the notebook's folder as its working directory, as in
Jupyter and ``nb2prod build``: what it writes there, it writes. Nothing here imports
jupyter_server, tornado or ipywidgets; nbclient is imported only when a run starts.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nb2prod import _lazyre
from nb2prod.kernel_runner import (
    CELL_RAISED,
    KERNEL_DIED,
    NO_KERNEL,
    TIMED_OUT,
    CellRun,
    NotebookRun,
    run_notebook,
)
from nb2prod.notebook import ANSI_ESCAPE, multiline_text
from nb2prod.rules.execution import (
    EXECUTION_RULES,
    REPRODUCE_RULES,
    CellFailsOnRerun,
    ExecutionIncomplete,
    OutputDiffersFromSaved,
    OutputNotReproducible,
)
from nb2prod.runopts import ExecutionOptions, RunOptions

if TYPE_CHECKING:
    from nb2prod.diagnostics import Finding
    from nb2prod.notebook import Cell, Notebook

__all__ = [
    "CellRun",
    "NotebookRun",
    "ExecutionOptions",
    "VERDICTS",
    "EXECUTION_RULES",
    "REPRODUCE_RULES",
    "NORMALISERS",
    "run_notebook",
    "normalise_outputs",
    "normalise_text",
    "describe_difference",
    "execution_findings",
]

VERDICTS = ("ran", "failed", "timeout", "no-kernel", "skipped")

CELL_FAILS, NOT_REPRODUCIBLE, DIFFERS_FROM_SAVED, INCOMPLETE = (
    CellFailsOnRerun.code, OutputNotReproducible.code, OutputDiffersFromSaved.code, ExecutionIncomplete.code)


# -- normalising ----------------------------------------------------------------------

_ANSI = ANSI_ESCAPE
_UNIT = r"(?:ns|µs|μs|us|ms|s|sec|secs|seconds?|min|mins|minutes?|h|hours?)"
_NUM = r"\d+(?:[.,]\d+)?"

#: What legitimately changes from run to run, as (what, pattern, replacement), applied
#: in this order to every text of an output (streams, each mime type's text, error
#: values) after carriage returns and backspaces have overwritten what they overwrite.
NORMALISERS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("ANSI colour codes", _ANSI, ""),
    # tqdm (` 45%|████▌     | 45/100 [00:01<00:02, 30.1it/s]`) and Keras (`3/10 [==>...]`)
    ("progress bars", _lazyre.compile(r"(?m)^.*\d{1,3}%\|.*\|.*$|^.*\d+/\d+ \[[=>.]*\].*$"), "<progress>"),
    ("%timeit", _lazyre.compile(rf"{_NUM} ?{_UNIT} ± {_NUM} ?{_UNIT} per loop[^\n]*"), "<timeit>"),
    ("%time", _lazyre.compile(r"(?m)^(CPU times|Wall time):.*$"), r"\1: <time>"),
    ("durations", _lazyre.compile(rf"(?i)\b(took|elapsed(?: time)?|duration|runtime|time|in)(\s*[:=]?\s*)"
                             rf"{_NUM} ?{_UNIT}\b"), r"\1\2<time>"),
    ("timestamps", _lazyre.compile(r"\b\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d:?\d\d)?"),
     "<timestamp>"),
    ("memory addresses", _lazyre.compile(r"\b0x[0-9a-fA-F]{4,}\b"), "0x…"),
    ("object ids (UUIDs)", _lazyre.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                                      r"[0-9a-fA-F]{12}\b"), "<uuid>"),
    ("object ids (id=...)", _lazyre.compile(r"\b(id[=:] ?)\d{6,}\b"), r"\1<id>"),
    # SyntaxError values name the file IPython compiled the cell as: `(3512.py, line 2)`
    ("cell file names", _lazyre.compile(r"\((?:\d+\.py|<ipython-input-[^>]*>), line (\d+)\)"), r"(<cell>, line \1)"),
)

_BACKSPACE = _lazyre.compile(r"[^\n\x08]\x08")
_PROGRESS_RUN = _lazyre.compile(r"(?m)^<progress>(?:\n<progress>)+$")
_IMAGE_MIMES = ("image/", "application/pdf")


def _overwrite(text: str) -> str:
    """What a terminal shows: ``\\r`` returns to the start of the line, ``\\b`` deletes."""
    text = text.replace("\r\n", "\n")
    while "\x08" in text:
        new = _BACKSPACE.sub("", text)
        if new == text:
            text = text.replace("\x08", "")
            break
        text = new
    if "\r" in text:
        text = "\n".join(line.rsplit("\r", 1)[-1] if "\r" in line else line for line in text.split("\n"))
    return text


def normalise_text(text: str) -> str:
    """One text with :data:`NORMALISERS` applied and trailing whitespace removed (at
    the end of every line, and blank lines at the end)."""
    text = _overwrite(text)
    for _what, pattern, replacement in NORMALISERS:
        text = pattern.sub(replacement, text)
    text = _PROGRESS_RUN.sub("<progress>", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip("\n")


def _normalise_value(value: Any) -> Any:
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, dict):
        return {k: _normalise_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise_value(v) for v in value]
    return value


def _is_image(mime: str) -> bool:
    return mime.startswith(_IMAGE_MIMES)


def normalise_outputs(outputs: Iterable[dict[str, Any]], *, images: bool = False,
                      stderr: bool = False) -> list[dict[str, Any]]:
    """Outputs (saved or fresh) in a form where ``==`` means "the same result".

    - consecutive stream outputs of one name are joined, as Jupyter shows them; stderr
      (warnings, logging, progress bars) is left out unless ``stderr``;
    - ``execute_result`` and ``display_data`` are both ``{"type": "data", "data":
      {mime: value}}``; execution counts and output metadata are dropped;
    - images (``image/*``, PDF) keep only their mime type unless ``images``, then a
      sha256 of their bytes;
    - errors keep ``ename`` and ``evalue`` (the traceback names execution counts and
      file paths);
    - every text goes through :func:`normalise_text`; outputs left empty are dropped.
    """
    out: list[dict[str, Any]] = []
    for o in outputs:
        kind = o.get("output_type")
        if kind == "stream":
            name = str(o.get("name") or "stdout")
            if name == "stderr" and not stderr:
                continue
            text = multiline_text(o.get("text"))
            if out and out[-1]["type"] == "stream" and out[-1]["name"] == name:
                out[-1]["raw"] += text
            else:
                out.append({"type": "stream", "name": name, "raw": text})
        elif kind in ("execute_result", "display_data"):
            data = o.get("data")
            if not isinstance(data, dict) or not data:
                continue
            norm: dict[str, Any] = {}
            for mime, value in sorted(data.items()):
                if _is_image(mime):
                    norm[mime] = _image_digest(value) if images else "<image>"
                elif isinstance(value, (str, list)) and not mime.endswith("json"):
                    norm[mime] = normalise_text(multiline_text(value))
                else:
                    norm[mime] = _normalise_value(value)
            out.append({"type": "data", "data": norm})
        elif kind == "error":
            out.append({"type": "error", "ename": str(o.get("ename") or ""),
                        "evalue": normalise_text(str(o.get("evalue") or ""))})
    result = []
    for item in out:
        if item["type"] == "stream":
            text = normalise_text(item.pop("raw"))
            if not text.strip():
                continue
            item["text"] = text
        result.append(item)
    return result


def _image_digest(value: Any) -> str:
    text = multiline_text(value) if isinstance(value, (str, list)) else str(value)
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except ValueError:  # SVG and other text images
        raw = normalise_text(text).encode("utf-8")
    return "sha256:" + hashlib.sha256(raw).hexdigest()[:16]


def _label(item: dict[str, Any]) -> str:
    if item["type"] == "stream":
        return item["name"]
    if item["type"] == "error":
        return f"{item['ename']}: {item['evalue']}".rstrip(": ")
    return "display " + ", ".join(item["data"])


def _snippet(text: str, limit: int = 60) -> str:
    text = text.strip()
    return "`" + (text if len(text) <= limit else text[: limit - 1] + "…") + "`"


def _first_line_difference(a: str, b: str) -> tuple[int, str, str]:
    la, lb = a.split("\n"), b.split("\n")
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else None
        y = lb[i] if i < len(lb) else None
        if x != y:
            none = "(no such line)"
            return i + 1, _snippet(x) if x is not None else none, _snippet(y) if y is not None else none
    return 1, _snippet(a), _snippet(b)  # pragma: no cover - only called when a != b


def describe_difference(a: list[dict[str, Any]], b: list[dict[str, Any]],
                        names: tuple[str, str] = ("before", "after")) -> str | None:
    """The first difference between two normalised output lists, in words; None when
    they are equal."""
    if a == b:
        return None
    first, second = names
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else None
        y = b[i] if i < len(b) else None
        if x == y:
            continue
        if x is None or y is None:
            only, side = (y, second) if x is None else (x, first)
            assert only is not None
            detail = f" {_snippet(only.get('text', ''))}" if only["type"] == "stream" else ""
            return f"output {i + 1} ({_label(only)}{detail}) only in the {side}"
        if x["type"] != y["type"] or x["type"] == "error" or (x["type"] == "stream" and x["name"] != y["name"]):
            return f"output {i + 1} is {_snippet(_label(x))} in the {first}, {_snippet(_label(y))} in the {second}"
        if x["type"] == "stream":
            line, p, q = _first_line_difference(x["text"], y["text"])
            return f"{x['name']} line {line} is {p} in the {first}, {q} in the {second}"
        dx, dy = x["data"], y["data"]
        if set(dx) != set(dy):
            return (f"output {i + 1} has {', '.join(sorted(dx))} in the {first}, "
                    f"{', '.join(sorted(dy))} in the {second}")
        for mime in sorted(dx):
            if dx[mime] == dy[mime]:
                continue
            if _is_image(mime):
                return f"output {i + 1}: the {mime} image differs"
            if isinstance(dx[mime], str) and isinstance(dy[mime], str):
                line, p, q = _first_line_difference(dx[mime], dy[mime])
                return f"output {i + 1} ({mime}) line {line} is {p} in the {first}, {q} in the {second}"
            return f"output {i + 1} ({mime}) differs"
    return "outputs differ"  # pragma: no cover


# -- findings -------------------------------------------------------------------------

# IPython names the cell in tracebacks as `Cell In[3], line 2` (IPython >= 8) or
# `Input In [3], in <cell line: 2>()` (IPython 7.x / 8.0-8.4).
_CELL_FRAME = _lazyre.compile(r"(?:Cell In\s*\[(\d+)\],\s*line (\d+)|Input In \[(\d+)\].*?<cell line: (\d+)>)")


def _error_line(tb: list[str], count: int, cell: Cell) -> int | None:
    """The line of ``cell`` (run as ``[count]``) where the exception was raised."""
    for frame in tb:
        for m in _CELL_FRAME.finditer(_ANSI.sub("", frame)):
            n, line = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            if int(n) == count and 1 <= int(line) <= len(cell.lines):
                return int(line)
    return None


def _saved_was_run(cell: Cell) -> bool:
    return cell.execution_count is not None or bool(cell.outputs)


def execution_findings(
    nb: Notebook,
    *,
    reproduce: bool,
    cell_timeout: int,
    timeout: int | None,
    images: bool = False,
    kernel_name: str | None = None,
    cwd: Path | None = None,
) -> tuple[list[Finding], NotebookRun]:
    """Run ``nb`` (twice with ``reproduce``) and report NB307-NB310 findings.

    NB307 the cell that raised; NB310 when the run could not finish (no kernel, time
    limit). With ``reproduce``: NB308 cells whose normalised outputs differ between the
    two fresh runs, NB309 cells whose first fresh run differs from the saved outputs
    (only cells that were run when saved, and not those NB307 or NB308 already report).
    Returns the findings and the first run.
    """
    from nb2prod.rules import REGISTRY

    options = RunOptions(cell_timeout=cell_timeout, timeout=timeout or 0, kernel_name=kernel_name)
    first = run_notebook(nb, options, cwd=cwd)
    by_index = {c.index: c for c in nb.cells}
    findings: list[Finding] = []

    if first.outcome in (CELL_RAISED, KERNEL_DIED) and first.failed_cell is not None:
        cell = by_index[first.failed_cell]
        ran = first.cell(cell.index)
        line = None
        if ran is not None and ran.error is not None:
            count = first.cells.index(ran) + 1
            line = _error_line(ran.error[2], count, cell)
        findings.append(REGISTRY[CELL_FAILS].at(
            cell, f"a fresh top-to-bottom run fails here: {first.message}", line=line))
    elif first.outcome in (TIMED_OUT, NO_KERNEL):
        # No cell was running when no kernel started: the notebook's first cell, as for
        # the other notebook-level findings.
        stopped = by_index.get(first.failed_cell) if first.failed_cell is not None else None
        if first.outcome == NO_KERNEL:
            message = f"the notebook could not be run: {first.message}"
        else:
            message = f"the run stopped here and its kernel was killed: {first.message}"
        findings.append(REGISTRY[INCOMPLETE].at(stopped or nb.cells[0], message))
    if not reproduce or first.verdict not in ("ran", "failed"):
        return findings, first

    second = run_notebook(nb, options, cwd=cwd)
    unstable: set[int] = set()
    if second.verdict in ("ran", "failed"):
        for a in first.cells:
            b = second.cell(a.index) if a.index is not None else None
            if a.index is None or b is None:
                continue
            diff = describe_difference(_comparable(a, images), _comparable(b, images), ("first run", "second run"))
            if diff:
                unstable.add(a.index)
                findings.append(REGISTRY[NOT_REPRODUCIBLE].at(
                    by_index[a.index], f"outputs differ between two fresh runs: {diff}"))
    for a in first.cells:
        if a.index is None:
            continue
        cell = by_index[a.index]
        if a.index in unstable or a.index == first.failed_cell or not _saved_was_run(cell):
            continue
        diff = describe_difference(normalise_outputs(cell.outputs, images=images), _comparable(a, images),
                                   ("saved notebook", "fresh run"))
        if diff:
            findings.append(REGISTRY[DIFFERS_FROM_SAVED].at(
                cell, f"the fresh run's outputs differ from the saved ones: {diff}"))
    return findings, first


def _comparable(run: CellRun, images: bool) -> list[dict[str, Any]]:
    return normalise_outputs(run.outputs, images=images)
