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
    "ApiError", "Nb2prodLab", "ServerState", "fix_payload", "lint_payload", "notebook_edits", "resolve_path",
    "rules_payload", "setup_handlers", "tags_payload",
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
    return {
        "path": rel,
        **_result_payload(result, cell_sources(notebook), root),
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def _result_payload(result: Any, sources: dict[int, str], root: Path) -> dict[str, Any]:
    counts = Counter(f.severity.label for f in result.findings)
    return {
        "score": result.score.to_dict() if result.score else None,
        "findings": [finding_dict(f, sources, root) for f in result.findings],
        "counts": {label: counts[label] for label in reversed(SEVERITIES)},
        "notices": [*result.notices, *result.internal_errors],
    }


def cell_sources(notebook: Any) -> dict[int, str]:
    """The source of each cell (1-based over all cells, as findings count them) as one
    string: what a fix's Python offsets index into."""
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    out: dict[int, str] = {}
    for index, cell in enumerate(cells if isinstance(cells, list) else [], start=1):
        src = cell.get("source") if isinstance(cell, dict) else None
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        out[index] = src if isinstance(src, str) else ""
    return out


def _relative_to_root(root: Path, file: str | Path) -> str | None:
    """``file`` as a path relative to the server root, or None when it is not under it."""
    try:
        resolved = Path(file).resolve()
    except (OSError, RuntimeError):
        return None
    if resolved != root and resolved.is_relative_to(root):
        return resolved.relative_to(root).as_posix()
    return None


def finding_dict(finding: Any, sources: dict[int, str], root: Path) -> dict[str, Any]:
    """A finding as ``nb2prod lint --format json`` has it, its fix's source edits with
    UTF-16 offsets (what JavaScript strings index by) into the cell as linted, and each
    dependency-file edit with the file's change (``path`` relative to the server root,
    ``before``/``after`` texts; ``path`` null when the file is outside the root)."""
    d = finding.to_dict()
    if finding.fix is None:
        return d
    fix = finding.fix.to_dict(sources=sources)
    for edit in fix["edits"]:
        if edit.get("kind") == "requirement":
            edit.update(_requirement_change(root, edit))
    d["fix"] = fix
    return d


def _requirement_change(root: Path, edit: dict[str, Any]) -> dict[str, Any]:
    from nb2prod.fixes.depfiles import edit_requirements

    file = Path(edit["file"])
    rel = _relative_to_root(root, file)
    try:
        before = _read_text(file)
        after = edit_requirements(file, before, [(edit["package"], edit["version"])])
    except Exception as exc:  # the fix is shown, not offered as a file change
        return {"path": rel, "before": None, "after": None, "error": one_line(str(exc))}
    return {"path": rel, "before": before, "after": after}


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None



class FixError(Exception):
    """The fixed notebook cannot be handed to the page as edits (a bug of a rule's fix)."""


def fix_payload(
    notebook: Any, path: Path | None, rel: str | None, root: Path, *, unsafe: bool, codes: frozenset[str] | None
) -> dict[str, Any]:
    """Fix a notebook model as the page has it, in memory (no file is written), with
    :func:`nb2prod.fixes.run.fix_notebook_data`, and say what changed as edits the page
    applies to its live model, relative to the notebook posted: ``edits`` (a minimal
    source replacement per changed cell, with UTF-16 offsets; cells deleted; outputs
    cleared; notebook metadata keys set), ``files`` (dependency-file changes, which the
    page writes through ``POST /nb2prod/fix/file``), ``diff`` (a cell-aware diff) and
    ``fixed`` (findings fixed, by code)."""
    import copy

    from nb2prod.config import ConfigError, settings_for
    from nb2prod.fixes.apply import FixConflict
    from nb2prod.fixes.run import fix_notebook_data
    from nb2prod.notebook import NotebookError, notebook_from_dict

    started = time.perf_counter()
    if notebook.get("nbformat") != 4:
        raise LintInputError("fixes edit nbformat 4 notebooks only")
    try:
        settings = settings_for(path if path is not None else root / "Untitled.ipynb")
    except ConfigError as exc:
        raise LintInputError(str(exc)) from None
    try:
        data = copy.deepcopy(notebook)
        before_model = notebook_from_dict(copy.deepcopy(notebook), path=path)
    except NotebookError as exc:
        raise LintInputError(f"invalid notebook: {exc}") from None
    except RecursionError:
        raise LintInputError("invalid notebook: nested too deeply") from None
    if not isinstance(data.get("cells"), list):
        raise LintInputError("invalid notebook: no cell list")
    originals = list(data["cells"])  # the cell objects, which the fixes change in place
    try:
        fixed, files, result = fix_notebook_data(data, path, settings, unsafe=unsafe, only=codes)
    except FixConflict as exc:
        raise FixError(f"a fix did not apply ({exc})") from None
    if before_model.schema_error is None:
        after_error = notebook_from_dict(copy.deepcopy(data), path=path).schema_error
        if after_error is not None:
            raise FixError(f"the fixed notebook would not be valid nbformat ({after_error})")
    edits = notebook_edits(notebook, originals, data)
    changes = []
    for file, (old, new) in sorted(files.items()):
        rel_file = _relative_to_root(root, file)
        changes.append({"path": rel_file, "name": file.name, "before": old, "after": new,
                        "created": old is None, "writable": rel_file is not None})
    return {
        "path": rel,
        "unsafe": unsafe,
        "fixed": dict(sorted(fixed.items())),
        "fixed_total": sum(fixed.values()),
        "edits": edits,
        "files": changes,
        "diff": fix_diff(notebook, data, files, root, rel),
        "remaining": len(result.findings),
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def _output_edits(old: dict[str, Any], new: dict[str, Any], where: dict[str, Any], number: int) -> list[dict[str, Any]]:
    """The clear_outputs edits that turn ``old``'s outputs into ``new``'s: all cleared (with
    the execution count), or some removed (last first, so the indices stay right)."""
    before, after = old.get("outputs") or [], new.get("outputs") or []
    if not after and new.get("execution_count") is None:
        return [{"kind": "clear_outputs", **where, "output": None}]
    if new.get("execution_count") == old.get("execution_count"):
        removed, j = [], 0
        for k, out in enumerate(before):
            if j < len(after) and after[j] == out:
                j += 1
            else:
                removed.append(k + 1)
        if j == len(after):
            return [{"kind": "clear_outputs", **where, "output": k} for k in reversed(removed)]
    raise FixError(f"a fix changed the outputs of cell {number} other than by clearing or removing them")


def notebook_edits(before: dict[str, Any], originals: list[Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The edits that turn ``before`` (the notebook as posted) into ``after`` (fixed):
    fixes change cells in place and delete them, never add or move one, so a cell of
    ``after`` is the same object as one of ``originals`` (``before``'s cells, copied)."""
    from nb2prod.fixes.model import utf16_offset

    old_cells = before["cells"]
    index_of = {id(cell): i for i, cell in enumerate(originals)}
    kept: list[int] = []
    for cell in after.get("cells", []):
        i = index_of.get(id(cell))
        if i is None or (kept and i <= kept[-1]):
            raise FixError("a fix added or moved a cell")
        kept.append(i)
    edits: list[dict[str, Any]] = []
    sources = cell_sources(before)
    new_sources = cell_sources({"cells": [after["cells"][k] for k in range(len(kept))]})
    for position, i in enumerate(kept):
        old, new = old_cells[i], after["cells"][position]
        cell_id = old.get("id") if isinstance(old.get("id"), str) else None
        where = {"cell": i + 1, "cell_id": cell_id}
        a, b = sources[i + 1], new_sources[position + 1]
        if a != b:
            start = 0
            limit = min(len(a), len(b))
            while start < limit and a[start] == b[start]:
                start += 1
            end_a, end_b = len(a), len(b)
            while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
                end_a, end_b = end_a - 1, end_b - 1
            edits.append({"kind": "source", **where, "start": start, "end": end_a,
                          "start_utf16": utf16_offset(a, start), "end_utf16": utf16_offset(a, end_a),
                          "text": b[start:end_b]})
        if (old.get("outputs"), old.get("execution_count")) != (new.get("outputs"), new.get("execution_count")):
            edits.extend(_output_edits(old, new, where, i + 1))
        rest = {k for k in {*old, *new} if k not in ("source", "outputs", "execution_count")}
        if any(old.get(k) != new.get(k) for k in rest):
            raise FixError(f"a fix changed cell {i + 1} in a way the panel cannot apply")
    for i in sorted(set(range(len(old_cells))) - set(kept)):
        old = old_cells[i]
        edits.append({"kind": "delete_cell", "cell": i + 1,
                      "cell_id": old.get("id") if isinstance(old.get("id"), str) else None})
    meta_old, meta_new = before.get("metadata") or {}, after.get("metadata") or {}
    for key in sorted({*meta_old, *meta_new}):
        if key not in meta_new:
            raise FixError(f"a fix removed the notebook metadata {key!r}")
        if meta_old.get(key) != meta_new[key] or key not in meta_old:
            edits.append({"kind": "metadata", "key": key, "value": meta_new[key]})
    for key in {*before, *after} - {"cells", "metadata"}:
        if before.get(key) != after.get(key):
            raise FixError(f"a fix changed the notebook's {key!r}")
    return edits


def fix_diff(
    before: dict[str, Any], after: dict[str, Any], files: dict[Path, tuple[str | None, str]], root: Path,
    rel: str | None,
) -> str:
    """A cell-aware diff of the fix (:mod:`nb2prod.fixes.diff`), with the dependency
    files' diffs; paths relative to the server root."""
    from nb2prod.fixes.diff import file_diff, notebook_diff

    parts = [notebook_diff(rel or "notebook.ipynb", before, after)]
    for file, (old, new) in sorted(files.items()):
        parts.append(file_diff(Path(_relative_to_root(root, file) or file.name), old, new))
    return "".join(parts)


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

    def notebook_request(self) -> tuple[dict[str, Any], dict[str, Any], str | None, Path | None]:
        """(body, notebook, path relative to the root, absolute path) of a request that
        posts a notebook (lint, fix); the path is optional."""
        body = self.body()
        notebook = body.get("notebook")
        if not isinstance(notebook, dict):
            raise ApiError(400, "'notebook' must be the notebook as nbformat 4 JSON (an object)")
        rel: str | None = None
        path: Path | None = None
        if body.get("path") is not None:
            rel, path = resolve_path(self.state.root, body["path"])
        return body, notebook, rel, path

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
        body, notebook, rel, path = self.notebook_request()
        loop = asyncio.get_running_loop()
        try:
            payload = await loop.run_in_executor(
                self.state.executor, lint_payload, notebook, path, rel, self.state.root
            )
        except LintInputError as exc:
            raise ApiError(400, str(exc)) from None
        self.reply(payload)


def _codes(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(c, str) and c.strip() for c in value):
        raise ApiError(400, "'codes' must be a list of rule codes (e.g. [\"NB102\"])")
    return frozenset(c.strip().upper() for c in value)


class FixHandler(_Handler):
    """Fixes the posted notebook in memory; the page applies the edits to its model."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body, notebook, rel, path = self.notebook_request()
        unsafe = _flag(body, "unsafe")
        codes = _codes(body.get("codes"))
        loop = asyncio.get_running_loop()
        try:
            payload = await loop.run_in_executor(
                self.state.executor,
                lambda: fix_payload(notebook, path, rel, self.state.root, unsafe=unsafe, codes=codes),
            )
        except LintInputError as exc:
            raise ApiError(400, str(exc)) from None
        except FixError as exc:
            raise ApiError(500, str(exc)) from None
        self.reply(payload)


# The files a fix may write: the dependency files nb2prod edits (nb2prod.fixes.depfiles).
def is_dependency_file(rel: str) -> bool:
    p = PurePosixPath(rel)
    name = p.name.lower()
    if name in ("pyproject.toml", "environment.yml", "environment.yaml"):
        return True
    if name.endswith((".txt", ".in")):
        return name.startswith("requirements") or (p.parent.name.lower() == "requirements")
    return False


class FixFileHandler(_Handler):
    """Writes one dependency file a fix changed: atomically, and only if the file is
    still what the fix was computed from (``before``; null: it must not exist)."""

    @tornado.web.authenticated
    @authorized
    def post(self) -> None:
        from nb2prod.nbwrite import write_atomic

        body = self.body()
        rel, full = resolve_path(self.state.root, body.get("path"))
        before, after = body.get("before"), body.get("after")
        if before is not None and not isinstance(before, str):
            raise ApiError(400, "'before' must be the file's text the fix was computed from, or null (a new file)")
        if not isinstance(after, str):
            raise ApiError(400, "'after' must be the file's new text")
        if not is_dependency_file(rel):
            raise ApiError(403, f"{rel}: fixes write dependency files only (requirements*.txt, pyproject.toml, "
                           "environment.yml)")
        if not full.parent.is_dir():
            raise ApiError(404, f"{PurePosixPath(rel).parent}: no such folder")
        if full.exists() and not full.is_file():
            raise ApiError(409, f"{rel} is not a regular file")
        try:
            current: str | None = full.read_text(encoding="utf-8") if full.exists() else None
        except (OSError, UnicodeDecodeError) as exc:
            raise ApiError(409, f"{rel} cannot be read: {exc}") from None
        if current != before:
            what = "exists now" if before is None else "no longer exists" if current is None else "changed"
            raise ApiError(409, f"{rel} {what} since the fix was computed: lint again and fix again")
        if current != after:
            write_atomic(full, after)
        self.reply({"path": rel, "written": current != after, "created": current is None})


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
            (url_path_join(base, "fix"), FixHandler),
            (url_path_join(base, "fix", "file"), FixFileHandler),
            (url_path_join(base, "builds"), BuildsHandler),
            (url_path_join(base, "builds", r"([^/]+)"), BuildHandler),
        ],
    )
    return state
