"""The service runtime (``nb2prod/service_runtime/``), copied verbatim into a rendered project.

A template asks for it by declaring ``"_runtime": true`` in its ``cookiecutter.json`` (the
default template does; see docs/templates.md). The build then copies every module of
``nb2prod/service_runtime/``, byte for byte, into ``<package_name>/runtime/`` of the rendered
project: the template renders only what differs per notebook, and its ``service.py`` wires
the notebook's code into the runtime. The runtime is read here as files, never imported:
fastapi, uvicorn and prometheus-client are the service's dependencies, not nb2prod's.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from nb2prod.converter.errors import BuildError

RUNTIME_DIR = Path(__file__).resolve().parent.parent / "service_runtime"
RUNTIME_PACKAGE = "runtime"
"""The name of the copy inside the generated package: ``<package_name>/runtime/``."""
RUNTIME_KEY = "_runtime"
"""The key of ``cookiecutter.json`` by which a template asks for the runtime."""
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|gh:|gl:|bb:)")


def runtime_files() -> list[Path]:
    """The runtime's modules, in name order (no caches, no other files)."""
    files = sorted(path for path in RUNTIME_DIR.glob("*.py") if path.is_file())
    if not files:
        raise BuildError(f"the service runtime is missing from this installation of nb2prod ({RUNTIME_DIR})")
    return files


def template_wants_runtime(template: str) -> bool:
    """Whether ``template`` declares ``"_runtime": true`` in its ``cookiecutter.json``.

    A local template's file is read; a template named by a URL is read from the clone that
    cookiecutter keeps in its ``cookiecutters_dir`` after rendering it.
    """
    folder = Path(template)
    if _URL.match(template):
        from cookiecutter.config import get_user_config

        name = template.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git")
        folder = Path(get_user_config()["cookiecutters_dir"]) / name
    try:
        declared = json.loads((folder / "cookiecutter.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(declared, dict) and declared.get(RUNTIME_KEY) is True


def copy_runtime(project_dir: Path, package_name: str, template: str | None = None) -> list[Path]:
    """Copy the runtime into ``project_dir/<package_name>/runtime/``; returns the files written.

    With ``template``, only if that template asks for it (see :func:`template_wants_runtime`);
    else always. A template that renders a ``runtime`` folder of its own is refused: the copy
    would mix with it.
    """
    if template is not None and not template_wants_runtime(template):
        return []
    target = project_dir / package_name / RUNTIME_PACKAGE
    if target.exists():
        raise BuildError(f"the template rendered {package_name}/{RUNTIME_PACKAGE}/ itself, where the build copies "
                         f"the service runtime it asks for ({RUNTIME_KEY} in its cookiecutter.json): rename it")
    target.mkdir(parents=True)
    written = []
    for source in runtime_files():
        destination = target / source.name
        shutil.copyfile(source, destination)
        written.append(destination)
    return written
