"""nbformat v4 schema validators, generated ahead of time by ``tools/gen_nbschema.py`` with
fastjsonschema from the schemas in ``nb2prod/data/nbformat`` (one module per distinct part;
``index.PARTS`` says which). Importing a validator compiles nothing, and nb2prod needs no
fastjsonschema at run time; the generated code raises the two exceptions below, which keep
fastjsonschema's ``message``."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


class JsonSchemaValueException(ValueError):
    def __init__(self, message: str, value: Any = None, name: str | None = None,
                 definition: Any = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.value = value
        self.name = name
        self.definition = definition
        self.rule = rule


class JsonSchemaValuesException(ValueError):
    def __init__(self, errors: list[JsonSchemaValueException]) -> None:
        self.message = "; ".join(error.message for error in errors)
        super().__init__(self.message)
        self.errors = errors


def validator(minor: int, part: str) -> Callable[[Any], Any]:
    """The ``validate`` function of ``part`` (``notebook``, ``code_cell``, ``stream``...)
    of nbformat 4.``minor``; raises KeyError for a part or minor version it does not have."""
    from nb2prod._nbschema.index import PARTS

    module = importlib.import_module(f"nb2prod._nbschema.{PARTS[minor][part]}")
    return module.validate
