"""Data lineage: the files the notebook reads while the build runs it (DESIGN 7, "Lineage").

Before the notebook's first cell, the build runs :func:`setup_step` in the kernel: it installs
a Python audit hook (:func:`sys.addaudithook`) that sees every ``open`` event of the kernel's
process (``open()``, ``io.open_code``, ``os.open``, so also what pandas, numpy, joblib, torch,
PIL... open through Python) and every ``sqlite3.connect``, and appends each new (path, read or
write, cell) to a log file in the build's staging folder (through a file descriptor opened
before the hook, so writing the log raises no event). The cell is IPython's execution count,
which the build maps back to notebook cells (:func:`cell_numbers`).

After the run, :func:`data_files` keeps what is data, and nb2prod hashes it from disk:

- regular files, named relative to the project root (:func:`project_root`: the folder of the
  ``pyproject.toml`` that configures nb2prod for the notebook, else the notebook's folder);
  a file outside it is kept with its absolute path and ``outside_project: true``;
- left out: module files (``.py``, ``.pyc``, ``.so``...), what lies under the kernel's Python
  installation (``sys.prefix``, ``sys.base_prefix``, site-packages, the user site), the tools'
  own folders (IPython's and Jupyter's, matplotlib's cache and config, ``~/.config``), system
  folders (``/dev``, ``/proc``, ``/sys``, ``/etc``, ``/usr``...), the notebook itself, the build's
  staging and output folders, and files the notebook wrote before it read them (outputs read
  back: listed apart, as ``data_outputs``). A file written *after* it was read stays, marked
  ``modified``: its sha256 is of the file the run left.

Not seen: what native code opens itself (C ``fopen``, pyarrow's and h5py's readers, so
``pd.read_parquet`` with pyarrow, OpenCV, HDF5), what another process reads (a spawned
worker, a shell command), and network reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nb2prod.converter.records import LOCK_FILE, DataFile
from nb2prod.kernel_runner import Step

__all__ = [
    "CHANGE_LINES", "LOG_FILE", "Lineage", "Read", "cell_numbers", "changed_names", "data_changes", "data_files",
    "previous_data", "project_root", "read_log", "setup_step", "system_dirs",
]

LOG_FILE = "lineage.jsonl"  # in the build's staging folder
CHANGE_LINES = 50  # at most this many lines of data changes (an image folder may hold thousands of files)
SETUP_LABEL = "the build's record of the files the notebook reads"

# Runs in the kernel before the notebook's first cell (standard library only; IPython when there).
_SETUP = r'''
def _nb2prod_lineage(log):
    import json, os, sys
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        shell = get_ipython()
    except NameError:
        shell = None
    tool = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    try:
        import site
        tool += [*site.getsitepackages(), site.getusersitepackages()]
    except Exception:
        pass
    try:
        from IPython.paths import get_ipython_dir
        tool.append(get_ipython_dir())
    except Exception:
        pass
    try:
        from jupyter_core import paths
        tool += [paths.jupyter_config_dir(), paths.jupyter_data_dir(), paths.jupyter_runtime_dir()]
    except Exception:
        pass
    base = getattr(shell, "execution_count", None)
    os.write(fd, (json.dumps({"tool_dirs": tool, "base": base}) + "\n").encode())
    writing = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    code = (".py", ".pyc", ".pyo", ".pyd", ".so")
    seen = set()
    dumps, fspath, fsdecode, isabs, abspath, exists, write = (
        json.dumps, os.fspath, os.fsdecode, os.path.isabs, os.path.abspath, os.path.exists, os.write)

    def hook(event, args):
        if event != "open" and event != "sqlite3.connect":
            return
        try:
            if event == "open":
                path, mode, flags = args
                if isinstance(path, int):
                    return
                path = fsdecode(fspath(path))
                if path.endswith(code):
                    return
                if flags:
                    wrote = bool(flags & writing)
                else:  # no flags given: io's mode string says it
                    wrote = isinstance(mode, str) and ("w" in mode or "a" in mode or "x" in mode or "+" in mode)
            else:
                path = fsdecode(fspath(args[0]))
                if not path or path == ":memory:" or path.startswith("file:"):
                    return
                wrote = not exists(path)  # a database the notebook creates is its output
            full = path if isabs(path) else abspath(path)  # normalised by the build
            if (full, wrote) in seen:
                return
            seen.add((full, wrote))
            count = getattr(shell, "execution_count", None)
            write(fd, (dumps({"path": full, "write": wrote, "count": count}) + "\n").encode())
        except Exception:  # an audit hook that raises would make the notebook's open fail
            pass

    sys.addaudithook(hook)


_nb2prod_lineage({log!r})
del _nb2prod_lineage
'''


def setup_step(log: Path) -> Step:
    """The code that starts recording, to run in the kernel before the notebook's cells."""
    return Step(_SETUP.replace("{log!r}", repr(str(log))), label=SETUP_LABEL)


@dataclass(frozen=True)
class Read:
    """One file the kernel opened, as the hook logged it."""

    path: str  # absolute, as the process named it (symbolic links not resolved)
    write: bool  # opened for writing (or created)
    count: int | None  # IPython's execution count when it was opened


@dataclass
class Lineage:
    """What :func:`data_files` found: the data, and the outputs the notebook read back."""

    data: list[DataFile] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)  # written by the notebook, then read: not inputs
    missing: list[str] = field(default_factory=list)  # read, but gone (or not a regular file) after the run


def read_log(path: Path) -> tuple[dict[str, Any], list[Read]]:
    """(the header the setup wrote, the reads in the order they happened) of a log; an
    absent or empty log (the setup did not run) gives ``({}, [])``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}, []
    header: dict[str, Any] = {}
    reads: list[Read] = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:  # a line cut short (the kernel died while writing it)
            continue
        if not isinstance(entry, dict):
            continue
        if "tool_dirs" in entry:
            header = entry
        elif isinstance(entry.get("path"), str):
            count = entry.get("count")
            reads.append(Read(entry["path"], bool(entry.get("write")), count if isinstance(count, int) else None))
    return header, reads


def cell_numbers(sources: list[str], origin: list[int | None], base: int | None) -> dict[int, int | None] | None:
    """IPython execution count -> notebook cell index (None for a cell the build added).

    ``sources``/``origin`` are the cells the build ran after the setup step, in order (the
    capture step left out); ``base`` is the count the setup step ran with (None in a kernel
    without IPython: then no cell is known). The kernel counts the cells nbclient sends, and
    it sends no blank one.
    """
    if base is None:
        return None
    numbers: dict[int, int | None] = {}
    count = base
    for source, where in zip(sources, origin, strict=False):
        if not source.strip():
            continue
        count += 1
        numbers[count] = where
    return numbers


def system_dirs(header: dict[str, Any]) -> list[Path]:
    """Folders whose files are the tools', not the notebook's data: the kernel's Python
    installation and tool folders (from the log's header), the system's, and the
    configuration and caches of the tools in the home folder."""
    dirs = [Path(d) for d in header.get("tool_dirs", []) if isinstance(d, str) and d]
    dirs += [Path(p) for p in ("/dev", "/proc", "/sys", "/etc", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/run")]
    home = Path.home()
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")
    dirs += [config, cache / "matplotlib", home / ".matplotlib", home / ".ipython", home / ".jupyter",
             home / ".local" / "share" / "jupyter", home / ".keras" / "keras.json"]
    if os.environ.get("MPLCONFIGDIR"):
        dirs.append(Path(os.environ["MPLCONFIGDIR"]))
    return dirs


def project_root(notebook: Path, config_root: Path | None) -> Path:
    """The folder data paths are relative to: the nb2prod configuration's (the folder of the
    ``pyproject.toml`` with ``[tool.nb2prod]``) when it holds the notebook, else the notebook's."""
    folder = Path(os.path.abspath(notebook)).parent
    if config_root is not None:
        root = Path(os.path.abspath(config_root))
        if folder == root or folder.is_relative_to(root):
            return root
    return folder


def _under(path: str, dirs: list[str]) -> bool:
    return any(path == d or path.startswith(d.rstrip(os.sep) + os.sep) for d in dirs)


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def data_files(
    reads: list[Read],
    *,
    root: Path,
    excluded: list[Path],
    cells: dict[int, int | None] | None = None,
) -> Lineage:
    """The data files among ``reads`` (see the module's docstring), hashed from disk now.

    ``excluded`` are folders (or files) whose contents are never data (:func:`system_dirs`,
    the notebook, the build's folders); ``cells`` maps execution counts to notebook cells
    (:func:`cell_numbers`): a read at a count it lacks (the build's own steps) is ignored
    when it is given."""
    # Both the path as named and as resolved are checked: a venv's python may be a link.
    skip = sorted({os.path.abspath(p) for p in excluded} | {os.path.realpath(p) for p in excluded})
    root_text = os.path.abspath(root)
    first: dict[str, tuple[int | None, bool]] = {}  # path -> (cell of its first read, written before it)
    written: set[str] = set()
    modified: set[str] = set()
    for read in reads:
        if cells is not None and read.count not in cells:
            continue
        path = os.path.normpath(read.path)
        if read.write:
            written.add(path)
            if path in first:
                modified.add(path)
            continue
        if path not in first:
            cell = cells.get(read.count) if cells is not None and read.count is not None else None
            first[path] = (cell, path in written)
    found = Lineage()
    for path, (cell, output) in first.items():
        if _under(path, skip) or _under(os.path.realpath(path), skip):
            continue
        inside = _under(path, [root_text])
        name = Path(os.path.relpath(path, root_text)).as_posix() if inside else path
        if output:
            found.outputs.append(name)
            continue
        try:
            info = os.stat(path)
            if not stat.S_ISREG(info.st_mode):
                if not stat.S_ISDIR(info.st_mode):
                    found.missing.append(name)
                continue
            digest = _sha256(path)
        except OSError:
            found.missing.append(name)
            continue
        found.data.append(DataFile(path=name, bytes=info.st_size, sha256=digest, cell=cell,
                                   outside_project=not inside, modified=path in modified))
    found.data.sort(key=lambda d: (d.outside_project, d.path))
    found.outputs.sort()
    found.missing.sort()
    return found


def previous_data(target: Path, package: str) -> list[dict[str, Any]] | None:
    """The ``data`` list of the lock of the build already in ``target`` (its ``<package>/``
    lock, else the first lock in a folder of it), or None when there is none or it
    records no lineage (an older nb2prod's lock). Read before the new build replaces it."""
    try:
        candidates = [target / package / LOCK_FILE] + sorted(
            c / LOCK_FILE for c in target.iterdir() if c.is_dir() and not c.is_symlink() and c.name != package)
    except OSError:
        return None
    for lock in candidates:
        try:
            if not lock.is_file() or lock.is_symlink() or lock.stat().st_size > 10_000_000:
                continue
            data = json.loads(lock.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "nb2prod_version" in data:
            entries = data.get("data")
            if not isinstance(entries, list):
                return None
            return [e for e in entries if isinstance(e, dict) and isinstance(e.get("path"), str)]
    return None


def _short(sha: Any) -> str:
    return f"{sha[:12]}.." if isinstance(sha, str) and sha else "?"


def data_changes(
    previous: list[dict[str, Any]] | None, current: list[DataFile], limit: int = CHANGE_LINES
) -> list[str]:
    """One line for each data file whose sha256 differs from the previous build's, that this
    build read and that one did not, or the reverse; none without a previous lineage. Past
    ``limit`` lines, one more says how many were left out."""
    if previous is None:
        return []
    before = {e["path"]: e for e in previous}
    now = {d.path: d for d in current}
    lines = []
    for path, entry in now.items():
        old = before.get(path)
        if old is None:
            lines.append(f"data file new since the previous build: {path} (sha256 {_short(entry.sha256)})")
        elif old.get("sha256") != entry.sha256:
            lines.append(f"data changed since the previous build: {path} "
                         f"(sha256 {_short(old.get('sha256'))} -> {_short(entry.sha256)})")
    for path in before:
        if path not in now:
            lines.append(f"data file no longer read since the previous build: {path}")
    if len(lines) > limit:
        lines = [*lines[:limit], f"data: {len(lines) - limit} more file(s) changed, new or no longer read since "
                 "the previous build (compare the locks' data lists)"]
    return lines


def changed_names(lines: list[str], limit: int = 5) -> str:
    """The files that :func:`data_changes` names, for a one-line summary (``a.csv, b.csv``)."""
    names = [line.split(": ", 1)[1].split(" (sha256 ")[0] for line in lines if " since the previous build: " in line]
    more = len(names) - limit + sum(1 for line in lines if " since the previous build: " not in line)
    shown = ", ".join(names[:limit])
    return f"{shown} and more" if more > 0 else shown
