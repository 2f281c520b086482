"""This notebook's service, as the runtime (`runtime/`, nb2prod's code copied as is) sees it.

The runtime's app, batch scorer and command line take `SERVICE`: the notebook's `predict` (and its
vectorised `predict_batch`, if it has one) and artifacts (model.py), the request and response models
(schema.py), this package's folder (its lock, artifacts, metadata.json and profile.json), the training
code (train.py), and the prefix of its settings, `{{ cookiecutter.package_name | upper }}_*` (read by
runtime/settings.py; see README.md).
"""

from pathlib import Path

from {{ cookiecutter.package_name }} import model
from {{ cookiecutter.package_name }}.runtime.lockfile import PathLike
from {{ cookiecutter.package_name }}.runtime.service import Service
from {{ cookiecutter.package_name }}.schema import METADATA, PredictRequest, PredictResponse

PACKAGE_DIR = Path(__file__).resolve().parent


def _train(output_dir: PathLike | None) -> Path:
    from {{ cookiecutter.package_name }}.train import train

    return train(output_dir)


SERVICE = Service(
    package="{{ cookiecutter.package_name }}",
    project="{{ cookiecutter.project_name }}",
    package_dir=PACKAGE_DIR,
    predict=model.predict,
    load_artifacts=model.load_artifacts,
    request_model=PredictRequest,
    response_model=PredictResponse,
    train=_train,
    max_batch_size={{ cookiecutter.max_batch_size | int }},
    env_prefix="{{ cookiecutter.package_name | upper }}",
    metadata=METADATA,
{%- if cookiecutter._predict_batch %}
    predict_batch=model.predict_batch,
{%- endif %}
)
