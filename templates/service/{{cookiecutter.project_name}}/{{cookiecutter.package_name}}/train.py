"""Retraining: the notebook's training cells, then new artifacts and an updated lock.

The training code runs inside `run_training()` with the notebook's imports and serving
code in scope, as in the notebook. `train()` writes the artifacts the lock names, in the
same formats, and the lock with their new sha256s.
"""

from pathlib import Path

from {{ cookiecutter.package_name }} import model as _model
from {{ cookiecutter.package_name }}.model import *  # the imports and serve code the training cells use
from {{ cookiecutter.package_name }}.runtime import lockfile

# ... and its private names too, as in the notebook. A class the service defines is the class of
# the retrained artifacts, so that they load in the service.
globals().update({_name: _value for _name, _value in vars(_model).items() if not _name.startswith("__")})


def run_training() -> dict[str, object]:
    """Run the notebook's training cells, with their parameters; return the variables they define."""
    # ---- notebook code: the training cells of {{ cookiecutter.notebook_name }} ----
{{ cookiecutter._train_code.strip("\n") | indent(4, first=True) }}
    # ---- end of notebook code ----
    found = dict(locals())
    return {**found, **found.get("_nb2prod_reaching", {})}


def train(output_dir: lockfile.PathLike | None = None) -> Path:
    """Retrain, then write the artifacts and the lock into `output_dir` (default: this package).

    Returns the path of the new lock.
    """
    return lockfile.write_artifacts(run_training(), Path(__file__).resolve().parent, output_dir)
