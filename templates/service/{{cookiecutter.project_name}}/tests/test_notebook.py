"""The notebook's `test` cells, run against the packaged code and the shipped artifacts.

As in the notebook: the artifacts are loaded, the names of the serving code are in
scope, and `example` / `examples` are the notebook's examples. A test cell that reads a
name only the training code defines (a test-set score...) is not here: the build keeps it
in the notebook and says so.
"""

from typing import Any

from {{ cookiecutter.package_name }}.model import load_artifacts
from {{ cookiecutter.package_name }}.schema import EXAMPLES

load_artifacts()

from {{ cookiecutter.package_name }}.model import *

examples: list[dict[str, Any]] = [example["input"] for example in EXAMPLES]
example: dict[str, Any] = examples[0] if examples else {}


# ---- notebook code: the test cells of {{ cookiecutter.notebook_name }} ----


{{ cookiecutter._test_code.strip("\n") }}
