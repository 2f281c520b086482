"""The notebook's `test` cells, run against the packaged code and the shipped artifacts.

As in the notebook: the artifacts are loaded, the names of the serving code are in
scope, and `example` / `examples` are the notebook's examples. Names the cells read from
the training code are recomputed by the `training_variables` fixture (see conftest.py).
"""

from typing import Any

import pytest

from {{ cookiecutter.package_name }}.model import load_artifacts
from {{ cookiecutter.package_name }}.schema import EXAMPLES

load_artifacts()

from {{ cookiecutter.package_name }}.model import *

pytestmark = pytest.mark.usefixtures("training_variables")

examples: list[dict[str, Any]] = [example["input"] for example in EXAMPLES]
example: dict[str, Any] = examples[0] if examples else {}


# ---- notebook code: the test cells of {{ cookiecutter.notebook_name }} ----


{{ cookiecutter._test_code.strip("\n") }}
