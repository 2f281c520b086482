"""The notebook's serving code, and the loader of the artifacts it uses.

The code between the markers below is the notebook's `serve` and `predict` cells,
verbatim. The artifacts it reads are module globals, set by `load_artifacts()` once each
file has been checked against `nb2prod.lock.json`: {{ cookiecutter._artifacts | map(attribute="name") | join(", ") or "none" }}.
"""

# ---- notebook code ({{ cookiecutter.notebook_name }}, built by nb2prod {{ cookiecutter.nb2prod_version }}) ----

{{ cookiecutter._model_code.strip("\n") }}


# ---- end of notebook code ----

import sys as _sys
from pathlib import Path as _Path
from typing import Any as _Any

from {{ cookiecutter.package_name }}.runtime import lockfile as _lockfile

ArtifactError = _lockfile.ArtifactError

# The artifacts: None until load_artifacts() sets them from the files the lock names.
{%- for artifact in cookiecutter._artifacts %}
{{ artifact.name }}: _Any = None
{%- endfor %}


def load_artifacts(directory: _lockfile.PathLike | None = None) -> dict[str, object]:
    """Verify, then load, every artifact the lock names, and make each a global of this module.

    `directory` is a folder laid out like this package (`nb2prod.lock.json` and
    `artifacts/`), e.g. the output of `train`; by default, the package itself. Raises
    ArtifactError, before loading anything, if a file is missing or differs from the lock.
    The notebook's classes and functions that artifacts name load as the ones defined above.
    """
    artifacts = _lockfile.load_artifacts(directory if directory is not None else _Path(__file__).resolve().parent,
                                         notebook_module=_sys.modules[__name__])
    globals().update(artifacts)
    return artifacts
