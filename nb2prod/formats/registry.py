"""The format registry: ``name -> render(run, context) -> str``, and what renderers share
(the context, paths and places in words). The format modules import this, never the
package. The built-in formats are imported when first asked for (``FORMATS[name]``), so a
run pays only for the format it writes (the text format's rich, for one, costs ~30 ms)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nb2prod.diagnostics import Finding, Severity
from nb2prod.textsafe import scrub

if TYPE_CHECKING:
    from nb2prod.engine import RunResult

__all__ = ["FormatContext", "Renderer", "FORMATS", "register", "render", "display_path", "where"]


@dataclass(frozen=True)
class FormatContext:
    fail_on: Severity = Severity.ERROR
    color: bool = False
    show_source: bool = True
    cwd: Path = field(default_factory=Path.cwd)
    # Set after `--fix`: how many findings were fixed (the run holds what remains).
    fixed: int | None = None
    # `--unsafe-fixes`: unsafe fixes count as available in the summary.
    unsafe_fixes: bool = False


Renderer = Callable[["RunResult", FormatContext], str]

# The built-in formats: name -> the module (in this package) that registers it.
_BUILTIN = {"github": "github", "json": "json_", "junit": "junit", "sarif": "sarif", "text": "text"}
_RENDERERS: dict[str, Renderer] = {}


class _Formats(Mapping[str, Renderer]):
    """Every format by name; a built-in one's module is imported on first lookup."""

    def __getitem__(self, name: str) -> Renderer:
        if name not in _RENDERERS and name in _BUILTIN:
            importlib.import_module(f"nb2prod.formats.{_BUILTIN[name]}")
        return _RENDERERS[name]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(_BUILTIN.keys() | _RENDERERS.keys()))

    def __len__(self) -> int:
        return len(_BUILTIN.keys() | _RENDERERS.keys())


FORMATS: Mapping[str, Renderer] = _Formats()


def register(name: str) -> Callable[[Renderer], Renderer]:
    def deco(fn: Renderer) -> Renderer:
        _RENDERERS[name] = fn
        return fn

    return deco


def render(name: str, run: RunResult, context: FormatContext) -> str:
    """The report in format ``name``. It can always be encoded as UTF-8: the notebook
    model holds no lone surrogates, and those of file names that are not UTF-8 (which
    Python decodes with ``surrogateescape``) become U+FFFD here, whatever the renderer."""
    try:
        renderer = FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r} (choose from {', '.join(FORMATS)})") from None
    return scrub(renderer(run, context))


def display_path(path: str, cwd: Path) -> str:
    """A path relative to ``cwd`` when it is below it, with forward slashes.

    Symlinks are not resolved: a finding is shown under the name the user gave.
    """
    p = Path(os.path.abspath(path))
    try:
        return p.relative_to(os.path.abspath(cwd)).as_posix()
    except ValueError:
        return p.as_posix()


def where(f: Finding) -> str:
    """``cell 3, line 2`` / ``cell 3, output 1``: the place of a finding in words."""
    if f.cell is None:
        return f"line {f.line}"
    if f.output is not None:
        return f"cell {f.cell}, output {f.output}"
    return f"cell {f.cell}, line {f.line}"
