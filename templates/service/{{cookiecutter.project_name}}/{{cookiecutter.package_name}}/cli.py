"""The command line, `{{ cookiecutter.project_name }}`: `serve`, `predict` (score a file), `train`.

The code is the runtime's (runtime/cli.py and runtime/batch.py), run for this notebook's SERVICE.
"""

from {{ cookiecutter.package_name }}.runtime.cli import main as _main
from {{ cookiecutter.package_name }}.service import SERVICE


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    return _main(SERVICE, argv)
