"""Fixtures of the runtime's unit tests: the toy service in a temporary package folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from _toy_service import Toy, toy_service, write_package

from nb2prod.service_runtime.service import Service


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return write_package(tmp_path / "toy_service")


@pytest.fixture
def toy(package: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Service, Toy]]:
    for name in list(os.environ):  # the settings come from the environment: none of the toy's
        if name.startswith("TOY_SERVICE_"):
            monkeypatch.delenv(name)
    yield toy_service(package)


@pytest.fixture
def store_in_tmp(toy: tuple[Service, Toy], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's prediction store is a SQLite file of its own (the default is one in the working directory);
    after `toy`, which clears the toy's settings from the environment."""
    path = tmp_path / "store" / "predictions.sqlite3"
    monkeypatch.setenv("TOY_SERVICE_STORE_URL", f"sqlite:///{path}")
    return path
