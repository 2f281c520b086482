"""One stream of progress events for every front end (CLI, JupyterLab, tests)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from nb2prod.converter.errors import BuildError, safe_message

__all__ = ["Event", "EventSink", "STAGES", "Reporter", "Stage"]

STAGES = ("lint", "analyse", "execute", "capture", "render", "verify")


@dataclass(frozen=True)
class Event:
    stage: str
    status: str  # "start" | "progress" | "done" | "skipped" | "failed"
    message: str = ""
    seconds: float | None = None  # for "done"/"failed": how long the stage took
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


EventSink = Callable[[Event], None]


class Reporter:
    """Sends events to a sink and times the stages.

    A stage runs inside :meth:`stage`, which emits its ``start``, then ``done`` (with its
    time and the :class:`Stage`'s summary) or ``failed`` (with the error's message) and
    re-raises. :meth:`start`, :meth:`done` and :meth:`failed` are the primitives it is made
    of; code inside a stage may use them to hand over to the next stage (the kernel runner
    closes ``execute`` and opens ``capture`` when the notebook's own cells have run), and
    the enclosing :meth:`stage` then ends whichever stage is running.
    """

    def __init__(self, sink: EventSink | None = None) -> None:
        self._sink = sink
        self._started: dict[str, float] = {}  # the running stages, in the order they started
        self.timings: dict[str, float] = {}

    def emit(self, event: Event) -> None:
        """Send ``event``, its message made safe to show (one line, secrets masked)."""
        if self._sink is not None:
            if event.message:
                event = replace(event, message=safe_message(event.message))
            self._sink(event)

    @contextmanager
    def stage(self, name: str, message: str = "") -> Iterator[Stage]:
        """Run a stage: ``with reporter.stage("execute", "running the notebook") as stage:``.

        Emits ``start``; on leaving, ``done`` for the stage then running (``name``, or the
        one it handed over to) with :meth:`Stage.summary`'s message and detail; on an
        exception, ``failed`` for it with the exception's message, and re-raises. A stage
        already ended by :meth:`Stage.fail` emits nothing more."""
        handle = Stage(self, name, before=set(self._started))
        self.start(name, message)
        try:
            yield handle
        except Exception as exc:
            if handle.running is not None:
                self.failed(handle.running, str(exc) if isinstance(exc, BuildError) else f"{type(exc).__name__}: {exc}")
            raise
        if handle.running is not None:
            self.done(handle.running, handle.message, **handle.detail)

    def start(self, stage: str, message: str = "") -> None:
        self._started[stage] = time.perf_counter()
        self.emit(Event(stage, "start", message))

    def progress(self, stage: str, message: str, **detail: Any) -> None:
        self.emit(Event(stage, "progress", message, detail=detail))

    def done(self, stage: str, message: str = "", **detail: Any) -> None:
        seconds = time.perf_counter() - self._started.pop(stage, time.perf_counter())
        self.timings[stage] = seconds
        self.emit(Event(stage, "done", message, seconds=seconds, detail=detail))

    def failed(self, stage: str, message: str) -> None:
        seconds = time.perf_counter() - self._started.pop(stage, time.perf_counter())
        self.emit(Event(stage, "failed", message, seconds=seconds))

    def skipped(self, stage: str, message: str = "") -> None:
        self.emit(Event(stage, "skipped", message))


class Stage:
    """The handle of a :meth:`Reporter.stage` block (stages run one after another)."""

    def __init__(self, reporter: Reporter, name: str, before: set[str]) -> None:
        self._reporter = reporter
        self._name = name
        self._before = before  # the stages running when the block began: not this block's
        self.message = ""
        self.detail: dict[str, Any] = {}

    @property
    def running(self) -> str | None:
        """The stage this block runs now: the last one started in it and not yet ended."""
        opened = [s for s in self._reporter._started if s not in self._before]
        return opened[-1] if opened else None

    @property
    def name(self) -> str:
        return self.running or self._name

    def progress(self, message: str, **detail: Any) -> None:
        self._reporter.progress(self.name, message, **detail)

    def summary(self, message: str, **detail: Any) -> None:
        """What the ``done`` event says when the block ends without an exception."""
        self.message, self.detail = message, detail

    def then(self, name: str, message: str = "", *, done: str = "", **detail: Any) -> None:
        """End the running stage (``done``, saying ``done``, with ``detail``) and start
        ``name`` in this block."""
        if self.running is not None:
            self._reporter.done(self.running, done, **detail)
        self._reporter.start(name, message)

    def fail(self, message: str) -> None:
        """End the running stage as ``failed`` now, with ``message`` (the exception that
        follows, if any, may say more): the block emits nothing more."""
        if self.running is not None:
            self._reporter.failed(self.running, message)
