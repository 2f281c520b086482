"""Shared fixtures: the service on a free local port, over real HTTP."""

import asyncio
import dataclasses
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.runtime.settings import Settings
from {{ cookiecutter.package_name }}.service import SERVICE

STARTUP_SECONDS = 60
STORE_URL = "{{ cookiecutter.package_name | upper }}_STORE_URL"


@pytest.fixture(scope="session", autouse=True)
def prediction_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | None]:
    """The tests' predictions go to a SQLite file of their own, not to the default one in the working directory
    (unless `{{ cookiecutter.package_name | upper }}_STORE_URL` names a store: then to that one)."""
    if os.environ.get(STORE_URL, "").strip():
        yield None
        return
    path = tmp_path_factory.mktemp("store") / "predictions.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(STORE_URL, f"sqlite:///{path}")
        yield path


def default_settings() -> Settings:
    """The environment's settings, with strict mode off as it is by default: the notebook's examples are
    answered even where they lie outside the `reference` data (extrapolating can be the point of a model), so
    the tests that send them hold whatever `{{ cookiecutter.package_name | upper }}_STRICT` says. Strict mode
    has its own tests (test_drift.py), on a service of its own, with inputs the reference had."""
    settings = SERVICE.settings()
    return dataclasses.replace(settings, drift=dataclasses.replace(settings.drift, strict=False))


@contextmanager
def running(app: FastAPI, ready: bool = True, http: type[asyncio.Protocol] | str = "auto") -> Iterator[str]:
    """Run `app` with uvicorn in a thread on a free port; yields its URL once it is ready
    (or, with `ready=False`, once it has finished loading, ready or not). `http`: uvicorn's protocol."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", http=http))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_until_ready(url, thread, ready)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    """The URL of the service (with `default_settings()`), run by uvicorn in a thread on a free port, once
    it is ready."""
    with running(create_app(settings=default_settings())) as url:
        yield url


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """Start another app (say, with other settings) on its own free port: `serve(app, ready=True, http="auto")`
    gives its URL. Each is stopped at the end of the test."""
    with ExitStack() as stack:
        yield lambda app, ready=True, http="auto": stack.enter_context(running(app, ready, http))


@pytest.fixture(scope="session")
def client(base_url: str) -> Iterator[httpx.Client]:
    """An HTTP client of the running service (no proxy: it is on this machine)."""
    with httpx.Client(base_url=base_url, timeout=30, trust_env=False) as client:
        yield client


def _wait_until_ready(url: str, thread: threading.Thread, ready: bool = True) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx.Client(base_url=url, timeout=5, trust_env=False) as client:
        while time.monotonic() < deadline:
            if not thread.is_alive():
                pytest.fail("the server stopped while starting")
            try:
                response = client.get("/ready")
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code == 200:
                return
            if response is not None and response.json().get("status") == "failed":
                if not ready:
                    return
                pytest.fail(f"the service will not become ready: {response.json()['reason']}")
            time.sleep(0.05)
    pytest.fail(f"the service was not ready within {STARTUP_SECONDS} s")
