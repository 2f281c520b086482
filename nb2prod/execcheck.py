"""Re-execution checks: run a notebook in a fresh kernel, top to bottom, and compare.

This is what ``nb2prod lint --execute [--reproduce]`` (and the pytest plugin) use:

- :func:`run_notebook` runs a *copy* of the notebook (the file is never written) in a
  fresh kernel through nbclient, cell by cell, with a time limit per cell and one for
  the whole notebook, and returns a :class:`NotebookRun` with a verdict:
  ``ran`` (every cell ran; cells tagged ``raises-exception`` may raise, as in
  papermill), ``failed`` (a cell raised, or the kernel died: ``failed_cell`` says
  which), ``timeout`` (a cell or the notebook ran out of time: the kernel is killed),
  ``no-kernel`` (no kernel could be started for it) or ``skipped`` (nothing to run).
  Cells tagged ``skip`` (the build vocabulary, metadata or comment form) are not run.
- :func:`normalise_outputs` turns saved or fresh outputs into a comparable form, after
  removing what legitimately changes between runs (see :data:`NORMALISERS`).
- :func:`execution_findings` turns one run (two with ``reproduce``) into NB307-NB310
  findings, which the engine then suppresses, re-grades and scores like any other.

The notebook's own code runs with the notebook's folder as its working directory, as in
Jupyter and ``nb2prod build``: what it writes there, it writes. Nothing here imports
jupyter_server, tornado or ipywidgets; nbclient is imported only when a run starts.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nb2prod.notebook import multiline_text

if TYPE_CHECKING:
    from nb2prod.diagnostics import Finding
    from nb2prod.notebook import Cell, Notebook

__all__ = [
    "CellRun",
    "NotebookRun",
    "ExecutionOptions",
    "VERDICTS",
    "EXECUTION_RULES",
    "NORMALISERS",
    "run_notebook",
    "normalise_outputs",
    "normalise_text",
    "describe_difference",
    "execution_findings",
    "ipc_kernel_manager",
]

VERDICTS = ("ran", "failed", "timeout", "no-kernel", "skipped")

# The rules whose findings come from a run (their check() reports nothing statically).
CELL_FAILS, NOT_REPRODUCIBLE, DIFFERS_FROM_SAVED, INCOMPLETE = "NB307", "NB308", "NB309", "NB310"
EXECUTION_RULES = frozenset({CELL_FAILS, NOT_REPRODUCIBLE, DIFFERS_FROM_SAVED, INCOMPLETE})
REPRODUCE_RULES = frozenset({NOT_REPRODUCIBLE, DIFFERS_FROM_SAVED})

# A run that ignores its own time limits (a bug in a layer below) is abandoned this long
# after the notebook's limit.
_GRACE = 15.0
_STARTUP_TIMEOUT = 60

_log = logging.getLogger("nb2prod.execcheck")
_log.addHandler(logging.NullHandler())
_log.propagate = False  # nbclient and jupyter_client log errors we report ourselves


@dataclass
class CellRun:
    """One code cell as it ran. ``index`` is 1-based over *all* cells of the notebook.

    ``error`` is the exception the cell raised, as ``(ename, evalue, traceback)`` (the
    traceback as the kernel sent it, with ANSI colours); for the cell that ran out of
    time or killed its kernel, ``("TimeoutError" | "DeadKernelError", message, [])``.
    ``outputs`` are nbformat output dicts, as a front end would save them.
    """

    index: int
    outputs: list[dict[str, Any]] = field(default_factory=list)
    error: tuple[str, str, list[str]] | None = None  # (ename, evalue, traceback)
    seconds: float = 0.0


@dataclass
class NotebookRun:
    """The outcome of one fresh top-to-bottom run."""

    verdict: str  # one of VERDICTS
    failed_cell: int | None = None  # the cell that failed or timed out
    message: str = ""  # why (for failed: "NameError: name 'x' is not defined")
    cells: list[CellRun] = field(default_factory=list)  # the cells that were started
    seconds: float = 0.0

    def cell(self, index: int) -> CellRun | None:
        return next((c for c in self.cells if c.index == index), None)

    def describe(self) -> str:
        """``ran 5 cells in 3.1 s`` / ``failed at cell 4 (NameError: ...)`` and so on."""
        if self.verdict == "ran":
            n = len(self.cells)
            return f"ran {n} cell{'s' if n != 1 else ''} in {self.seconds:.1f} s"
        if self.verdict == "failed":
            return f"failed at cell {self.failed_cell} ({self.message})"
        if self.verdict == "timeout":
            where = f" at cell {self.failed_cell}" if self.failed_cell is not None else ""
            return f"timed out{where} ({self.message})"
        if self.verdict == "no-kernel":
            return f"could not start kernel ({self.message})"
        return f"skipped ({self.message})" if self.message else "skipped"

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "failed_cell": self.failed_cell,
            "message": self.message,
            "seconds": round(self.seconds, 3),
            "cells": len(self.cells),
        }


@dataclass(frozen=True)
class ExecutionOptions:
    """What ``lint --execute`` asks of the engine (picklable, for ``--jobs``)."""

    reproduce: bool = False
    cell_timeout: int = 120
    timeout: int | None = 600  # per run of a notebook; None: no limit
    images: bool = False
    kernel_name: str | None = None


# -- running ------------------------------------------------------------------------


_NANNY = Path(__file__).with_name("_kernel_nanny.py")


def ipc_kernel_manager(socket_prefix: str, *, asynchronous: bool = False) -> type:
    """A KernelManager whose kernel talks over Unix sockets under ``socket_prefix``: no
    TCP ports, nothing reachable from outside, no warning about unencrypted TCP. nbclient
    creates and owns it, so it also shuts the kernel down and closes the channels.

    ``asynchronous`` gives an ``AsyncKernelManager`` (its client does not block the event
    loop, so time limits and dead-kernel checks run while a cell is busy)."""
    from jupyter_client.manager import AsyncKernelManager, KernelManager

    base: type = AsyncKernelManager if asynchronous else KernelManager

    class IPCKernelManager(base):  # type: ignore[misc,valid-type]
        def __init__(self, **kwargs: Any) -> None:
            if os.name != "nt":  # zmq has no Unix sockets on Windows: localhost TCP there
                kwargs.setdefault("transport", "ipc")
                kwargs.setdefault("ip", socket_prefix)
            super().__init__(**kwargs)

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            # The kernel runs under a small process of its own: a cell that kills its parent
            # process kills that, not nb2prod (see nb2prod/_kernel_nanny.py).
            cmd: list[str] = super().format_kernel_cmd(extra_arguments)
            return cmd if os.name == "nt" else [sys.executable, str(_NANNY), *cmd]

    return IPCKernelManager


def _kernel_for(nb: Notebook, kernel_name: str | None) -> tuple[str | None, str]:
    """(kernel name, reason when there is none)."""
    if kernel_name:
        return kernel_name, ""
    spec = nb.metadata.get("kernelspec")
    name = spec.get("name") if isinstance(spec, dict) else None
    if isinstance(name, str) and name.strip():
        return name.strip(), ""
    if nb.is_python:
        return "python3", ""
    return None, f"the notebook records no kernel for its language ({nb.language})"


def _missing_kernel(name: str) -> str | None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return f"no Jupyter kernel named {name!r} is installed here"
    except Exception as exc:  # a broken kernel.json
        return f"kernel {name!r} cannot be used: {_one_line(str(exc))}"
    return None


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(_ANSI.sub("", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_notebook(
    nb: Notebook,
    *,
    cell_timeout: int = 120,
    timeout: int | None = 600,
    kernel_name: str | None = None,
    cwd: Path | None = None,
    allow_errors: bool = False,
) -> NotebookRun:
    """Run a copy of ``nb`` top to bottom in a fresh kernel; never raises for anything
    the notebook or its kernel does (only for bugs and KeyboardInterrupt).

    ``cell_timeout`` bounds each cell, ``timeout`` (None: no limit) the whole run,
    kernel start included; on either, the kernel is killed and the verdict is
    ``timeout``. A cell that raises stops the run (``failed``) unless it is tagged
    ``raises-exception`` or ``allow_errors`` is set; either way its ``CellRun.error``
    holds the exception.
    """
    started = time.monotonic()
    deadline = started + timeout if timeout else None
    todo = [c for c in nb.cells if c.is_code and c.source.strip() and "skip" not in c.nb2prod_tags]
    if not todo:
        return NotebookRun("skipped", message="no code cells to run")
    name, why = _kernel_for(nb, kernel_name)
    if name is None:
        return NotebookRun("no-kernel", message=why, seconds=time.monotonic() - started)
    missing = _missing_kernel(name)
    if missing:
        return NotebookRun("no-kernel", message=missing, seconds=time.monotonic() - started)
    workdir = cwd or (nb.path.parent if nb.path is not None else Path.cwd())
    job = _Job(todo, name, max(1, int(cell_timeout)), timeout, deadline, Path(workdir), allow_errors)
    run = _run_coroutine(job.run)
    run.seconds = time.monotonic() - started
    return run


def _run_coroutine(factory: Callable[[], Coroutine[Any, Any, NotebookRun]]) -> NotebookRun:
    """Run a coroutine to completion, also when called from inside a running event loop
    (a Jupyter kernel, the JupyterLab server): then in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="nb2prod-execute") as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


class _Job:
    def __init__(self, cells: list[Cell], kernel: str, cell_timeout: int, timeout: int | None,
                 deadline: float | None, cwd: Path, allow_errors: bool) -> None:
        self.cells = cells
        self.kernel = kernel
        self.cell_timeout = cell_timeout
        self.timeout = timeout
        self.deadline = deadline
        self.cwd = cwd
        self.allow_errors = allow_errors
        self.replies: dict[int, dict[str, Any]] = {}
        self.result = NotebookRun("ran")

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def _notebook_timeout(self) -> str:
        return f"the notebook ran longer than its time limit of {self.timeout} s"

    async def run(self) -> NotebookRun:
        from nbformat import v4

        book = v4.new_notebook()
        for cell in self.cells:
            book.cells.append(v4.new_code_cell(cell.source, metadata={"tags": list(cell.tags)}))
        with tempfile.TemporaryDirectory(prefix="nb2prod-kernel-") as sockets:
            from nbclient import NotebookClient

            def on_cell_executed(cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
                self.replies[cell_index] = execute_reply

            client = NotebookClient(
                book,
                timeout=self.cell_timeout,
                kernel_name=self.kernel,
                kernel_manager_class=ipc_kernel_manager(str(Path(sockets) / "kernel"), asynchronous=True),
                resources={"metadata": {"path": str(self.cwd)}},
                allow_errors=True,  # decided here, per cell (raises-exception, allow_errors)
                shutdown_kernel="immediate",
                on_cell_executed=on_cell_executed,
                log=_log,
            )
            client.km = client.create_kernel_manager()
            client.km.log = _log
            try:
                limit = None if self.deadline is None else max(self.deadline - time.monotonic(), 0.0) + _GRACE
                await asyncio.wait_for(self._run(client, book), timeout=limit)
            except asyncio.TimeoutError:
                # nbclient ignored its time limits: give up on it all the same.
                self.result.verdict = "timeout"
                self.result.failed_cell = self.result.cells[-1].index if self.result.cells else None
                self.result.message = self._notebook_timeout()
            finally:
                await _shutdown(client)
        return self.result

    async def _run(self, client: Any, book: Any) -> None:
        from jupyter_client.kernelspec import NoSuchKernel
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        result = self.result
        try:
            await client.async_start_new_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            remaining = self.remaining()
            client.startup_timeout = _STARTUP_TIMEOUT if remaining is None else max(1, min(
                _STARTUP_TIMEOUT, math.ceil(remaining)))
            await client.async_start_new_kernel_client()
        except NoSuchKernel:
            result.verdict, result.message = "no-kernel", f"no Jupyter kernel named {self.kernel!r} is installed here"
            return
        except Exception as exc:
            remaining = self.remaining()
            if remaining is not None and remaining <= 0:
                result.verdict, result.message = "timeout", self._notebook_timeout()
                return
            result.verdict = "no-kernel"
            result.message = f"kernel {self.kernel!r} did not start: {_one_line(str(exc)) or type(exc).__name__}"
            return
        for i, (cell, node) in enumerate(zip(self.cells, book.cells, strict=True)):
            remaining = self.remaining()
            if remaining is not None and remaining <= 0:
                result.verdict, result.failed_cell, result.message = "timeout", cell.index, self._notebook_timeout()
                return
            by_notebook = remaining is not None and remaining < self.cell_timeout
            client.timeout = max(1, math.ceil(min(self.cell_timeout, remaining) if by_notebook else self.cell_timeout))
            run = CellRun(cell.index)
            result.cells.append(run)
            start = time.monotonic()
            try:
                await client.async_execute_cell(node, i, execution_count=client.code_cells_executed + 1)
            except CellTimeoutError:
                message = self._notebook_timeout() if by_notebook else (
                    f"the cell ran longer than the cell time limit of {self.cell_timeout} s")
                run.error = ("TimeoutError", message, [])
                result.verdict, result.failed_cell, result.message = "timeout", cell.index, message
                return
            except DeadKernelError:
                message = "the kernel died (a crash in native code, out of memory, or os._exit)"
                run.error = ("DeadKernelError", message, [])
                result.verdict, result.failed_cell, result.message = "failed", cell.index, message
                return
            finally:
                run.seconds = time.monotonic() - start
                run.outputs = [_plain(o) for o in node.get("outputs", [])]
            run.error = _error_of(self.replies.get(i), run.outputs)
            if run.error is not None and not (self.allow_errors or "raises-exception" in cell.tags):
                ename, evalue, _ = run.error
                result.verdict, result.failed_cell = "failed", cell.index
                evalue = _CELL_FILE.sub("", evalue)
                result.message = _one_line(f"{ename}: {evalue}" if evalue.strip() else ename)
                return


async def stop_kernel_process(km: Any, wait: float = 5.0) -> None:
    """Kill the kernel of ``km`` through its nanny (nb2prod/_kernel_nanny.py): SIGTERM to
    the nanny, which kills the kernel, reaps it and exits; wait for that. Nothing when
    there is no such process (another platform, or it has ended)."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is None or os.name == "nt" or process.poll() is not None:
        return
    try:
        process.send_signal(signal.SIGTERM)
    except OSError:  # already gone
        return
    deadline = time.monotonic() + wait
    while process.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


async def _shutdown(client: Any) -> None:
    """Kill the kernel (never a graceful wait: it may be stuck in a loop) and close."""
    try:
        if client.kc is not None:
            client.kc.stop_channels()
    except Exception:  # closing what is already closed
        pass
    km = client.km
    if km is None:
        return
    await stop_kernel_process(km)
    try:
        if km.has_kernel:
            await km.shutdown_kernel(now=True)
        else:
            await km.cleanup_resources()
    except Exception:  # already dead and reaped
        pass


def _plain(value: Any) -> Any:
    """nbformat nodes (dict subclasses) as plain JSON types."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _error_of(reply: dict[str, Any] | None, outputs: list[dict[str, Any]]) -> tuple[str, str, list[str]] | None:
    content = reply.get("content", {}) if isinstance(reply, dict) else {}
    if content.get("status") == "error":
        tb = content.get("traceback")
        return (str(content.get("ename") or "Error"), str(content.get("evalue") or ""),
                [str(t) for t in tb] if isinstance(tb, list) else [])
    if content.get("status") in ("ok", "aborted") and reply is not None:
        return None
    for out in outputs:  # no reply (should not happen): the error output says it
        if out.get("output_type") == "error":
            tb = out.get("traceback")
            return (str(out.get("ename") or "Error"), str(out.get("evalue") or ""),
                    [str(t) for t in tb] if isinstance(tb, list) else [])
    return None


# -- normalising ----------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_UNIT = r"(?:ns|µs|μs|us|ms|s|sec|secs|seconds?|min|mins|minutes?|h|hours?)"
_NUM = r"\d+(?:[.,]\d+)?"

#: What legitimately changes from run to run, as (what, pattern, replacement), applied
#: in this order to every text of an output (streams, each mime type's text, error
#: values) after carriage returns and backspaces have overwritten what they overwrite.
NORMALISERS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("ANSI colour codes", _ANSI, ""),
    # tqdm (` 45%|████▌     | 45/100 [00:01<00:02, 30.1it/s]`) and Keras (`3/10 [==>...]`)
    ("progress bars", re.compile(r"(?m)^.*\d{1,3}%\|.*\|.*$|^.*\d+/\d+ \[[=>.]*\].*$"), "<progress>"),
    ("%timeit", re.compile(rf"{_NUM} ?{_UNIT} ± {_NUM} ?{_UNIT} per loop[^\n]*"), "<timeit>"),
    ("%time", re.compile(r"(?m)^(CPU times|Wall time):.*$"), r"\1: <time>"),
    ("durations", re.compile(rf"(?i)\b(took|elapsed(?: time)?|duration|runtime|time|in)(\s*[:=]?\s*)"
                             rf"{_NUM} ?{_UNIT}\b"), r"\1\2<time>"),
    ("timestamps", re.compile(r"\b\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d:?\d\d)?"),
     "<timestamp>"),
    ("memory addresses", re.compile(r"\b0x[0-9a-fA-F]{4,}\b"), "0x…"),
    ("object ids (UUIDs)", re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                                      r"[0-9a-fA-F]{12}\b"), "<uuid>"),
    ("object ids (id=...)", re.compile(r"\b(id[=:] ?)\d{6,}\b"), r"\1<id>"),
    # SyntaxError values name the file IPython compiled the cell as: `(3512.py, line 2)`
    ("cell file names", re.compile(r"\((?:\d+\.py|<ipython-input-[^>]*>), line (\d+)\)"), r"(<cell>, line \1)"),
)

_CELL_FILE = re.compile(r"\s*\((?:\d+\.py|<ipython-input-[^>]*>), line \d+\)\s*$")
_BACKSPACE = re.compile(r"[^\n\x08]\x08")
_PROGRESS_RUN = re.compile(r"(?m)^<progress>(?:\n<progress>)+$")
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
_CELL_FRAME = re.compile(r"(?:Cell In\s*\[(\d+)\],\s*line (\d+)|Input In \[(\d+)\].*?<cell line: (\d+)>)")


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

    kw = {"cell_timeout": cell_timeout, "timeout": timeout, "kernel_name": kernel_name, "cwd": cwd}
    first = run_notebook(nb, **kw)  # type: ignore[arg-type]
    by_index = {c.index: c for c in nb.cells}
    findings: list[Finding] = []

    if first.verdict == "failed" and first.failed_cell is not None:
        cell = by_index[first.failed_cell]
        ran = first.cell(cell.index)
        line = None
        if ran is not None and ran.error is not None:
            count = first.cells.index(ran) + 1
            line = _error_line(ran.error[2], count, cell)
        findings.append(REGISTRY[CELL_FAILS].at(
            cell, f"a fresh top-to-bottom run fails here: {first.message}", line=line))
    elif first.verdict in ("timeout", "no-kernel"):
        # No cell was running when no kernel started: the notebook's first cell, as for
        # the other notebook-level findings.
        cell = by_index.get(first.failed_cell) if first.failed_cell is not None else nb.cells[0]
        if first.verdict == "no-kernel":
            message = f"the notebook could not be run: {first.message}"
        else:
            message = f"the run stopped here and its kernel was killed: {first.message}"
        findings.append(REGISTRY[INCOMPLETE].at(cell, message))
    if not reproduce or first.verdict not in ("ran", "failed"):
        return findings, first

    second = run_notebook(nb, **kw)  # type: ignore[arg-type]
    unstable: set[int] = set()
    if second.verdict in ("ran", "failed"):
        for a in first.cells:
            b = second.cell(a.index)
            if b is None:
                continue
            diff = describe_difference(_comparable(a, images), _comparable(b, images), ("first run", "second run"))
            if diff:
                unstable.add(a.index)
                findings.append(REGISTRY[NOT_REPRODUCIBLE].at(
                    by_index[a.index], f"outputs differ between two fresh runs: {diff}"))
    for a in first.cells:
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
