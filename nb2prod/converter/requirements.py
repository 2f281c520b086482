"""Pinned means pinned: the generated project's requirements, their hashed lock, and ``--verify``.

**Requirements.** Every requirement of the generated project is ``name==version``:

- what the exported code and the artifacts' pickles import, at the version the build
  kernel had (``Capture.versions``), so the artifacts load with the libraries that made them;
- the serving stack, :data:`SERVICE_DISTRIBUTIONS` (what the service runtime imports), at the
  version installed where nb2prod runs (``importlib.metadata``), since the runtime was
  tested with it; a distribution installed in neither is resolved from the package index
  (``pip install --dry-run --ignore-installed --report``, together with the pins already
  known, so the set is consistent). When nothing resolves it, the build stops with one line.

**The hashed lock.** ``--verify`` resolves ``requirements.txt`` in its fresh venv with
``pip install --dry-run --ignore-installed --report``, writes ``requirements.lock`` (pip-compile
style: every distribution, transitive ones included, ``name==version`` with the
``--hash=sha256:`` of the file pip chose for this platform and Python), installs exactly that
with ``--require-hashes``, then the project and its tests. Where pip cannot report (pip < 22.2)
the lock is left out and the log says so.

**When verify fails**, :func:`verify_failure_summary` says why in one line, from the log: the
first failing test's node id and its first error line (pytest's short test summary, which
verify asks for with ``-ra -vv``: not cut to the width of a terminal), or the step that failed
and pip's first ``ERROR:`` line.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from nb2prod.converter.errors import BuildError
from nb2prod.deps import canonical

SERVICE_DISTRIBUTIONS = ("fastapi", "h11", "prometheus-client", "psycopg", "psycopg-binary", "pydantic", "starlette",
                         "uvicorn")
"""What the service runtime (``nb2prod/service_runtime``) imports: pinned in every generated project (psycopg, with
its C build ``psycopg-binary``: ``psycopg[binary]``, for the prediction store on PostgreSQL)."""
SAME_VERSION_AS = {"psycopg-binary": "psycopg"}
"""Serving distributions pinned at the version of another, whatever else is installed: psycopg's ``binary`` extra
requires ``psycopg-binary`` at psycopg's own version."""
LOCK_FILE = "requirements.lock"
REQUIREMENTS_FILE = "requirements.txt"
INDEX_TIMEOUT = 300
TESTS_LABEL = "running the generated tests"
PYTEST_OPTIONS = ("-ra", "-vv", "-p", "no:cacheprovider")
"""How verify runs the generated tests: a short test summary line (``FAILED tests/test_x.py::test_y -
AssertionError: ...``) for every test that failed or errored, its message whole (``-vv``: at the default
verbosity pytest cuts it to 80 columns, or drops it), each test on a line of its own; no cache written."""
STEP_MARK = "[verify] "
"""Starts the lines of the verify log that are not a command's output: a step's label, its exit status,
a reason to stop."""

Resolver = Callable[[Sequence[str]], dict[str, str]]
"""Requirements in, ``{canonical name: version}`` of every distribution they resolve to out."""


def installed_version(name: str) -> str | None:
    """The version of ``name`` installed in the environment nb2prod runs in, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def pinned_requirements(
    versions: Mapping[str, str],
    needed: Iterable[str],
    *,
    installed: Callable[[str], str | None] = installed_version,
    resolve: Resolver | None = None,
) -> list[str]:
    """``name==version`` for each ``needed`` distribution (at its version in ``versions``, the build
    kernel's) and each of :data:`SERVICE_DISTRIBUTIONS`, sorted by name.

    A serving distribution the kernel has keeps the kernel's version; else the installed one;
    else ``resolve`` (default: the package index, see :func:`resolve_from_index`) is asked for
    all those left at once; ``psycopg-binary`` then takes psycopg's version (:data:`SAME_VERSION_AS`).
    Raises :class:`BuildError` when some cannot be pinned.
    """
    kernel = {canonical(name): version for name, version in versions.items()}
    pins = {canonical(name): kernel[canonical(name)] for name in needed if canonical(name) in kernel}
    missing = []
    for name in SERVICE_DISTRIBUTIONS:
        if name in pins or name in SAME_VERSION_AS:
            continue
        version = kernel.get(name) or installed(name)
        if version:
            pins[name] = version
        else:
            missing.append(name)
    if missing:
        known = [f"{name}=={version}" for name, version in sorted(pins.items())]
        try:
            resolved = (resolve or resolve_from_index)([*known, *missing])
        except BuildError as exc:
            raise BuildError(f"cannot pin {', '.join(missing)}: installed neither in the build kernel nor where "
                             f"nb2prod runs, and {exc}; install them where nb2prod runs (pip install "
                             f"{' '.join(missing)}) and build again") from None
        unresolved = [name for name in missing if name not in resolved]
        if unresolved:
            raise BuildError(f"cannot pin {', '.join(unresolved)}: the package index resolved no version of it")
        pins.update({name: resolved[name] for name in missing})
    for name, leader in SAME_VERSION_AS.items():
        if leader in pins:
            pins[name] = pins[leader]
    return sorted((f"{name}=={version}" for name, version in pins.items()), key=str.lower)


def resolve_from_index(requirements: Sequence[str], python: str = sys.executable) -> dict[str, str]:
    """Resolve ``requirements`` with pip against the package index, installing nothing."""
    with tempfile.TemporaryDirectory(prefix="nb2prod-resolve-") as tmp:
        report = Path(tmp) / "report.json"
        command = [python, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                   "--disable-pip-version-check", "--report", str(report), *requirements]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                  timeout=INDEX_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BuildError(f"pip could not ask the package index ({exc})") from None
        if proc.returncode != 0 or not report.is_file():
            last = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
            raise BuildError(f"pip could not resolve them from the package index ({last.strip()})")
        return {name: version for name, version, _ in report_entries(json.loads(report.read_text(encoding="utf-8")))}


def report_entries(report: Mapping[str, Any]) -> list[tuple[str, str, str | None]]:
    """(canonical name, version, sha256 or None) of each distribution a ``pip install --report`` installs,
    sorted by name."""
    entries = []
    for item in report.get("install") or []:
        meta = item.get("metadata") or {}
        name, version = meta.get("name"), meta.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            continue
        archive = (item.get("download_info") or {}).get("archive_info") or {}
        digest = (archive.get("hashes") or {}).get("sha256")
        if digest is None and str(archive.get("hash", "")).startswith("sha256="):  # the older, single-hash field
            digest = str(archive["hash"]).split("=", 1)[1]
        entries.append((canonical(name), version, digest if isinstance(digest, str) else None))
    return sorted(entries)


def hashed_lock(report: Mapping[str, Any], source: str = REQUIREMENTS_FILE) -> str:
    """The text of ``requirements.lock`` from a ``pip install --dry-run --ignore-installed --report`` of
    ``source``: every distribution with ``==`` and its ``--hash=sha256:``, pip-compile style.

    Raises :class:`BuildError` if a distribution has no sha256 (a local folder or a VCS URL): a
    lock that ``--require-hashes`` refuses is no lock.
    """
    environment = report.get("environment") or {}
    where = ", ".join(str(environment[key]) for key in ("python_full_version", "sys_platform", "platform_machine")
                      if key in environment)
    lines = [
        f"# The hashed lock of {source}: every distribution the service installs, transitive ones",
        "# included, each with the sha256 of the file pip chose"
        + (f" for this environment ({where})." if where else "."),
        f"# Written by nb2prod build --verify from `pip install --dry-run --ignore-installed --report -r {source}`.",
        f"# Install exactly this: pip install --require-hashes --no-deps -r {LOCK_FILE}",
    ]
    entries = report_entries(report)
    unhashed = [name for name, _, digest in entries if digest is None]
    if unhashed:
        raise BuildError(f"cannot lock {', '.join(unhashed)}: pip reports no sha256 for them (not from an index)")
    for name, version, digest in entries:
        lines.append(f"{name}=={version} \\\n    --hash=sha256:{digest}")
    return "\n".join(lines) + "\n"


def locked_versions(text: str) -> dict[str, str]:
    """``{name: version}`` of a requirements or lock file's ``name==version`` lines."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", line.strip())
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


def run_step(log: list[str], label: str, command: Sequence[str], cwd: str | Path) -> bool:
    """Run one step of verify, recording in ``log`` its label, its command, its output and its exit status
    (what :func:`verify_failure_summary` reads); whether it succeeded."""
    try:
        proc = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        output, status = proc.stdout + proc.stderr, proc.returncode
    except OSError as exc:  # no such program (a project whose test extra lacks pytest), not executable...
        output, status = f"cannot run {command[0]}: {exc.strerror or exc}\n", 127
    if output and not output.endswith("\n"):
        output += "\n"
    log.append(f"{STEP_MARK}{label}\n$ {' '.join(command)}\n{output}{STEP_MARK}exit status {status}")
    return status == 0


def verify(project: Path, reporter: Any, python: str = sys.executable) -> tuple[bool, str]:
    """A fresh venv: the hashed lock of ``requirements.txt`` written into ``project`` and installed
    with ``--require-hashes``, then the project with its test extra, then its tests (run from
    ``project``, so that their node ids read ``tests/test_x.py::test_y``, by the venv's ``pytest``
    script, so that ``project`` is not on ``sys.path``: the tests import the installed package).

    Returns (passed, log); :func:`verify_failure_summary` of the log says why it did not pass.
    Where pip cannot write a report, the requirements are installed from ``requirements.txt``
    (pinned all the same) and the log says there is no lock.
    """
    with tempfile.TemporaryDirectory(prefix="nb2prod-verify-") as tmp:
        venv = Path(tmp) / "venv"
        venv_python = str(venv / "bin" / "python")
        pip = [venv_python, "-m", "pip", "--disable-pip-version-check"]
        report_path = Path(tmp) / "report.json"
        requirements = project / REQUIREMENTS_FILE
        log: list[str] = []

        def step(label: str, command: list[str], cwd: str | Path = tmp) -> bool:
            reporter.progress("verify", label)
            return run_step(log, label, command, cwd)

        if not step("creating a fresh virtual environment", [python, "-m", "venv", str(venv)]):
            return False, "\n".join(log)
        reported = step("resolving the pinned requirements (hashed lock)",
                        [*pip, "install", "--dry-run", "--ignore-installed", "--quiet", "--report",
                         str(report_path), "-r", str(requirements)])
        if not reported and "no such option" not in log[-1]:  # pip could report, and the resolution failed
            return False, "\n".join(log)
        if reported and report_path.is_file():
            try:
                lock = hashed_lock(json.loads(report_path.read_text(encoding="utf-8")))
            except (BuildError, ValueError) as exc:
                log.append(f"{STEP_MARK}no {LOCK_FILE}: {exc}")
                return False, "\n".join(log)
            (project / LOCK_FILE).write_text(lock, encoding="utf-8")
            install = [*pip, "install", "--quiet", "--no-compile", "--require-hashes", "--no-deps", "-r",
                       str(project / LOCK_FILE)]
            label = f"installing exactly {LOCK_FILE} (--require-hashes)"
        else:
            log.append(f"{STEP_MARK}no {LOCK_FILE}: this pip cannot report a resolution; installing "
                       f"{REQUIREMENTS_FILE}")
            install = [*pip, "install", "--quiet", "--no-compile", "-r", str(requirements)]
            label = f"installing {REQUIREMENTS_FILE}"
        steps = [
            (label, install),
            ("installing the package and its test dependencies",
             [*pip, "install", "--quiet", "--no-compile", "--constraint", str(requirements), f"{project}[test]"]),
        ]
        for label, command in steps:
            if not step(label, command):
                return False, "\n".join(log)
        reporter.progress("verify", "checking that the installed versions are the pinned ones")
        listed = subprocess.run([*pip, "list", "--format", "json"], capture_output=True, text=True,
                                stdin=subprocess.DEVNULL)
        try:
            have = {canonical(item["name"]): item["version"] for item in json.loads(listed.stdout)}
        except (ValueError, KeyError, TypeError):
            have = {}
        wanted = locked_versions(requirements.read_text(encoding="utf-8"))
        wrong = [f"{name}=={version} (installed: {have.get(name, 'none')})"
                 for name, version in sorted(wanted.items()) if have.get(name) != version]
        if wrong:
            log.append(f"{STEP_MARK}installed versions differ from {REQUIREMENTS_FILE}: {', '.join(wrong)}")
            return False, "\n".join(log)
        ok = step(TESTS_LABEL, [str(venv / "bin" / "pytest"), *PYTEST_OPTIONS, str(project / "tests")], cwd=project)
        return ok, "\n".join(log)


# ---- why verify failed, in one line ---------------------------------------------------------------------

MAX_SUMMARY_PART = 300
"""The longest error line a summary quotes (characters); a longer one is cut, with an ellipsis."""
_EXIT = re.compile(r"exit status (-?\d+)$")
_SUMMARY_LINE = re.compile(r"^(?P<word>FAILED|ERROR) (?P<node>\S+?(?:\[.*?\])?)(?: - (?P<message>.*))?$")
_SECTION = re.compile(r"^_{3,} (?P<title>.+?) _{3,}$")
_STATS = re.compile(r"^=*\s*(?P<stats>(?:\d+ [a-z]+(?:, )?)+)(?: in [\d.]+s.*?)?\s*=*$")


class _Step:
    """One step of a verify log: its label, command, output lines and exit status (None in a log that
    does not record it)."""

    def __init__(self, label: str, command: str) -> None:
        self.label, self.command = label, command
        self.output: list[str] = []
        self.status: int | None = None


def _parse_log(log: str) -> list[_Step | str]:
    """The steps of a verify log, and the lines of verify's own between them (a reason to stop), in order.

    A step is its ``[verify] label`` line, its ``$ command`` line, its output, and its ``[verify] exit status``
    line; in a log without exit statuses (an older nb2prod's), each ``$`` line starts a step.
    """
    marked = f"\n{STEP_MARK}exit status " in f"\n{log}"
    items: list[_Step | str] = []
    current: _Step | None = None
    label: str | None = None  # the `[verify] ...` line just read outside a step: the label of a step that follows
    for line in log.splitlines():
        if current is not None:
            exit_status = _EXIT.fullmatch(line[len(STEP_MARK):]) if line.startswith(STEP_MARK) else None
            if exit_status:
                current.status, current = int(exit_status.group(1)), None
                continue
            if marked or not line.startswith("$ "):
                current.output.append(line)
                continue
        if line.startswith("$ "):
            if label is not None:
                items.pop()
            current = _Step(label or "", line[2:])
            items.append(current)
            label = None
        elif line.strip():
            label = line[len(STEP_MARK):] if line.startswith(STEP_MARK) else None
            items.append(line if label is None else label)
    return items


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SUMMARY_PART else text[: MAX_SUMMARY_PART - 1] + "…"


def _is_pytest(step: _Step) -> bool:
    return step.label == TESTS_LABEL or bool(re.search(r"(^|[/\s])pytest(\s|$)", step.command))


def _first_error_line(lines: list[str], start: int = 0) -> str | None:
    """The text of the first ``E   ...`` line of pytest's report from ``start``, or None."""
    for line in lines[start:]:
        if line.startswith("E ") and line[1:].strip():
            return line[1:].strip()
    return None


def _pytest_summary(step: _Step) -> str:
    lines = step.output
    entries = [match for match in map(_SUMMARY_LINE.match, lines) if match]
    stats = next((m.group("stats").strip(", ") for m in map(_STATS.match, reversed(lines)) if m), "")
    counts = f" ({stats})" if stats else ""
    if not entries:
        if step.status == 5:
            return f"the generated tests: none was collected{counts}"
        reason = next((line.strip() for line in lines if line.startswith(("ERROR:", "INTERNALERROR>"))), None)
        reason = reason or next((line.strip() for line in reversed(lines) if line.strip()), None)
        return f"the generated tests failed: {_cut(reason or f'pytest exit status {step.status}')}"
    first = entries[0]
    node, message = first.group("node"), first.group("message")
    if not message:  # cut by an older pytest: the first E line of the test's section of the report
        name = node.rsplit("::", 1)[-1]
        sections = [n for n, line in enumerate(lines)
                    if (section := _SECTION.match(line)) and section.group("title").endswith(name)]
        message = _first_error_line(lines, sections[0]) if sections else _first_error_line(lines)
    what = "failed" if first.group("word") == "FAILED" else "could not run (error)"
    return f"{node} {what}: {_cut(message or 'no error message')}{counts}"


def verify_failure_summary(log: str) -> str:
    """Why ``--verify`` failed, in one line, from its log (:func:`verify`'s): the first failing test's node id
    and its first error line, and how many passed and failed; or the step that failed (creating the venv, a pip
    install...) and pip's first ``ERROR:`` line (else the step's last line); or verify's own reason (no lock,
    installed versions that are not the pinned ones)."""
    items = _parse_log(log)
    steps = [item for item in items if isinstance(item, _Step)]
    if not steps:
        reason = next((item for item in reversed(items) if isinstance(item, str) and item.strip()), "")
        return _cut(reason) if reason else "the generated project's install or tests failed"
    last = steps[-1]
    after = [item for item in items[items.index(last) + 1 :] if isinstance(item, str) and item.strip()]
    if after and last.status in (0, None):  # the steps went well, and verify stopped on something else
        return _cut(after[-1])
    if _is_pytest(last):
        return _pytest_summary(last)
    error = next((line.strip() for line in last.output if line.startswith("ERROR:")), None)
    error = error or next((line.strip() for line in reversed(last.output) if line.strip()), None)
    status = f" (exit status {last.status})" if last.status not in (None, 0) else ""
    return f"{last.label or 'the step ' + repr(last.command)} failed{status}: {_cut(error or 'no output')}"
