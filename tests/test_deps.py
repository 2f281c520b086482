"""nb2prod.deps: import -> distribution mapping, dependency files, install commands."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from nb2prod import deps
from nb2prod.deps import (
    DependencySet,
    LocalModules,
    find_dependencies,
    module_folders,
    parse_install_command,
    read_dependency_file,
    resolve_import,
    url_pinned,
)


@pytest.fixture(autouse=True)
def _fresh_caches():
    deps.clear_caches()
    yield
    deps.clear_caches()


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def reqs(path: Path) -> dict[str, bool]:
    """name -> pinned, for the declarations (not constraints) of one file."""
    f = read_dependency_file(path)
    assert f.error is None, f.error
    return {r.name: r.pinned for r in f.requirements if not r.constraint}


# -- imports --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "name", "first"),
    [
        ("sklearn.linear_model", "sklearn", "scikit-learn"),
        ("cv2", "cv2", "opencv-python"),
        ("PIL.Image", "PIL", "pillow"),
        ("yaml", "yaml", "pyyaml"),
        ("google.cloud.storage", "google.cloud.storage", "google-cloud-storage"),
        ("google.protobuf.json_format", "google.protobuf", "protobuf"),
        ("azure.storage.blob", "azure.storage.blob", "azure-storage-blob"),
        ("azure.identity", "azure.identity", "azure-identity"),
        ("mpl_toolkits.mplot3d", "mpl_toolkits", "matplotlib"),
        ("mpl_toolkits.basemap", "mpl_toolkits.basemap", "basemap"),
        ("numpy.linalg", "numpy", "numpy"),
        ("sentence_transformers", "sentence_transformers", "sentence-transformers"),
    ],
)
def test_resolve_import(module: str, name: str, first: str) -> None:
    target = resolve_import(module)
    assert target is not None
    assert (target.name, target.distributions[0]) == (name, first)


def test_opencv_accepts_every_variant() -> None:
    target = resolve_import("cv2")
    assert target is not None and "opencv-python-headless" in target.distributions


@pytest.mark.parametrize(
    "module",
    ["os", "os.path", "__future__", "json", "urllib2", "cPickle", "distutils.core", "tomllib",
     "IPython.display", "google.colab", "ipykernel", "person_pb2", ""],
)
def test_stdlib_and_runtime_modules_need_no_distribution(module: str) -> None:
    assert resolve_import(module) is None


def test_installed_metadata_is_read_once_and_only_for_unknown_names(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    calls = []

    def fake() -> dict[str, list[str]]:
        calls.append(1)
        return {"foo_bar": ["Foo-Bar-Lib"], "google": ["google-auth", "protobuf"]}

    monkeypatch.setattr(importlib.metadata, "packages_distributions", fake)
    declared = DependencySet(Path("."), (), (), {
        "foo-bar-lib": [deps.Requirement("foo-bar-lib", "foo-bar-lib==1", True, Path("r.txt"))],
    })
    sk = resolve_import("sklearn")
    assert sk is not None and declared.match(sk) == ("scikit-learn", [])
    assert calls == []  # known name: no metadata
    fb = resolve_import("foo_bar")
    assert fb is not None
    dist, found = declared.match(fb)
    assert dist == "foo-bar-lib" and [r.name for r in found] == ["foo-bar-lib"]
    declared.match(fb)
    assert deps.installed_distributions("google") == ()  # namespace roots: ambiguous
    assert calls == [1]


def test_local_modules(tmp_path: Path) -> None:
    write(tmp_path, {
        "helpers.py": "", "pkg/__init__.py": "", "nspkg/mod.py": "", "data/file.csv": "",
        "src/inner/__init__.py": "",
        "ext.cpython-311-x86_64-linux-gnu.so": "",
    })
    local = LocalModules([tmp_path], names=["configured"])
    assert all(n in local for n in ("helpers", "pkg", "nspkg", "ext", "configured", "src"))
    assert "data" not in local and "numpy" not in local


def test_module_folders_reach_the_repository_root_and_src(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, {"src/mylib/__init__.py": "", "notebooks/deep/nb.ipynb": "{}"})
    folders = module_folders(tmp_path / "notebooks" / "deep")
    assert folders[0] == tmp_path / "notebooks" / "deep"
    assert tmp_path in folders and tmp_path / "src" in folders
    assert "mylib" in LocalModules(folders)


def test_module_folders_outside_a_repository_stop_at_the_notebook(tmp_path: Path) -> None:
    write(tmp_path, {"a/b/nb.ipynb": "{}"})
    assert module_folders(tmp_path / "a" / "b") == (tmp_path / "a" / "b",)
    assert tmp_path / "a" in module_folders(tmp_path / "a" / "b", tmp_path / "a")


# -- requirements files ------------------------------------------------------------------------


def test_requirements_syntax(tmp_path: Path) -> None:
    write(tmp_path, {
        "requirements.txt": (
            "# a comment\n"
            "--index-url https://example.com/simple\n"
            "pandas>=1.5  # trailing comment\n"
            "numpy==1.26.4 \\\n    --hash=sha256:abcd\n"
            "scikit-learn~=1.5\n"
            "requests[socks]==2.32.3 ; python_version >= '3.8'\n"
            "scipy===1.14.0\n"
            "torch==2.*\n"
            "mylib @ https://example.com/mylib-1.0-py3-none-any.whl\n"
            "git+https://github.com/org/tool.git@v1.0#egg=tool\n"
            "https://example.com/dist/wheelie-2.0-py3-none-any.whl\n"
            "-e .\n"
            "-e git+https://github.com/org/edit.git@1a2b3c4#egg=edit\n"
            "git+https://github.com/org/moving.git@main#egg=moving\n"
            "git+https://github.com/org/tip.git#egg=tip\n"
            "tipped @ git+https://github.com/org/tipped\n"
            "archived @ https://github.com/org/archived/archive/refs/heads/main.zip\n"
            "tagged @ https://github.com/org/tagged/archive/v2.1.0.tar.gz\n"
            "./local/project\n"
            "Flask_Cors==4.0.1\n"
            "weird-name==1.0-beta\n"
            "broken==1.0 ; python_version < '3' and\n"
            "broken-range>=1.0 ; and\n"
        ),
    })
    assert reqs(tmp_path / "requirements.txt") == {
        "pandas": False, "numpy": True, "scikit-learn": False, "requests": True, "scipy": True,
        "torch": False, "mylib": True, "tool": True, "wheelie": True, "edit": True,
        "moving": False, "tip": False, "tipped": False, "archived": False, "tagged": True,
        "flask-cors": True, "weird-name": True, "broken": True, "broken-range": False,
    }


def test_requirements_includes_and_constraints(tmp_path: Path) -> None:
    write(tmp_path, {
        "requirements.txt": (
            "-r requirements/base.txt\n--requirement=dev.txt\n-c constraints.txt\npandas\n-r missing.txt\n"
        ),
        "requirements/base.txt": "numpy==1.26.4\n-r ../cycle.txt\n",
        "cycle.txt": "-r requirements.txt\nscipy==1.14.0\n",
        "dev.txt": "pytest\n",
        "constraints.txt": "pandas==2.2.2\nrequests==2.32.3\n",
    })
    f = read_dependency_file(tmp_path / "requirements.txt")
    declared = {r.name for r in f.requirements if not r.constraint}
    assert declared == {"pandas", "numpy", "scipy", "pytest"}
    found = find_dependencies(tmp_path)
    assert found is not None
    assert found.is_pinned(["pandas"])  # by the constraints file
    assert found.declarations(["requests"]) == []  # a constraint does not declare
    assert not found.is_pinned(["pytest"])


def test_unreadable_requirements_do_not_raise(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_bytes(b"\xff\xfe\x00garbage\x00\npandas==1.0\n")
    f = read_dependency_file(tmp_path / "requirements.txt")
    assert f.error is None and "pandas" in {r.name for r in f.requirements}


# -- pyproject, Pipfile, environment.yml, setup.* ------------------------------------------------------


def test_pyproject_tables(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": """
[project]
name = "Demo_Project"
dependencies = ["pandas>=2", "numpy==1.26.4"]
[project.optional-dependencies]
plot = ["matplotlib==3.9.1"]
[dependency-groups]
test = ["pytest==8.3.2", {include-group = "lint"}]
lint = ["ruff"]
[tool.poetry.dependencies]
python = "^3.10"
requests = "^2.32"
httpx = "0.27.0"
rich = { version = "==13.7.1", extras = ["jupyter"] }
mytool = { git = "https://github.com/org/mytool.git", rev = "v1" }
[tool.poetry.group.dev.dependencies]
black = "*"
[tool.uv]
dev-dependencies = ["mypy==1.11.1"]
"""})
    f = read_dependency_file(tmp_path / "pyproject.toml")
    assert f.counts and f.project_name == "Demo_Project"
    assert reqs(tmp_path / "pyproject.toml") == {
        "pandas": False, "numpy": True, "matplotlib": True, "pytest": True, "ruff": False,
        "requests": False, "httpx": True, "rich": True, "mytool": True, "black": False, "mypy": True,
    }
    found = find_dependencies(tmp_path)
    assert found is not None and found.declarations(["demo-project"])  # the project itself


def test_pyproject_without_dependency_tables_does_not_count(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, {"requirements.txt": "pandas==2.2.2\n", "sub/pyproject.toml": "[tool.black]\nline-length = 99\n"})
    found = find_dependencies(tmp_path / "sub")
    assert found is not None and found.folder == tmp_path


def test_pyproject_dynamic_dependencies(tmp_path: Path) -> None:
    write(tmp_path, {
        "a/pyproject.toml": '[project]\nname = "a"\ndynamic = ["dependencies"]\n'
                            '[tool.setuptools.dynamic]\ndependencies = {file = ["deps.txt"]}\n',
        "a/deps.txt": "pandas==2.2.2\n",
        "b/pyproject.toml": '[project]\nname = "b"\ndynamic = ["dependencies"]\n',
    })
    a = find_dependencies(tmp_path / "a")
    assert a is not None and a.complete and a.declarations(["pandas"])
    b = find_dependencies(tmp_path / "b")
    assert b is not None and not b.complete  # cannot know: NB201 stays silent


def test_invalid_toml_and_yaml_are_reported_not_raised(tmp_path: Path) -> None:
    write(tmp_path, {
        "pyproject.toml": "[project\ndependencies = [",
        "environment.yml": "dependencies: [a, b\n  - : :",
        "Pipfile": "[packages\n",
    })
    found = find_dependencies(tmp_path)
    assert found is not None
    assert {f.path.name for f in found.unreadable} == {"pyproject.toml", "environment.yml", "Pipfile"}
    assert not found.readable
    assert all("not valid" in (f.error or "") for f in found.unreadable)


def test_pipfile(tmp_path: Path) -> None:
    write(tmp_path, {"Pipfile": """
[[source]]
url = "https://pypi.org/simple"
[packages]
requests = "*"
pandas = "==2.2.2"
numpy = {version = ">=1.26"}
tool = {git = "https://github.com/org/tool.git", ref = "v1"}
[dev-packages]
pytest = "==8.3.2"
[requires]
python_version = "3.11"
"""})
    assert reqs(tmp_path / "Pipfile") == {
        "requests": False, "pandas": True, "numpy": False, "tool": True, "pytest": True,
    }


def test_environment_yml(tmp_path: Path) -> None:
    write(tmp_path, {
        "environment.yml": """
name: demo
channels: [conda-forge]
dependencies:
  - python=3.11
  - numpy=1.26.4
  - pandas==2.2.2
  - conda-forge::scipy>=1.14
  - pytorch::pytorch=2.3.1
  - py-xgboost
  - matplotlib-base 3.9.1 py311_0
  - scikit-learn=1.5.*
  - polars=1.9
  - pyarrow=17=py311h0_0
  - statsmodels 0.14
  - pip
  - pip:
    - requests==2.32.3
    - -r requirements-pip.txt
    - -e .
""",
        "requirements-pip.txt": "rich==13.7.1\n",
    })
    assert reqs(tmp_path / "environment.yml") == {
        "numpy": True, "pandas": True, "scipy": False, "torch": True, "xgboost": False,
        "matplotlib": True, "scikit-learn": False, "pip": False, "requests": True, "rich": True,
        "polars": False, "pyarrow": True, "statsmodels": True,
    }


def test_empty_environment_yml_counts_and_declares_nothing(tmp_path: Path) -> None:
    write(tmp_path, {"environment.yml": ""})
    found = find_dependencies(tmp_path)
    assert found is not None and found.readable and found.declarations(["numpy"]) == []


def test_setup_cfg_and_setup_py(tmp_path: Path) -> None:
    write(tmp_path, {
        "a/setup.cfg": "[metadata]\nname = a\n[options]\ninstall_requires =\n    pandas==2.2.2\n    numpy>=1\n"
                       "[options.extras_require]\nplot = matplotlib==3.9.1\n",
        "b/setup.py": "from setuptools import setup\nREQS = ['pandas==2.2.2', 'numpy']\n"
                      "setup(name='b', install_requires=REQS, extras_require={'x': ['rich']})\n",
        "c/setup.py": "from setuptools import setup\nsetup(**config)  # install_requires inside\n",
        "d/setup.py": "from setuptools import setup\nsetup(name='d')\n",
    })
    assert reqs(tmp_path / "a" / "setup.cfg") == {"pandas": True, "numpy": False, "matplotlib": True}
    assert reqs(tmp_path / "b" / "setup.py") == {"pandas": True, "numpy": False, "rich": False}
    c = find_dependencies(tmp_path / "c")
    assert c is not None and not c.complete
    assert find_dependencies(tmp_path / "d") is None  # declares nothing: not a dependency file


# -- finding the nearest folder -----------------------------------------------------------------


def test_nearest_folder_wins_and_all_its_files_are_read(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, {
        "requirements.txt": "outer==1.0\n",
        "project/requirements.txt": "pandas==2.2.2\n",
        "project/requirements-dev.txt": "pytest==8.3.2\n",
        "project/environment.yml": "dependencies:\n  - numpy=1.26\n",
        "project/requirements/extra.in": "rich\n",
        "project/notebooks/deep/nb.ipynb": "{}",
    })
    found = find_dependencies(tmp_path / "project" / "notebooks" / "deep")
    assert found is not None and found.folder == tmp_path / "project"
    names = {r.name for f in found.files for r in f.requirements}
    assert names == {"pandas", "pytest", "numpy", "rich"}
    assert not found.declarations(["outer"])


def test_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "pandas==2.2.2\n", "repo/.git/HEAD": "", "repo/nb/x.ipynb": "{}"})
    assert find_dependencies(tmp_path / "repo" / "nb") is None
    assert deps.repository_root(tmp_path / "repo" / "nb") == tmp_path / "repo"


def test_lock_files(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[project]\ndependencies = ["pandas"]\n', "poetry.lock": ""})
    found = find_dependencies(tmp_path)
    assert found is not None and found.locked and found.is_pinned(["pandas"])
    for name in ("uv.lock", "Pipfile.lock", "pdm.lock", "conda-lock.yml", "env.conda-lock.yml",
                 "pylock.toml", "requirements-dev.lock", "pixi.lock"):
        assert deps.is_lock_file_name(name), name
    assert not deps.is_lock_file_name("package-lock.json")


def test_caches_see_edits(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("pandas\n")
    first = find_dependencies(tmp_path)
    assert first is not None and not first.is_pinned(["pandas"])
    assert read_dependency_file(req).requirements == read_dependency_file(req).requirements
    req.write_text("pandas==2.2.2\n")
    later = time.time() + 5
    os.utime(req, (later, later))
    again = find_dependencies(tmp_path)
    assert again is not None and again.is_pinned(["pandas"])
    (tmp_path / "Pipfile").write_text('[packages]\nrequests = "==2.32.3"\n')
    os.utime(tmp_path, (later + 5, later + 5))  # a new file changes the folder's mtime
    assert find_dependencies(tmp_path).declarations(["requests"])  # type: ignore[union-attr]


# -- install commands ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("pip install -q xgboost==2.1.1 pandas  # comment", [("xgboost", True), ("pandas", False)]),
        ("pip install -U 'scikit-learn>=1.5' numpy==1.*", [("scikit-learn", False), ("numpy", False)]),
        ("{sys.executable} -m pip install polars", [("polars", False)]),
        ("python3 -m pip install --upgrade pip setuptools wheel", []),
        ("pip install -r requirements.txt -c constraints.txt", [(None, True)]),  # the file's packages: NB204 reads it
        ("pip install -e . ./local git+https://github.com/o/r.git@v1", [(None, True), ("r", True)]),
        ("pip install -q git+https://github.com/huggingface/transformers", [("transformers", False)]),
        ("pip install git+https://github.com/org/tool.git@main", [("tool", False)]),
        ("pip install 'git+https://github.com/org/tool.git@0123456789abcdef0123456789abcdef01234567'",
         [("tool", True)]),
        ("pip install -q transformers==4.30 datasets", [("transformers", True), ("datasets", False)]),
        ("pip install --upgrade pip", []),  # tooling: never reported
        ("pip install torch --index-url https://download.pytorch.org/whl/cpu", [("torch", False)]),
        ("pip install pkg @ https://example.com/pkg.whl", [("pkg", True)]),
        (
            "pip install x 2>&1 > /dev/null && pip install y==1.0; conda install -y z",
            [("x", False), ("y", True), ("z", False)],
        ),
        # conda: `=1.26` means 1.26.* (not a pin); `=1.26.4`, `==1.26.4`, `=1.26=<build>` are
        ("conda install -c conda-forge -y numpy=1.26 'scipy>=1' python=3.11", [("numpy", False), ("scipy", False)]),
        ("conda install numpy=1.26.4 pandas==2.2.2 scipy=1.14=py311h0 polars==1.* tk", [
            ("numpy", True), ("pandas", True), ("scipy", True), ("polars", False), ("tk", False)]),
        ("mamba install pytorch", [("torch", False)]),
        ("uv pip install rich==13.7.1", [("rich", True)]),
        ("pip install $PKG {pkg}", []),
        ("pip list", []),
        ("apt-get install -y graphviz", []),
        ("pip install 'unbalanced", []),  # no crash on a broken quote
    ],
)
def test_parse_install_command(command: str, expected: list[tuple[str | None, bool]]) -> None:
    assert [(s.name, s.pinned) for s in parse_install_command(command)] == expected


@pytest.mark.parametrize(
    ("url", "pinned"),
    [
        ("git+https://github.com/org/repo", False),
        ("git+https://github.com/org/repo.git@main", False),
        ("git+https://github.com/org/repo.git@v1.2.0#egg=repo", True),
        ("git+https://github.com/org/repo@0123456789abcdef0123456789abcdef01234567", True),
        ("git+ssh://git@github.com/org/repo.git", False),  # the user's @ is not a ref
        ("git+ssh://git@github.com/org/repo.git@1a2b3c4", True),
        ("https://github.com/org/repo/archive/refs/heads/master.zip", False),
        ("https://github.com/org/repo/archive/v2.0.tar.gz", True),
        ("https://files.example.com/pkg-1.0-py3-none-any.whl", True),
    ],
)
def test_url_pinned(url: str, pinned: bool) -> None:
    assert url_pinned(url) is pinned
