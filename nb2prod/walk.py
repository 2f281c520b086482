"""Find the notebooks to lint.

Files named on the command line are always linted (like ruff). Directories are walked
for ``*.ipynb``, skipping hidden folders, ``.ipynb_checkpoints``, paths ignored by the
repository's ``.gitignore`` files, and the ``exclude`` patterns of ``[tool.nb2prod]``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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
    return pathspec.GitIgnoreSpec.from_lines(lines)


class _Ignorer:
    """gitignore semantics over the folders from the repository root down."""

    def __init__(self, exclude: Iterable[tuple[Path, list[str]]] = ()) -> None:
        self._exclude = [(base, pathspec.GitIgnoreSpec.from_lines(p)) for base, p in exclude if p]

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


def discover(paths: Iterable[str | Path], config: Path | None = None) -> Iterator[Target]:
    """Yield the notebooks to lint, in a stable order, with no duplicates.

    ``config`` is the ``--config`` file, whose ``exclude`` then applies (relative to it).
    """
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            yield Target(p, "no such file or directory")
            continue
        if p.is_file():
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                yield Target(p)
            continue
        if not p.is_dir():
            yield Target(p, "not a file or directory")
            continue
        ignorer = _Ignorer(_exclude_patterns(p.resolve(), config))
        for found in _walk(p, ignorer):
            key = found.resolve()
            if key not in seen:
                seen.add(key)
                yield Target(found)


def _walk(top: Path, ignorer: _Ignorer) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(top):
        d = Path(dirpath)
        resolved = d.resolve()
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
            yield d / name
