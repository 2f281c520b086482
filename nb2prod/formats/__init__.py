"""Output formats: a registry of renderers, ``name -> render(run, context) -> str``.

Like papermill's engines and I/O handlers, formats register themselves by name; the
CLI offers whatever is registered, and an unknown name is an error that lists them. The
built-in format modules are imported when their format is first used (see registry).
"""

from __future__ import annotations

from nb2prod.formats.registry import FORMATS, FormatContext, Renderer, display_path, register, render, where

__all__ = ["FormatContext", "Renderer", "FORMATS", "register", "render", "display_path", "where"]
