"""Output formats: a registry of renderers, ``name -> render(run, context) -> str``.

Like papermill's engines and I/O handlers, formats register themselves by name; the
CLI offers whatever is registered, and an unknown name is an error that lists them.
"""

from __future__ import annotations

# Importing the format modules registers the formats.
from nb2prod.formats import github, json_, junit, sarif, text  # noqa: F401  (imported for their side effect)
from nb2prod.formats.registry import FORMATS, FormatContext, Renderer, display_path, register, render, where

__all__ = ["FormatContext", "Renderer", "FORMATS", "register", "render", "display_path", "where"]
