"""``nb2prod build``: a tagged notebook -> a verified, installable prediction service.

Stages (DESIGN 6): lint gate -> analyse -> execute -> capture -> render -> verify. Each
reports progress through one event stream (:mod:`nb2prod.converter.events`) that the CLI
shows with rich and the JupyterLab extension can reuse. Nothing here imports Jupyter's
server or widget layers; execution goes through nbclient in a fresh kernel.
"""

from __future__ import annotations

from nb2prod.converter.errors import BuildError
from nb2prod.converter.events import Event
from nb2prod.converter.pipeline import BuildOptions, BuildResult, build

__all__ = ["BuildError", "BuildOptions", "BuildResult", "Event", "build"]
