"""One stream of progress events for every front end (CLI, JupyterLab, tests)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from nb2prod.converter.errors import safe_message

__all__ = ["Event", "EventSink", "STAGES", "Reporter"]

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
    """Sends events to a sink and times the stages."""

    def __init__(self, sink: EventSink | None = None) -> None:
        self._sink = sink
        self._started: dict[str, float] = {}
        self.timings: dict[str, float] = {}

    def emit(self, event: Event) -> None:
        """Send ``event``, its message made safe to show (one line, secrets masked)."""
        if self._sink is not None:
            if event.message:
                event = replace(event, message=safe_message(event.message))
            self._sink(event)

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
