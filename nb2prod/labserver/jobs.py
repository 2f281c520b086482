"""Builds started from JupyterLab, run as background jobs of the server.

A job runs :func:`nb2prod.converter.build` (the same call the CLI makes) in a thread of its
own; the notebook runs in a fresh kernel process, as with ``nb2prod build``. The events
of :mod:`nb2prod.converter.events` are recorded as they come, so the page can poll them with
``?since=N``; the absolute paths under the server root in them (and in the error) are
recorded relative to the root, as the page names files. At most ``max_running`` builds
run at once. Finished jobs are kept in memory, the oldest dropped beyond a bound.

Nothing here imports jupyter_server or tornado: the handlers call it from the event loop,
the build thread writes to it, and a lock keeps the two apart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nb2prod.converter import BuildError, BuildOptions, Event, build
from nb2prod.converter.errors import safe_message

__all__ = [
    "BuildJob", "BuildJobs", "MAX_RUNNING", "TargetBusy", "TooManyBuilds", "RUNNING", "SUCCEEDED", "FAILED",
    "root_relative",
]

RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"
MAX_RUNNING = 2  # builds running at once by default (each runs a kernel): c.Nb2prodLab.max_running_builds
log = logging.getLogger(__name__)


class TargetBusy(Exception):
    """Another build is writing the same output folder."""


class TooManyBuilds(Exception):
    """As many builds as allowed are running already."""


# What may follow a path in a message without being part of it.
_PATH_END = r"""(?=$|[\s'"`,;:)\]}>]|\.(?:$|\s))"""


def root_relative(root: Path | None) -> Callable[[str], str]:
    """A function that rewrites, in a text, the absolute paths under ``root`` to paths
    relative to it (``/srv/root/dir/nb-service`` -> ``dir/nb-service``; the root itself ->
    ``.``), whatever separator follows the root and however many. Only whole path
    components match: ``/srv/root2`` and ``/x/srv/root`` are left alone. A root that is a
    filesystem root (``/``, ``C:\\``) has no prefix to strip: the text is kept."""
    prefix = str(root).rstrip("/\\") if root is not None else ""
    if not prefix or prefix.endswith(":"):
        return lambda text: text
    pattern = re.compile(
        r"(?<![\w.~/\\-])" + re.escape(prefix) + r"(?:(?P<sep>[/\\]+)(?=[^/\\\s'\"`])|[/\\]*" + _PATH_END + ")"
    )

    def rewrite(text: str) -> str:
        if prefix not in text:
            return text

        def repl(m: re.Match[str]) -> str:
            if m.group("sep"):
                return ""
            return "./" if text.startswith(".", m.end()) else "."  # "in /srv/root." -> "in ./."

        return pattern.sub(repl, text)

    return rewrite


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    return value


def _jsonable(value: Any) -> Any:
    """Event details as plain JSON (a detail the build adds later must not break a poll)."""
    return json.loads(json.dumps(value, default=str))


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


@dataclass
class BuildJob:
    id: str
    path: str  # the notebook, relative to the server root (as the page sent it)
    output: str  # the output folder, relative to the server root
    options: BuildOptions
    status: str = RUNNING
    events: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    # Rewrites the absolute paths under the server root in messages (see root_relative).
    relative: Callable[[str], str] = field(default=lambda text: text, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def target(self) -> Path:
        assert self.options.output is not None
        return self.options.output

    def record(self, event: Event) -> None:
        item = {"index": 0, **_map_strings(_jsonable(event.to_dict()), self.relative)}
        with self._lock:
            item["index"] = len(self.events)
            self.events.append(item)

    def _fields(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "output": self.output,
            "status": self.status,
            "result": self.result,
            "error": self.error,
            "started": self.started,
            "finished": self.finished,
        }

    def summary(self) -> dict[str, Any]:
        """The job without its events (``GET /nb2prod/builds``)."""
        with self._lock:
            return self._fields()

    def snapshot(self, since: int = 0) -> dict[str, Any]:
        """The job with its events from index ``since`` on, and where the next poll starts."""
        with self._lock:
            return {**self._fields(), "events": self.events[since:], "next": len(self.events)}

    def _finish(self, status: str, result: dict[str, Any] | None = None, error: str | None = None) -> None:
        if error is not None:
            error = self.relative(error)
        with self._lock:
            self.status, self.result, self.error, self.finished = status, result, error, time.time()


class BuildJobs:
    """The server's build jobs: at most one running per output folder and at most
    ``max_running`` in all (0: no limit); the last ``keep`` finished ones are remembered.
    Paths under ``root`` in the jobs' events and errors are recorded relative to it."""

    def __init__(self, keep: int = 50, max_running: int = MAX_RUNNING, root: Path | None = None) -> None:
        self.keep = keep
        self.max_running = max_running
        self.root = root
        self.relative = root_relative(root)
        self._jobs: OrderedDict[str, BuildJob] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, path: str, output: str, options: BuildOptions) -> BuildJob:
        """Start a build in a background thread. Raises :class:`TargetBusy` (a build of the
        same output folder runs) or :class:`TooManyBuilds` (``max_running`` builds run)."""
        if options.output is None:
            raise ValueError("a job needs its output folder")
        job = BuildJob(id=secrets.token_hex(8), path=path, output=output, options=options, relative=self.relative)
        with self._lock:
            running = [other for other in self._jobs.values() if other.status == RUNNING]
            for other in running:
                if other.target == job.target:
                    raise TargetBusy(f"{output} is being built already (build {other.id})")
            if self.max_running and len(running) >= self.max_running:
                raise TooManyBuilds(
                    f"too many builds: {len(running)} running, and this server runs at most {self.max_running} "
                    "at a time; try again when one has ended"
                )
            self._jobs[job.id] = job
            self._prune()
        # A daemon thread: a server that stops does not wait for a build (its kernel, which
        # watches its parent process, exits with the server).
        threading.Thread(target=self._run, args=(job,), name=f"nb2prod-build-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> BuildJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def all(self) -> list[BuildJob]:
        with self._lock:
            return list(self._jobs.values())

    def _prune(self) -> None:
        finished = [j for j in self._jobs.values() if j.status != RUNNING]
        for job in finished[: max(0, len(finished) - self.keep)]:
            del self._jobs[job.id]

    def _run(self, job: BuildJob) -> None:
        try:
            result = build(job.options, job.record)
        except BuildError as exc:
            # The lint gate's advice names the CLI's flag; here it is the request's field.
            job._finish(FAILED, error=_one_line(str(exc)).replace("with --no-gate)", 'with "gate": false)'))
        except Exception as exc:  # a bug of nb2prod's: the job fails, the server goes on
            log.exception("nb2prod build %s of %s failed unexpectedly", job.id, job.path)
            job._finish(FAILED, error=safe_message(f"internal error: {type(exc).__name__}: {exc}"))
        else:
            if result.verified is False:
                job._finish(FAILED, error=f"the generated service failed its checks: {result.verify_summary}; "
                                                        f"see {job.output}/verify.log")
            else:
                job._finish(SUCCEEDED, result={
                    "output": job.output,
                    "project": result.project_name,
                    "package": result.package_name,
                    "verified": result.verified,
                })
        finally:
            _close_thread_loop()
            with self._lock:
                self._prune()


def _close_thread_loop() -> None:
    """Close the event loop the kernel client made for this thread (jupyter_core's
    ``run_sync`` sets one per thread and leaves it open): else each build leaks one."""
    try:
        loop = asyncio.get_event_loop()
    except RuntimeError:  # no loop was set in this thread
        return
    if not loop.is_running() and not loop.is_closed():
        loop.close()
    asyncio.set_event_loop(None)
