"""The REST handlers under ``{base_url}nb2prod/`` (contract: docs/jupyterlab.md, "REST API").

Thin layers over the core: linting is :func:`nb2prod.engine.lint_dict` on a thread pool
(never on the event loop), the rule table and tag vocabulary come from
:mod:`nb2prod.rules` and :mod:`nb2prod.tags`, builds are :func:`nb2prod.converter.build` run
as background jobs (:mod:`.jobs`). Every handler is authenticated and authorised
(resource ``nb2prod``); errors are ``{"message": "<one line>"}`` with 400, 403, 404, 409
or 429.

Configuration (traitlets, read from the server's config, e.g. ``jupyter_server_config.py``
or the command line): ``c.Nb2prodLab.max_running_builds`` (default 2, 0 for no limit), how
many builds may run at once across all output folders; one more is refused with 429.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado.httputil import responses
from traitlets import Integer
from traitlets.config import Configurable

from nb2prod import __version__
from nb2prod.labserver.jobs import MAX_RUNNING, BuildJobs, TargetBusy, TooManyBuilds
from nb2prod.textsafe import one_line, scrub_json

__all__ = [
    "ApiError", "Nb2prodLab", "ServerState", "lint_payload", "resolve_path", "rules_payload", "setup_handlers",
    "tags_payload",
]

SEVERITIES = ("info", "warning", "error")


class ApiError(tornado.web.HTTPError):
    """A client error with a one-line message for ``{"message": ...}``."""

    def __init__(self, status: int, message: str) -> None:
        self.message = " ".join(str(message).split())
        # "%s": tornado formats log_message with args when it logs the error.
        super().__init__(status, "%s", self.message)


class Nb2prodLab(Configurable):
    """The settings of nb2prod's server extension (``c.Nb2prodLab.<name>`` in the server's config)."""

    max_running_builds = Integer(
        MAX_RUNNING,
        min=0,
        config=True,
        help="How many builds may run at once, across all output folders (each runs the notebook in a "
        "kernel of its own); one more is refused with 429. 0: no limit.",
    )


@dataclass
class ServerState:
    root: Path
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=2, thread_name_prefix="nb2prod-lint")
    )
    jobs: BuildJobs = field(default_factory=BuildJobs)  # setup_handlers gives it the root and the limit


# -- the payloads (plain functions: no tornado, testable on their own) -------------------


def rules_payload() -> dict[str, Any]:
    from nb2prod.diagnostics import FAMILIES
    from nb2prod.rules import REGISTRY

    return {
        "version": __version__,
        "families": [
            {"key": f.key, "title": f.title, "weight": f.weight, "prefix": f.prefix, "summary": f.summary}
            for f in FAMILIES
        ],
        "rules": [
            {**{k: rule[k] for k in ("code", "name", "family", "severity", "summary")}, "explanation": rule["doc"]}
            for rule in (r.to_dict() for r in REGISTRY.values())
        ],
        "severities": list(SEVERITIES),
    }


def tags_payload() -> dict[str, Any]:
    from nb2prod.tags import NAMESPACE, TAGS

    return {
        "tags": [
            {
                "name": t.name,
                "meaning": t.summary,
                "executed_at_build": t.executed_at_build,
                "exported": t.exported,
                "defines": t.defines,
            }
            for t in TAGS.values()
        ],
        "comment": f"# {NAMESPACE}",
    }


class LintInputError(Exception):
    """The posted notebook or the configuration it falls under cannot be used."""


def lint_payload(notebook: Any, path: Path | None, rel: str | None, root: Path) -> dict[str, Any]:
    """Lint a notebook model as the page has it. ``path`` (inside ``root``) is where the
    notebook lives, for the configuration and the files beside it; without it the
    configuration is that of the server root."""
    from nb2prod.config import ConfigError, settings_for
    from nb2prod.engine import lint_notebook
    from nb2prod.notebook import NotebookError, notebook_from_dict

    started = time.perf_counter()
    try:
        settings = settings_for(path if path is not None else root / "Untitled.ipynb")
    except ConfigError as exc:
        raise LintInputError(str(exc)) from None
    try:
        nb = notebook_from_dict(notebook, path=path)
    except NotebookError as exc:
        raise LintInputError(f"invalid notebook: {exc}") from None
    except RecursionError:
        raise LintInputError("invalid notebook: nested too deeply") from None
    result = lint_notebook(nb, settings)
    counts = Counter(f.severity.label for f in result.findings)
    return {
        "path": rel,
        "score": result.score.to_dict() if result.score else None,
        "findings": [f.to_dict() for f in result.findings],
        "counts": {label: counts[label] for label in reversed(SEVERITIES)},
        "notices": [*result.notices, *result.internal_errors],
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def resolve_path(root: Path, value: Any, what: str = "path") -> tuple[str, Path]:
    """(normalised relative path, absolute path) of ``value``, a path relative to the
    server root. Absolute paths, ``..`` and symlinks that lead out of the root: 403."""
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"'{what}' must be a non-empty path relative to the server root")
    if "\x00" in value:
        raise ApiError(400, f"'{what}' contains a NUL character")
    posix, windows = PurePosixPath(value), PureWindowsPath(value)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or windows.root:
        raise ApiError(403, f"{value}: absolute paths are refused; give a path relative to the server root")
    if ".." in posix.parts or ".." in windows.parts:
        raise ApiError(403, f"{value}: '..' is refused; give a path inside the server root")
    rel = posix.as_posix()
    if rel == ".":
        raise ApiError(400, f"'{what}' must name a file or folder inside the server root, not the root itself")
    full = root / rel
    resolved = full.resolve()
    if resolved != root and not resolved.is_relative_to(root):
        raise ApiError(403, f"{rel}: leads outside the server root (a symbolic link?)")
    return rel, full


# -- handlers ----------------------------------------------------------------------------


class _Handler(APIHandler):
    auth_resource = "nb2prod"

    @property
    def state(self) -> ServerState:
        return self.settings["nb2prod"]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            message = exc.message
        elif isinstance(exc, tornado.web.HTTPError):
            if exc.log_message:
                try:
                    message = exc.log_message % exc.args if exc.args else exc.log_message
                except (TypeError, ValueError):
                    message = exc.log_message
            elif status_code == 403:
                message = "not authenticated: send the server's token (or log in)"
            else:
                message = exc.reason or responses.get(status_code, "error")
        else:  # a bug of ours; tornado has logged the traceback
            message = f"internal error in nb2prod: {type(exc).__name__}" if exc else "internal error in nb2prod"
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": one_line(" ".join(message.split()))}, ensure_ascii=False))

    def body(self) -> dict[str, Any]:
        raw = self.request.body
        if not raw or not raw.strip():
            raise ApiError(400, "the request body must be a JSON object")
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ApiError(400, f"the request body is not valid JSON: {reason}") from None
        if not isinstance(data, dict):
            raise ApiError(400, f"the request body must be a JSON object, not {type(data).__name__}")
        return data

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        # A notebook may hold lone surrogates ("\ud800" is valid JSON): no UTF-8 encoder takes them.
        self.finish(json.dumps(scrub_json(data), ensure_ascii=False))


class RulesHandler(_Handler):
    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        self.reply(rules_payload())


class TagsHandler(_Handler):
    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        self.reply(tags_payload())


class LintHandler(_Handler):
    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body()
        notebook = body.get("notebook")
        if not isinstance(notebook, dict):
            raise ApiError(400, "'notebook' must be the notebook as nbformat 4 JSON (an object)")
        rel: str | None = None
        path: Path | None = None
        if body.get("path") is not None:
            rel, path = resolve_path(self.state.root, body["path"])
        loop = asyncio.get_running_loop()
        try:
            payload = await loop.run_in_executor(
                self.state.executor, lint_payload, notebook, path, rel, self.state.root
            )
        except LintInputError as exc:
            raise ApiError(400, str(exc)) from None
        self.reply(payload)


def _parameters(value: Any) -> dict[str, Any]:
    from nb2prod.converter import BuildError
    from nb2prod.converter.plan import parse_parameter

    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(400, "'parameters' must be an object of name: value")
    out: dict[str, Any] = {}
    for name, raw in value.items():
        if isinstance(raw, bool) or raw is None or isinstance(raw, (int, float)):
            raw = repr(raw)  # a JSON scalar: as a Python literal, as `-p` would take it
        if not isinstance(raw, str):
            raise ApiError(400, f"parameter {name!r}: the value must be a string (as on the command line)")
        try:
            key, parsed = parse_parameter(f"{name}={raw}")
        except BuildError as exc:
            raise ApiError(400, str(exc)) from None
        out[key] = parsed
    return out


def _flag(body: dict[str, Any], key: str, default: bool = False) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise ApiError(400, f"'{key}' must be true or false")
    return value


class BuildsHandler(_Handler):
    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        self.reply({"builds": [job.summary() for job in self.state.jobs.all()]})

    @tornado.web.authenticated
    @authorized
    def post(self) -> None:
        from nb2prod.converter import BuildError, BuildOptions
        from nb2prod.converter.pipeline import check_target, real_path

        body = self.body()
        root = self.state.root
        rel, notebook = resolve_path(root, body.get("path"))
        if not notebook.is_file():
            raise ApiError(404, f"{rel}: no such notebook")
        output = body.get("output")
        if output is None:
            output = PurePosixPath(rel).with_name(f"{PurePosixPath(rel).stem}-service").as_posix()
        out_rel, target = resolve_path(root, output, "output")
        parameters = _parameters(body.get("parameters"))
        force, verify, gate = _flag(body, "force"), _flag(body, "verify"), _flag(body, "gate", True)
        target = real_path(target)
        if not target.parent.is_dir():
            raise ApiError(404, f"{PurePosixPath(out_rel).parent}: no such folder for the output")
        if target.is_dir() and any(target.iterdir()) and not force:
            raise ApiError(409, f"{out_rel} is not empty: build with force to replace it")
        try:  # the build checks again; this answers at once (symbolic links resolved on both sides)
            check_target(target, force, notebook)
        except BuildError as exc:
            raise ApiError(409, self.state.jobs.relative(str(exc))) from None
        options = BuildOptions(
            notebook=notebook, output=target, parameters=parameters, verify=verify, force=force, gate=gate
        )
        try:
            job = self.state.jobs.start(rel, out_rel, options)
        except TargetBusy as exc:
            raise ApiError(409, str(exc)) from None
        except TooManyBuilds as exc:
            raise ApiError(429, str(exc)) from None
        self.set_header("Location", url_path_join(self.base_url, "nb2prod", "builds", job.id))
        self.reply({"id": job.id, "status": job.status, "url": f"/nb2prod/builds/{job.id}"}, status=202)


class BuildHandler(_Handler):
    @tornado.web.authenticated
    @authorized
    def get(self, build_id: str) -> None:
        raw = self.get_query_argument("since", "0")
        try:
            since = int(raw)
        except ValueError:
            since = -1
        if since < 0:
            raise ApiError(400, f"'since' must be a non-negative integer, not {raw!r}")
        job = self.state.jobs.get(build_id)
        if job is None:
            raise ApiError(404, f"no build {build_id!r} (builds are forgotten when the server restarts)")
        self.reply(job.snapshot(since))


def setup_handlers(serverapp: Any) -> ServerState:
    web_app = serverapp.web_app
    settings = Nb2prodLab(parent=serverapp)
    root = Path(serverapp.root_dir).expanduser().resolve()
    state = ServerState(root=root, jobs=BuildJobs(max_running=settings.max_running_builds, root=root))
    web_app.settings["nb2prod"] = state
    base = url_path_join(web_app.settings["base_url"], "nb2prod")
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "rules"), RulesHandler),
            (url_path_join(base, "tags"), TagsHandler),
            (url_path_join(base, "lint"), LintHandler),
            (url_path_join(base, "builds"), BuildsHandler),
            (url_path_join(base, "builds", r"([^/]+)"), BuildHandler),
        ],
    )
    return state
