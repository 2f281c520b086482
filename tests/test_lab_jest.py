"""The JupyterLab frontend's unit tests (jest, labextension/src/__tests__), run from pytest.

`jlpm` comes with JupyterLab (and jupyter-builder); Node 20.19+ is required. When the
frontend's node_modules are missing (a fresh clone that was not `pip install`ed), they
are installed from the committed yarn.lock first, so this never silently skips.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the jest suite of the frontend, in node

ROOT = Path(__file__).resolve().parent.parent
LABEXT = ROOT / "labextension"


def _jlpm() -> list[str]:
    exe = Path(sys.executable).parent / "jlpm"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("jlpm")
    assert found, "jlpm not found: install JupyterLab (or jupyter-builder) in this environment"
    return [found]


def _run(args: list[str], timeout: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": "true", "FORCE_COLOR": "0"}
    return subprocess.run(args, cwd=LABEXT, capture_output=True, text=True, timeout=timeout, env=env)


def test_frontend_unit_tests_pass():
    node = shutil.which("node")
    assert node, "Node.js (20.19+ or 22.12+) is needed to run the frontend tests"
    if not (LABEXT / "node_modules" / ".bin" / "jest").exists():
        r = _run([*_jlpm(), "install", "--immutable"], timeout=1200)
        assert r.returncode == 0, f"jlpm install failed:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    r = _run([*_jlpm(), "test", "--ci"], timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-8000:]
    summary = re.search(r"^Tests:\s+(.*)$", out, re.M)
    assert summary, out[-4000:]
    assert "failed" not in summary.group(1), summary.group(0)
    passed = int(re.search(r"(\d+) passed", summary.group(1)).group(1))
    suites = re.search(r"^Test Suites:\s+(\d+) passed", out, re.M)
    # Every spec file ran (grouping, filters, debounce/stale responses, cell mapping, score, build, API).
    assert suites and int(suites.group(1)) >= 7, out[-2000:]
    assert passed >= 50, summary.group(0)
