"""The one kernel runner: code cells, top to bottom, in a fresh Jupyter kernel.

``nb2prod lint --execute`` (:mod:`nb2prod.execcheck`), ``nb2prod build``
(:mod:`nb2prod.converter.execute`) and the pytest plugin all run notebooks here:

- :func:`run_notebook` runs a *copy* of a notebook (the file is never written): its code
  cells, minus those tagged ``skip`` (the build vocabulary, metadata or comment form) and
  blank ones. :func:`run_cells` runs any list of :class:`Step`; both accept ``after``,
  steps that run in the same kernel once the notebook's cells have run (the build's
  capture of artifacts and examples), and ``on_cell_start``, called before each step.
- The kernel is fresh, talks over Unix sockets only (:func:`ipc_kernel_manager`), runs
  under a small process of its own (``nb2prod/_kernel_nanny.py``: a cell that kills its
  parent kills that, not nb2prod) and is killed and reaped when the run ends, whatever
  ends it (:func:`stop_kernel_process`). Time limits: one per cell, one for the whole
  run, kernel start included (:class:`RunOptions`).
- The result is one :class:`NotebookRun`, whose ``outcome`` is one of :data:`OUTCOMES`:
  ``ran`` (every step ran; cells tagged ``raises-exception`` may raise, as in papermill),
  ``cell-raised``, ``timed-out``, ``kernel-died``, ``no-kernel`` or ``skipped`` (nothing
  to run). It never raises for what the notebook or its kernel does: each caller maps
  the outcome to its own words once (lint to verdicts and NB307/NB310 findings, the
  build to its BuildError messages, the pytest plugin to failed items).

The options of a run are declared once, in :class:`RunOptions` (as nbclient declares its
traits): each field carries its flag, help text, unit, pytest ini name and default (per
command where they differ: ``build`` lets a cell run 600 s and sets no limit on the whole
run). ``nb2prod lint --execute``, ``nb2prod build`` and the pytest plugin generate their
flags and ini options from that declaration (:func:`declared`), so a default or a flag's
meaning is written here and nowhere else.

Nothing here imports jupyter_server, tornado or ipywidgets; nbclient and jupyter_client
are imported only when a run starts.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nb2prod.notebook import ANSI_ESCAPE
from nb2prod.runopts import COMMANDS, Option, RunOptions, declared, option

if TYPE_CHECKING:
    from nb2prod.notebook import Notebook

__all__ = [
    "OUTCOMES", "RAN", "CELL_RAISED", "TIMED_OUT", "KERNEL_DIED", "NO_KERNEL", "SKIPPED", "COMMANDS",
    "Option", "option", "declared", "RunOptions", "Step", "CellRun", "NotebookRun",
    "run_notebook", "run_cells", "notebook_steps", "kernel_for", "ipc_kernel_manager", "stop_kernel_process",
]

# -- outcomes -------------------------------------------------------------------------

RAN, CELL_RAISED, TIMED_OUT, KERNEL_DIED, NO_KERNEL, SKIPPED = (
    "ran", "cell-raised", "timed-out", "kernel-died", "no-kernel", "skipped")
OUTCOMES = (RAN, CELL_RAISED, TIMED_OUT, KERNEL_DIED, NO_KERNEL, SKIPPED)
# `lint --execute`'s verdicts (the JSON report's `execution.verdict`): a dead kernel is a failed run.
_VERDICTS = {RAN: "ran", CELL_RAISED: "failed", KERNEL_DIED: "failed", TIMED_OUT: "timeout",
             NO_KERNEL: "no-kernel", SKIPPED: "skipped"}

# A run that ignores its own time limits (a bug in a layer below) is abandoned this long
# after the run's limit.
_GRACE = 15.0
_STARTUP_TIMEOUT = 60

_log = logging.getLogger("nb2prod.kernel_runner")
_log.addHandler(logging.NullHandler())
_log.propagate = False  # nbclient and jupyter_client log errors we report ourselves


# -- options: declared in nb2prod.runopts (re-exported here) --------------------------------


# -- what runs, and what came of it ---------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One piece of code to run as a cell. ``index`` is the notebook cell it is (1-based
    over *all* cells), None for code the caller adds; ``label`` names such code in messages."""

    source: str
    index: int | None = None
    tags: tuple[str, ...] = ()
    label: str = ""

    @property
    def name(self) -> str:
        """``cell 3``, or the label of added code."""
        return f"cell {self.index}" if self.index is not None else (self.label or "code added to the notebook")

    @property
    def may_raise(self) -> bool:
        return "raises-exception" in self.tags


@dataclass
class CellRun:
    """One step as it ran. ``index`` is its notebook cell (None for added code).

    ``error`` is the exception the cell raised, as ``(ename, evalue, traceback)`` (the
    traceback as the kernel sent it, with ANSI colours); for the cell that ran out of
    time or killed its kernel, ``("TimeoutError" | "DeadKernelError", message, [])``.
    ``outputs`` are nbformat output dicts, as a front end would save them.
    """

    index: int | None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    error: tuple[str, str, list[str]] | None = None  # (ename, evalue, traceback)
    seconds: float = 0.0


@dataclass
class NotebookRun:
    """The outcome of one fresh top-to-bottom run.

    ``failed_cell`` is the notebook cell that raised, ran out of time or killed its kernel
    (None when it was added code, or when no cell was running), ``failed_step`` the name of
    that step (``cell 4``, or an added step's label); ``message`` says why in a line
    (``NameError: name 'x' is not defined``). ``reason`` refines the outcome: for
    ``timed-out``, ``cell`` (the cell limit) or ``run`` (the whole run's); for
    ``no-kernel``, ``not-recorded``, ``not-installed`` or ``did-not-start``. ``kernel`` is
    the kernel's name. ``cells`` are the steps that were started, in order: with the
    ``cell-raised``, ``timed-out`` and ``kernel-died`` outcomes, the last one is the one that
    stopped the run (unless the whole run's time was up between two steps)."""

    outcome: str  # one of OUTCOMES
    failed_cell: int | None = None
    message: str = ""
    cells: list[CellRun] = field(default_factory=list)
    seconds: float = 0.0
    failed_step: str = ""
    reason: str = ""
    kernel: str | None = None

    @property
    def verdict(self) -> str:
        """The verdict ``lint --execute`` reports: ran, failed, timeout, no-kernel or skipped."""
        return _VERDICTS[self.outcome]

    def cell(self, index: int) -> CellRun | None:
        return next((c for c in self.cells if c.index == index), None)

    def describe(self) -> str:
        """``ran 5 cells in 3.1 s`` / ``failed at cell 4 (NameError: ...)`` and so on."""
        verdict = self.verdict
        if verdict == "ran":
            n = len(self.cells)
            return f"ran {n} cell{'s' if n != 1 else ''} in {self.seconds:.1f} s"
        if verdict == "failed":
            return f"failed at cell {self.failed_cell} ({self.message})"
        if verdict == "timeout":
            where = f" at cell {self.failed_cell}" if self.failed_cell is not None else ""
            return f"timed out{where} ({self.message})"
        if verdict == "no-kernel":
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


OnCellStart = Callable[[int, Step], None]


# -- the kernel ----------------------------------------------------------------------------


_NANNY = Path(__file__).with_name("_kernel_nanny.py")


def ipc_kernel_manager(socket_prefix: str, *, asynchronous: bool = False) -> type:
    """A KernelManager whose kernel talks over Unix sockets under ``socket_prefix``: no
    TCP ports, nothing reachable from outside, no warning about unencrypted TCP. nbclient
    creates and owns it, so it also shuts the kernel down and closes the channels.

    ``asynchronous`` gives an ``AsyncKernelManager`` (its client does not block the event
    loop, so time limits and dead-kernel checks run while a cell is busy)."""
    from jupyter_client.manager import AsyncKernelManager, KernelManager

    base: type = AsyncKernelManager if asynchronous else KernelManager

    class IPCKernelManager(base):
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


def kernel_for(nb: Notebook, kernel_name: str | None = None) -> tuple[str | None, str]:
    """(the kernel to run ``nb`` with, why there is none): ``kernel_name``, else the one its
    ``kernelspec`` names, else ``python3`` for a Python notebook."""
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
    text = " ".join(ANSI_ESCAPE.sub("", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- running ---------------------------------------------------------------------------------


def notebook_steps(nb: Notebook) -> list[Step]:
    """The cells of ``nb`` that run: code, not blank, not tagged ``skip``."""
    return [Step(c.source, c.index, tuple(c.tags)) for c in nb.cells
            if c.is_code and c.source.strip() and "skip" not in c.nb2prod_tags]


def run_notebook(
    nb: Notebook,
    options: RunOptions | None = None,
    *,
    cwd: Path | None = None,
    allow_errors: bool = False,
    after: Sequence[Step] = (),
    on_cell_start: OnCellStart | None = None,
) -> NotebookRun:
    """Run a copy of ``nb`` top to bottom in a fresh kernel (see :func:`run_cells`), in
    ``cwd`` (default: the notebook's folder), with the kernel :func:`kernel_for` names;
    ``skipped`` when it has no cell to run."""
    options = options or RunOptions()
    steps = notebook_steps(nb)
    if not steps:
        return NotebookRun(SKIPPED, message="no code cells to run")
    name, why = kernel_for(nb, options.kernel_name)
    if name is None:
        return NotebookRun(NO_KERNEL, message=why, reason="not-recorded")
    workdir = cwd or (nb.path.parent if nb.path is not None else Path.cwd())
    return run_cells(steps, options, kernel=name, cwd=workdir, allow_errors=allow_errors, after=after,
                     on_cell_start=on_cell_start)


def run_cells(
    steps: Sequence[Step],
    options: RunOptions,
    *,
    kernel: str,
    cwd: Path,
    allow_errors: bool = False,
    after: Sequence[Step] = (),
    on_cell_start: OnCellStart | None = None,
    before: Sequence[Step] = (),
) -> NotebookRun:
    """Run ``steps`` then ``after`` in one fresh ``kernel``; never raises for anything the
    code or its kernel does (only for bugs, KeyboardInterrupt, and what ``on_cell_start``
    raises).

    ``options.cell_timeout`` bounds each step, ``options.timeout`` (0: no limit) the whole
    run, kernel start included; on either, the kernel is killed and the outcome is
    ``timed-out``. A step that raises stops the run (``cell-raised``) unless it is tagged
    ``raises-exception`` or ``allow_errors`` is set; either way its ``CellRun.error`` holds
    the exception. ``after`` runs only when ``steps`` ran through; ``on_cell_start(i,
    step)`` is called before each step, ``i`` counting ``steps`` then ``after`` from 0.

    ``before`` is the caller's own setup (the build's lineage hook), run first in the same
    kernel: ``on_cell_start`` is not called for it and ``NotebookRun.cells`` holds it only
    when it stops the run (then as the last one, like any step that does).
    """
    started = time.monotonic()
    missing = _missing_kernel(kernel)
    if missing:
        return NotebookRun(NO_KERNEL, message=missing, reason="not-installed", kernel=kernel,
                           seconds=time.monotonic() - started)
    limit = options.run_limit
    job = _Job(list(steps), list(after), kernel, options.cell_timeout, limit,
               None if limit is None else started + limit, Path(cwd), allow_errors, on_cell_start, list(before))
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
    def __init__(self, steps: list[Step], after: list[Step], kernel: str, cell_timeout: int, timeout: int | None,
                 deadline: float | None, cwd: Path, allow_errors: bool, on_cell_start: OnCellStart | None,
                 before: list[Step] | None = None) -> None:
        self.before = before or []
        self.steps = steps
        self.after = after
        self.kernel = kernel
        self.cell_timeout = cell_timeout
        self.timeout = timeout
        self.deadline = deadline
        self.cwd = cwd
        self.allow_errors = allow_errors
        self.on_cell_start = on_cell_start
        self.replies: dict[int, dict[str, Any]] = {}
        self.result = NotebookRun(RAN, kernel=kernel)

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def _run_timeout(self) -> str:
        return f"the notebook ran longer than its time limit of {self.timeout} s"

    def _stop(self, outcome: str, step: Step | None, message: str, reason: str = "") -> None:
        result = self.result
        result.outcome, result.message, result.reason = outcome, message, reason
        if step is not None:
            result.failed_cell, result.failed_step = step.index, step.name

    async def run(self) -> NotebookRun:
        from nbformat import v4

        everything = self.before + self.steps + self.after
        book = v4.new_notebook()
        for step in everything:
            book.cells.append(v4.new_code_cell(step.source, metadata={"tags": list(step.tags)}))
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
                await asyncio.wait_for(self._run(client, book, everything), timeout=limit)
            except asyncio.TimeoutError:
                # nbclient ignored its time limits: give up on it all the same.
                running = everything[len(self.before) + len(self.result.cells) - 1] if self.result.cells else None
                self._stop(TIMED_OUT, running, self._run_timeout(), "run")
            finally:
                await _shutdown(client)
        return self.result

    async def _start_kernel(self, client: Any) -> bool:
        from jupyter_client.kernelspec import NoSuchKernel

        try:
            await client.async_start_new_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            remaining = self.remaining()
            client.startup_timeout = _STARTUP_TIMEOUT if remaining is None else max(1, min(
                _STARTUP_TIMEOUT, math.ceil(remaining)))
            await client.async_start_new_kernel_client()
        except NoSuchKernel:
            self._stop(NO_KERNEL, None, f"no Jupyter kernel named {self.kernel!r} is installed here", "not-installed")
            return False
        except Exception as exc:
            remaining = self.remaining()
            if remaining is not None and remaining <= 0:
                self._stop(TIMED_OUT, None, self._run_timeout(), "run")
                return False
            self._stop(NO_KERNEL, None, f"kernel {self.kernel!r} did not start: "
                       f"{_one_line(str(exc)) or type(exc).__name__}", "did-not-start")
            return False
        return True

    async def _run(self, client: Any, book: Any, everything: list[Step]) -> None:
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        if not await self._start_kernel(client):
            return
        result = self.result
        setup = len(self.before)
        for i, (step, node) in enumerate(zip(everything, book.cells, strict=True)):
            remaining = self.remaining()
            if remaining is not None and remaining <= 0:
                self._stop(TIMED_OUT, step, self._run_timeout(), "run")
                return
            by_run = remaining is not None and remaining < self.cell_timeout  # the run's limit comes first
            client.timeout = max(1, math.ceil(remaining)) if remaining is not None and by_run else self.cell_timeout
            if self.on_cell_start is not None and i >= setup:
                self.on_cell_start(i - setup, step)
            run = CellRun(step.index)
            if i >= setup:
                result.cells.append(run)
            start = time.monotonic()
            try:
                await client.async_execute_cell(node, i, execution_count=client.code_cells_executed + 1)
            except CellTimeoutError:
                if i < setup:
                    result.cells.append(run)
                message = self._run_timeout() if by_run else (
                    f"the cell ran longer than the cell time limit of {self.cell_timeout} s")
                run.error = ("TimeoutError", message, [])
                self._stop(TIMED_OUT, step, message, "run" if by_run else "cell")
                return
            except DeadKernelError:
                if i < setup:
                    result.cells.append(run)
                message = "the kernel died (a crash in native code, out of memory, or os._exit)"
                run.error = ("DeadKernelError", message, [])
                self._stop(KERNEL_DIED, step, message)
                return
            finally:
                run.seconds = time.monotonic() - start
                run.outputs = [_plain(o) for o in node.get("outputs", [])]
            run.error = _error_of(self.replies.get(i), run.outputs)
            if run.error is not None and not (self.allow_errors or step.may_raise):
                if i < setup:
                    result.cells.append(run)
                ename, evalue, _ = run.error
                evalue = _CELL_FILE.sub("", evalue)
                self._stop(CELL_RAISED, step, _one_line(f"{ename}: {evalue}" if evalue.strip() else ename))
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


# SyntaxError values name the file IPython compiled the cell as: `(3512.py, line 2)`.
_CELL_FILE = re.compile(r"\s*\((?:\d+\.py|<ipython-input-[^>]*>), line \d+\)\s*$")


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
