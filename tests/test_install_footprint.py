"""What the plain install is: few packages, and a lint that imports only what it uses.

``pip install nb2prod`` is the linter (CLI, pre-commit hooks, GitHub Action, pytest plugin);
the converter and notebook runs are the ``[build]`` extra, JupyterLab the ``[lab]`` extra.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from pathlib import Path as _Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = _Path(__file__).resolve().parent.parent

# Never imported by a plain lint: the extras' packages, and what a lint of an ordinary
# notebook has no use for (the first group would not even be installed).
EXTRAS_MODULES = ["IPython", "nbformat", "jsonschema", "nbclient", "jupyter_client", "ipykernel", "cookiecutter",
                  "jupyter_server", "tornado", "ipywidgets", "traitlets", "rich", "jupyter_core", "fastjsonschema"]
NOT_FOR_A_PLAIN_LINT = ["asyncio", "multiprocessing", "concurrent.futures", "detect_secrets", "phonenumbers",
                        "pathspec", "packaging.requirements", "packaging.utils", "yaml", "requests",
                        "nb2prod.kernel_runner", "nb2prod.execcheck", "nb2prod.converter", "nb2prod.fixes.depfiles"]
HEAVY = EXTRAS_MODULES + NOT_FOR_A_PLAIN_LINT


def _plain_requirements() -> list[Requirement]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        project = tomllib.load(fh)["project"]
    return [Requirement(r) for r in project["dependencies"]]


def _closure(requirements: list[Requirement]) -> set[str]:
    """The distributions a plain install brings, from the installed packages' metadata
    (their markers evaluated here, their own extras not followed)."""
    env = default_environment()
    seen: set[str] = set()
    todo = [r for r in requirements if r.marker is None or r.marker.evaluate({**env, "extra": ""})]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        for raw in metadata.requires(req.name) or []:
            dep = Requirement(raw)
            if dep.marker is None or dep.marker.evaluate({**env, "extra": ""}):
                todo.append(dep)
    return seen


def test_the_plain_install_is_at_most_20_packages() -> None:
    packages = _closure(_plain_requirements()) | {"nb2prod"}
    assert len(packages) <= 20, sorted(packages)
    assert not packages & {"nbformat", "ipython", "jupyterlab", "jupyter-server", "nbclient", "rich", "jsonschema"}


def _lint_in_fresh_interpreter(args: list[str], block: list[str], cwd: Path) -> tuple[int, str, list[str]]:
    """``nb2prod lint ARGS`` in a new interpreter where the modules ``block`` cannot be
    imported (as in a plain install); returns the exit code, stdout and the heavy modules loaded."""
    code = (
        "import sys, json, io, contextlib\n"
        f"for m in {block!r}: sys.modules[m] = None\n"
        "from nb2prod.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    rc = main({['lint', *args]!r})\n"
        f"loaded = [m for m in {HEAVY!r} if sys.modules.get(m) is not None]\n"
        "print(json.dumps([rc, out.getvalue(), loaded]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rc, out, loaded = json.loads(proc.stdout.splitlines()[-1])
    return rc, out, loaded


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "junit"])
def test_a_lint_loads_nothing_heavy(fmt: str, tmp_path: Path) -> None:
    """One notebook linted the way the CLI does: none of the listed modules is imported
    (the example has a requirements.txt, so the dependency rules run; no .gitignore)."""
    rc, out, loaded = _lint_in_fresh_interpreter(
        [str(ROOT / "examples" / "iris" / "train.ipynb"), "--no-cache", "--format", fmt], [], tmp_path)
    assert loaded == [] and out


def test_a_plain_install_lints_as_a_full_one(tmp_path: Path) -> None:
    """With every extra's package unimportable, the reports over the examples and rule
    fixtures are the same as with them."""
    paths = [str(p) for p in sorted((ROOT / "examples").rglob("*.ipynb"))]
    paths += [str(p) for p in sorted((ROOT / "tests" / "rules" / "fixtures").rglob("*.ipynb"))]
    args = [*paths, "--no-cache", "--format", "json", "--jobs", "1"]
    full = _lint_in_fresh_interpreter(args, [], tmp_path)
    plain = _lint_in_fresh_interpreter(args, EXTRAS_MODULES, tmp_path)
    assert plain[:2] == full[:2]


@pytest.mark.parametrize("argv, extra", [
    (["build", "NB"], "build"),
    (["lint", "NB", "--execute"], "build"),
])
def test_a_command_needing_a_missing_extra_says_which(argv: list[str], extra: str, tmp_path: Path) -> None:
    nb = str(ROOT / "examples" / "iris" / "train.ipynb")
    argv = [nb if a == "NB" else a for a in argv]
    code = (f"import sys\nfor m in {EXTRAS_MODULES!r}: sys.modules[m] = None\n"
            f"from nb2prod.cli import main\nsys.exit(main({argv!r}))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"pip install 'nb2prod[{extra}]'" in lines[0] and "Traceback" not in proc.stderr
    assert not any(tmp_path.iterdir())  # nothing half-written


def test_the_widget_without_the_lab_extra(tmp_path: Path) -> None:
    code = "import sys\nsys.modules['ipywidgets'] = None\nimport nb2prod.widget\n"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "pip install 'nb2prod[lab]'" in proc.stderr.strip().splitlines()[-1]
