"""Find the notebooks to lint.

Files named on the command line are always linted (like ruff). Directories are walked
for ``*.ipynb``, skipping hidden folders, ``.ipynb_checkpoints``, paths ignored by the
repository's ``.gitignore`` files, and the ``exclude`` patterns of ``[tool.nb2prod]``.

Only regular files are notebooks: in a folder, a FIFO, device or socket named
``*.ipynb`` is skipped (never opened); named on the command line, it is an error. A
folder that cannot be listed is an error naming it, never silently skipped. Symbolic
links are followed for files, not for folders (``os.walk``), so a link loop cannot
make the walk endless.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec

__all__ = ["Target", "discover"]

_ALWAYS_SKIP = {".ipynb_checkpoints", "__pycache__", "node_modules", "site-packages"}


@dataclass(frozen=True)
class Target:
    path: Path
    error: str | None = None  # set when the argument itself is unusable


@lru_cache(maxsize=512)
def _repo_root(directory: Path) -> Path | None:
    if (directory / ".git").exists():
        return directory
    if directory.parent == directory:
        return None
    return _repo_root(directory.parent)


@lru_cache(maxsize=2048)
def _ignore_spec(directory: Path) -> pathspec.PathSpec | None:
    lines: list[str] = []
    gi = directory / ".gitignore"
    if gi.is_file():
        try:
            lines.extend(gi.read_text(encoding="utf-8", errors="replace").splitlines())
        except OSError:
            pass
    info = directory / ".git" / "info" / "exclude"
    if info.is_file():
        try:
            lines.extend(info.read_text(encoding="utf-8", errors="replace").splitlines())
        except OSError:
            pass
    if not lines:
        return None
    return _gitignore_spec(lines)


def _gitignore_spec(lines: list[str]) -> pathspec.PathSpec:
    import pathspec  # ~20 ms: imported only where a .gitignore or an exclude list has lines

    return pathspec.GitIgnoreSpec.from_lines(lines)


class _Ignorer:
    """gitignore semantics over the folders from the repository root down."""

    def __init__(self, exclude: Iterable[tuple[Path, list[str]]] = ()) -> None:
        self._exclude = [(base, _gitignore_spec(p)) for base, p in exclude if p]

    def ignored(self, path: Path, is_dir: bool) -> bool:
        for base, spec in self._specs_for(path.parent):
            rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
            if spec.match_file(rel):
                return True
        for base, spec in self._exclude:
            try:
                rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
            except ValueError:
                continue
            if spec.match_file(rel):
                return True
        return False

    @staticmethod
    def _specs_for(directory: Path) -> list[tuple[Path, pathspec.PathSpec]]:
        root = _repo_root(directory)
        if root is None:
            return []
        specs: list[tuple[Path, pathspec.PathSpec]] = []
        d = directory
        while True:
            spec = _ignore_spec(d)
            if spec is not None:
                specs.append((d, spec))
            if d == root or d.parent == d:
                break
            d = d.parent
        return specs


def _exclude_patterns(directory: Path, config: Path | None) -> list[tuple[Path, list[str]]]:
    from nb2prod.config import ConfigError, settings_for

    try:
        s = settings_for(directory / "_", config=config)
    except ConfigError:
        return []  # reported when the notebooks themselves are linted
    if s.root is None or not s.exclude:
        return []
    return [(s.root.resolve(), s.exclude)]


def _key(path: Path) -> Path:
    """The real path, for finding duplicates; the absolute path when it cannot be
    resolved (a symbolic link loop: reported when the file is read)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return Path(os.path.abspath(path))


def _stat_problem(path: Path) -> tuple[os.stat_result | None, str | None]:
    """(stat result, None), or (None, why ``path`` cannot be used)."""
    try:
        return os.stat(path), None
    except FileNotFoundError:
        try:
            os.lstat(path)
        except OSError:
            return None, "no such file or directory"
        return None, "broken symbolic link"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "too many levels of symbolic links"
        return None, f"cannot read: {exc.strerror or exc}"
    except ValueError as exc:  # an embedded NUL
        return None, f"cannot read: {exc}"


def _kind(mode: int) -> str:
    from nb2prod.notebook import _kind as kind

    return kind(mode)


def discover(paths: Iterable[str | Path], config: Path | None = None) -> Iterator[Target]:
    """Yield the notebooks to lint, in a stable order, with no duplicates.

    ``config`` is the ``--config`` file, whose ``exclude`` then applies (relative to it).
    A path that cannot be used (missing, a FIFO or device, a folder that cannot be
    listed) is a :class:`Target` with ``error`` set, in the place where it was met.
    """
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        st, problem = _stat_problem(p)
        if st is None:
            yield Target(p, problem)
            continue
        if stat.S_ISREG(st.st_mode):
            key = _key(p)
            if key not in seen:
                seen.add(key)
                yield Target(p)
            continue
        if not stat.S_ISDIR(st.st_mode):
            yield Target(p, f"is {_kind(st.st_mode)}, not a notebook file or a folder")
            continue
        ignorer = _Ignorer(_exclude_patterns(_key(p), config))
        for found in _walk(p, ignorer):
            if found.error:
                yield found
                continue
            key = _key(found.path)
            if key not in seen:
                seen.add(key)
                yield found


def _folder_error(exc: OSError) -> str:
    return f"cannot read folder: {exc.strerror or exc}"


def _notebook_file(path: Path) -> bool:
    """Not a FIFO, device or socket (those are skipped in a walk). A broken link or a
    link loop counts: it is reported when it is read."""
    try:
        return not _special(os.stat(path).st_mode)
    except OSError:
        return True


def _special(mode: int) -> bool:
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _walk(top: Path, ignorer: _Ignorer) -> Iterator[Target]:
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(top, onerror=errors.append):
        while errors:
            exc = errors.pop(0)
            yield Target(Path(exc.filename) if exc.filename else top, _folder_error(exc))
        d = Path(dirpath)
        resolved = _key(d)
        keep = []
        for name in sorted(dirnames):
            if name.startswith(".") or name in _ALWAYS_SKIP:
                continue
            if ignorer.ignored(resolved / name, is_dir=True):
                continue
            keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            if not name.endswith(".ipynb") or name.startswith("."):
                continue
            if ignorer.ignored(resolved / name, is_dir=False):
                continue
            if not _notebook_file(d / name):
                continue
            yield Target(d / name)
    for exc in errors:  # the top folder itself could not be listed
        yield Target(Path(exc.filename) if exc.filename else top, _folder_error(exc))
