"""Render a cookiecutter template in a process of its own.

Cookiecutter changes the process's working directory while it renders (its
``work_in``), so in a process that runs several builds at once (the Jupyter server runs
each build in a thread) one build's render changes where every other thread's relative
paths point: ``FileNotFoundError: './{{cookiecutter.package_name}}/model.py'``. A child
process has a working directory of its own.

The parent passes ``{"template", "context", "output_dir"}`` as a pickle (the context may
hold build parameters of any Python literal type) and reads back a JSON object:
``{"project": path}`` or ``{"error": one line}``. The file is run by its path (see
:func:`command`), so the child imports cookiecutter and nothing of nb2prod.
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path
from typing import Any


def command(job_file: Path, result_file: Path) -> list[str]:
    """The child's command line: this file run by path (``runpy`` leaves ``sys.path`` alone)."""
    code = (f"import runpy, sys; sys.argv = ['nb2prod-render', {str(job_file)!r}, {str(result_file)!r}]; "
            f"runpy.run_path({__file__!r}, run_name='__main__')")
    return [sys.executable, "-c", code]


def render(job: dict[str, Any]) -> dict[str, str]:
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.main import cookiecutter

    template = job["template"]
    try:
        project = cookiecutter(
            template,
            no_input=True,
            extra_context=job["context"],
            output_dir=job["output_dir"],
            overwrite_if_exists=False,
        )
    except CookiecutterException as exc:
        return {"error": f"template {template}: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"}
    except Exception as exc:  # Jinja errors and the like, from a custom template
        return {"error": f"template {template} failed to render: {type(exc).__name__}: "
                         f"{' '.join(str(exc).split())[:300]}"}
    return {"project": str(project)}


def main(argv: list[str]) -> int:
    job_file, result_file = Path(argv[0]), Path(argv[1])
    with job_file.open("rb") as fh:
        job = pickle.load(fh)  # written by this build, in a folder only it uses
    result = render(job)
    result_file.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
