"""The real-notebook corpus (tests/real_notebooks, see its SOURCES.md): public notebooks nobody on
this project wrote, changed only by a `predict` and an `example` cell, `skip` tags and lint fixes.

Each is copied to a temporary folder and built as a user would, `nb2prod build notebook.ipynb -o
svc --verify` through the CLI in a subprocess (so the build kernel is this Python's); the built
project is served with uvicorn on 127.0.0.1 and `/predict` must answer each example exactly as the
notebook's own `predict(**example)` did in the build, as recorded in the package's metadata.json
(floats to 1e-9 relative, labels and strings exactly).

A notebook is skipped only when a model library it needs is not importable here.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from _services import running_service
from test_build_e2e import assert_same

pytestmark = [pytest.mark.slow, pytest.mark.kernel, pytest.mark.real_notebooks]

CORPUS = Path(__file__).resolve().parent / "real_notebooks"
NOTEBOOKS = sorted(p.name for p in CORPUS.iterdir() if (p / "SOURCE.md").is_file())
MODULES = {"scikit-learn": "sklearn", "XGBoost": "xgboost", "LightGBM": "lightgbm", "CatBoost": "catboost",
           "PyTorch": "torch", "statsmodels": "statsmodels", "Keras": "keras"}
"""The import name of each model library a SOURCE.md names on its `- model library:` line."""
STAGE = re.compile(r"^✓ (\w+) .* ([0-9.]+)s$", re.M)
"""A stage line of the build's output and its seconds (`✓ execute  11 cells ran 2.2s`)."""
KNOWN_FAILURES: dict[str, str] = {}
"""Notebooks that do not build yet, each with the class of problem that stops it: strict xfails,
so the fix that makes one pass has to take it off this list. Empty: all twelve build since c2029fd."""
BUILD_TIMEOUT = 1200
"""Seconds one build with --verify may take (a fresh venv installs the model library)."""
JOBS = int(os.environ.get("NB2PROD_CORPUS_JOBS", "3"))
"""Builds at once (see the `builds` fixture)."""


def libraries(folder: Path) -> list[str]:
    """The model libraries the notebook in `folder` trains with, as its SOURCE.md names them."""
    found = re.search(r"^- model library: (.+)$", (folder / "SOURCE.md").read_text(encoding="utf-8"), re.M)
    assert found, f"{folder / 'SOURCE.md'} names no model library"
    return [name.strip() for name in found.group(1).split(",")]


def test_the_corpus_is_what_the_issue_asks_for() -> None:
    """At least ten notebooks, trained with at least five model libraries, each folder complete."""
    assert len(NOTEBOOKS) >= 10, NOTEBOOKS
    used = {lib for name in NOTEBOOKS for lib in libraries(CORPUS / name)}
    assert {"scikit-learn", "XGBoost", "LightGBM", "PyTorch", "statsmodels"} <= used, used
    for name in NOTEBOOKS:
        folder = CORPUS / name
        assert len(list(folder.rglob("notebook.ipynb"))) == 1, f"{name}: one notebook.ipynb"
        assert (folder / "LICENSE").is_file(), f"{name}: the repository's licence is kept beside it"
        assert re.search(r"^- commit: `[0-9a-f]{40}`$", (folder / "SOURCE.md").read_text(encoding="utf-8"), re.M)


@dataclass
class Built:
    output: Path
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def _build(name: str, folder: Path) -> Built:
    """`nb2prod build notebook.ipynb -o svc --verify`, as a user runs it, in a subprocess."""
    shutil.copytree(CORPUS / name, folder / name)
    notebook = next((folder / name).rglob("notebook.ipynb"))
    output = folder / "svc"
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "nb2prod", "build", str(notebook), "-o", str(output), "--verify"],
                          cwd=folder, capture_output=True, text=True, timeout=BUILD_TIMEOUT,
                          env={**os.environ, "KERAS_BACKEND": "torch"})
    return Built(output, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future[Built]]]:
    """Every notebook's build, started at once, JOBS at a time: most of a build is verify's pip
    installing into a fresh venv, which waits on the disk as much as on the CPU, so on two CPUs
    three builds at once take about half the time of one after the other."""
    with ThreadPoolExecutor(max_workers=JOBS, thread_name_prefix="corpus-build") as pool:
        futures = {}
        for name in NOTEBOOKS:
            if not _missing(name):
                futures[name] = pool.submit(_build, name, tmp_path_factory.mktemp(name))
        yield futures
        for future in futures.values():
            future.cancel()


def _missing(name: str) -> list[str]:
    return [lib for lib in libraries(CORPUS / name) if importlib.util.find_spec(MODULES[lib]) is None]


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(reason=KNOWN_FAILURES[name], strict=True)) if name in KNOWN_FAILURES
    else name for name in NOTEBOOKS])
def test_real_notebook_builds_serves_and_answers_as_the_notebook(
    name: str, builds: dict[str, Future[Built]], tmp_path: Path
) -> None:
    missing = _missing(name)
    if missing:
        pytest.skip(f"{name} needs {', '.join(missing)}, which is not importable here")
    build = builds[name].result()
    if build.returncode != 0:
        pytest.fail(f"nb2prod build failed for {name}:\n{build.stdout[-4000:]}\n{build.stderr[-4000:]}", pytrace=False)

    output = build.output
    (metadata_path,) = output.glob("*/metadata.json")
    metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    examples = metadata["examples"]
    assert examples, f"{name}: the build recorded no example"

    started = time.monotonic()
    with running_service(output, metadata["package_name"], log_path=tmp_path / "service.log",
                         env={"KERAS_BACKEND": "torch"}, timeout=120) as service:
        with service.client(timeout=60) as client:
            for example in examples:
                response = client.post("/predict", json=example["input"])
                assert response.status_code == 200, f"{name}: {response.text}\n{service.log_tail()}"
                assert_same(response.json()["prediction"], example["output"])
    stages = " ".join(f"{stage} {seconds}s" for stage, seconds in STAGE.findall(build.stdout + build.stderr))
    print(f"\n{name}: build {build.seconds:.1f}s, {JOBS} at a time ({stages}); "
          f"serve and answer {time.monotonic() - started:.1f}s")
