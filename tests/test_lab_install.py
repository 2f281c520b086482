"""The JupyterLab extension as installed: `pip install` built the frontend into the wheel
(share/jupyter/labextensions/nb2prod) and enabled the server extension
(etc/jupyter/jupyter_server_config.d/nb2prod.json), with no `jupyter labextension install`.

These inspect the environment that runs the tests, as a user would with `jupyter labextension
list` and `jupyter server extension list`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nb2prod

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# `jupyter labextension list` and `jupyter server extension list` take seconds each.
pytestmark = pytest.mark.slow


def test_frontend_version_is_the_python_version():
    """nb2prod/__init__.py is the single source of the version; the frontend package follows it."""
    package = json.loads((ROOT / "labextension" / "package.json").read_text(encoding="utf-8"))
    assert package["version"] == nb2prod.__version__
    assert package["name"] == "nb2prod"
    assert package["jupyterlab"]["outputDir"] == "../nb2prod/labextension"
    assert nb2prod._jupyter_labextension_paths() == [{"src": "labextension", "dest": "nb2prod"}]


def _jupyter(*args: str) -> str:
    pytest.importorskip("jupyterlab", reason="JupyterLab is not installed in this environment")
    exe = Path(sys.executable).parent / "jupyter"
    command = [str(exe)] if exe.exists() else [shutil.which("jupyter") or "jupyter"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_")}
    r = subprocess.run([*command, *args], capture_output=True, text=True, timeout=120, env=env)
    out = ANSI.sub("", r.stdout + r.stderr)
    assert r.returncode == 0, out
    return out


def _installed_extension() -> Path:
    pytest.importorskip("jupyterlab", reason="JupyterLab is not installed in this environment")
    from jupyter_core.paths import jupyter_path

    found = [Path(p) / "nb2prod" for p in jupyter_path("labextensions") if (Path(p) / "nb2prod").is_dir()]
    assert found, "no share/jupyter/labextensions/nb2prod in the Jupyter data paths"
    return found[0]


def test_labextension_is_installed_enabled_and_ok():
    out = _jupyter("labextension", "list")
    line = next((x for x in out.splitlines() if x.strip().startswith("nb2prod ")), None)
    assert line is not None, f"nb2prod is not in `jupyter labextension list`:\n{out}"
    assert re.match(rf"\s*nb2prod v{re.escape(nb2prod.__version__)} enabled\s+OK\b", line), line
    if not _installed_extension().is_symlink():  # `jupyter labextension develop` links the build, no install.json
        assert "(python, nb2prod)" in line, line


def test_installed_labextension_holds_the_build_and_the_settings_schema():
    ext = _installed_extension()
    package = json.loads((ext / "package.json").read_text(encoding="utf-8"))
    assert package["version"] == nb2prod.__version__
    load = package["jupyterlab"]["_build"]["load"]
    assert (ext / load).is_file(), f"{load} is missing from {ext}"
    schema = json.loads((ext / "schemas" / "nb2prod" / "plugin.json").read_text(encoding="utf-8"))
    assert set(schema["properties"]) == {"autoLint", "minimumSeverity", "debounceMs"}
    if not ext.is_symlink():
        install = json.loads((ext / "install.json").read_text(encoding="utf-8"))
        assert install["packageName"] == "nb2prod"


def test_server_extension_is_enabled_and_ok():
    out = _jupyter("server", "extension", "list")
    assert re.search(r"^\s*nb2prod enabled\s*$", out, re.M), f"nb2prod is not enabled:\n{out}"
    assert re.search(rf"^\s*nb2prod {re.escape(nb2prod.__version__)} OK\s*$", out, re.M), out
