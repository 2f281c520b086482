"""The optional parts of nb2prod and what they need.

``pip install nb2prod`` is the linter: its command line, the pre-commit hooks, the GitHub
Action and the pytest plugin's lint. The converter and the notebook runs need the
``[build]`` extra (nbclient, ipykernel, cookiecutter...), the JupyterLab server extension
and the widget the ``[lab]`` extra; ``[all]`` is both. A command that needs an extra that
is not installed says so in one line (:class:`MissingExtra`), naming what to install.
"""

from __future__ import annotations

import importlib.util

__all__ = ["EXTRAS", "MissingExtra", "require"]

# extra -> the modules its features import (the distributions are in pyproject.toml).
EXTRAS: dict[str, tuple[str, ...]] = {
    "build": ("nbformat", "nbclient", "jupyter_client", "ipykernel", "cookiecutter", "rich"),
    "lab": ("jupyter_server", "ipywidgets"),
}


class MissingExtra(RuntimeError):
    """A feature needs an extra that is not installed; ``str()`` is one line."""


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(extra: str, what: str, modules: tuple[str, ...] | None = None) -> None:
    """Raise :class:`MissingExtra` unless ``modules`` (default: all of ``extra``'s) can be imported."""
    missing = [m for m in (modules if modules is not None else EXTRAS[extra]) if not _installed(m)]
    if missing:
        raise MissingExtra(f"{what} needs nb2prod's [{extra}] extra, which is not installed (missing: "
                           f"{', '.join(missing)}): pip install 'nb2prod[{extra}]'")
