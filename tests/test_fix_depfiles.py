"""fixes/depfiles: dependency files edited in their own syntax, and deps.overlay.

Each edit must declare the package pinned (read back by nb2prod.deps), leave every other
line byte for byte, and be idempotent (applying it to its own result changes nothing).
The layouts are those of real projects: pip-compile headers, conda exports with build
strings, PEP 621 arrays with and without trailing commas, Poetry tables with inline
tables, `- pip:` lists.
"""

from __future__ import annotations

import difflib
import threading
from pathlib import Path

import pytest

from nb2prod import deps
from nb2prod.fixes.depfiles import DepFileError, can_edit, edit_requirements, pin_requirement


@pytest.fixture(autouse=True)
def _fresh_caches():
    deps.clear_caches()
    yield
    deps.clear_caches()


def edit(name: str, text: str | None, *reqs: tuple[str, str]) -> str:
    """The edit, checked: idempotent, pins every package when read back, and changes
    only lines that name one of the packages (plus a created `- pip:` list)."""
    path = Path("/project") / name
    out = edit_requirements(path, text, list(reqs))
    assert edit_requirements(path, out, list(reqs)) == out, "applying the edit twice changed more"
    read = deps.parse_dependency_text(path, out)
    assert read.error is None, read.error
    for package, _ in reqs:
        mine = [r for r in read.requirements if r.name == deps.canonical(package)]
        assert mine and all(r.pinned for r in mine), (package, [r.spec for r in mine])
    # (line endings are compared by the tests that give the expected text)
    before = (text or "").splitlines()
    after = out.splitlines()
    names = [p.lower() for p, _ in reqs] + [p.lower().replace("-", "_") for p, _ in reqs]
    removed = [x[2:] for x in difflib.ndiff(before, after) if x[:2] == "- "]
    added = [x[2:] for x in difflib.ndiff(before, after) if x[:2] == "+ "]

    def grown(old: str, new: str) -> bool:  # `new` is `old` with text inserted (a comma, an item)
        ops = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
        return all(op in ("equal", "insert") for op, *_ in ops)

    for line in removed:
        assert any(n in line.lower() for n in names) or any(grown(line, a) for a in added), f"changed: {line!r}"
    for line in added:
        assert any(n in line.lower() for n in names) or line.strip() in ("- pip", "- pip:") or any(
            grown(r, line) for r in removed), f"added: {line!r}"
    return out


def fails(name: str, text: str | None, *reqs: tuple[str, str]) -> str:
    path = Path("/project") / name
    with pytest.raises(DepFileError) as exc:
        edit_requirements(path, text, list(reqs))
    assert not can_edit(path, text, list(reqs))
    message = str(exc.value)
    assert message and "\n" not in message
    return message


# -- requirements files ----------------------------------------------------------------------


def test_requirements_append_keeps_comments_order_and_options() -> None:
    text = (
        "# the service's dependencies\n"
        "--index-url https://pypi.org/simple\n"
        "-r requirements/base.txt\n"
        "-c constraints.txt\n"
        "pandas==2.2.2  # data frames\n"
        "\n"
        "numpy==1.26.4\n"
    )
    out = edit("requirements.txt", text, ("scikit-learn", "1.5.1"), ("rich", "13.7.1"))
    assert out == text + "scikit-learn==1.5.1\nrich==13.7.1\n"


def test_requirements_pin_in_place_keeps_extras_markers_and_comment() -> None:
    text = "pandas[excel,performance] >= 1.5 ; python_version >= '3.9'  # frames\nnumpy\nrich ~= 13.0\n"
    out = edit("requirements.txt", text, ("pandas", "2.2.2"), ("numpy", "1.26.4"), ("rich", "13.7.1"))
    assert out == (
        "pandas[excel,performance]==2.2.2 ; python_version >= '3.9'  # frames\nnumpy==1.26.4\nrich==13.7.1\n"
    )


def test_requirements_names_are_matched_canonically() -> None:
    out = edit("requirements.txt", "Scikit_Learn>=1.0\nPyYAML\n", ("scikit-learn", "1.5.1"), ("pyyaml", "6.0.2"))
    assert out == "Scikit_Learn==1.5.1\nPyYAML==6.0.2\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "rich==13.7.1\n"),
        ("pandas==2.2.2", "pandas==2.2.2\nrich==13.7.1"),  # no final newline: still none
        ("pandas==2.2.2\r\nnumpy==1.26.4\r\n", "pandas==2.2.2\r\nnumpy==1.26.4\r\nrich==13.7.1\r\n"),
        ("\ufeffpandas==2.2.2\n", "\ufeffpandas==2.2.2\nrich==13.7.1\n"),
        ("pandas==2.2.2\n\n# optional\n", "pandas==2.2.2\n\n# optional\nrich==13.7.1\n"),
    ],
)
def test_requirements_line_endings_bom_and_final_newline(text: str, expected: str) -> None:
    assert edit("requirements.txt", text, ("rich", "13.7.1")) == expected


def test_a_missing_file_is_created_as_requirements_txt() -> None:
    assert edit("requirements.txt", None, ("pandas", "2.2.2"), ("rich", "13.7.1")) == "pandas==2.2.2\nrich==13.7.1\n"
    fails("pyproject.toml", None, ("rich", "13.7.1"))


def test_pinned_declarations_are_left_alone() -> None:
    text = "pandas==2.1.0\nrich===13.7.1\nfoo @ https://example.org/foo-1.0-py3-none-any.whl\n"
    for package in ("pandas", "rich", "foo"):
        assert edit("requirements.txt", text, (package, "9.9.9")) == text


def test_requirements_in_is_edited_like_requirements_txt() -> None:
    assert edit("requirements.in", "pandas\n", ("pandas", "2.2.2")) == "pandas==2.2.2\n"
    assert edit("requirements-gpu.txt", "torch\n", ("torch", "2.3.1")) == "torch==2.3.1\n"


def test_requirements_refusals() -> None:
    assert "outside" in fails("requirements.txt", "pandas<2\n", ("pandas", "2.2.2"))
    assert "hash" in fails("requirements.txt", "pandas>=2 --hash=sha256:00ff\n", ("pandas", "2.2.2"))
    assert "several lines" in fails("requirements.txt", "pandas \\\n    >=2\n", ("pandas", "2.2.2"))
    assert "URL" in fails("requirements.txt", "torch @ git+https://github.com/pytorch/pytorch\n", ("torch", "2.3.1"))
    assert "editable" in fails("requirements.txt", "-e git+https://github.com/a/foo#egg=foo\n", ("foo", "1.0"))
    compiled = "#\n# This file is autogenerated by pip-compile with Python 3.11\n#\npandas==2.2.2\n"
    assert "compile" in fails("requirements.txt", compiled, ("rich", "13.7.1"))
    uv = "# This file was autogenerated by uv via the following command:\n#    uv pip compile requirements.in\n"
    fails("requirements.txt", uv, ("rich", "13.7.1"))
    # Two declarations by marker: one version cannot satisfy both ranges.
    fails("requirements.txt", "numpy>=1.24; python_version>='3.9'\nnumpy<1.24; python_version<'3.9'\n",
          ("numpy", "1.26.4"))
    fails("requirements.txt", "pandas\n", ("pandas", "not a version"))
    fails("requirements.txt", "pandas\n", ("not a name!", "1.0"))


def test_every_unpinned_declaration_is_pinned() -> None:
    text = "numpy; sys_platform == 'linux'\nnumpy>=1.20; sys_platform == 'win32'\n"
    assert edit("requirements.txt", text, ("numpy", "1.26.4")) == (
        "numpy==1.26.4; sys_platform == 'linux'\nnumpy==1.26.4; sys_platform == 'win32'\n"
    )


def test_pin_requirement() -> None:
    assert pin_requirement("rich[jupyter]", "rich", "13.7.1") == "rich[jupyter]==13.7.1"
    assert pin_requirement("pandas>=2", "pandas", "2.2.2") == "pandas==2.2.2"
    assert pin_requirement("pandas==2.1", "pandas", "2.2.2") == "pandas==2.1"
    assert pin_requirement("numpy", "pandas", "2.2.2") is None
    with pytest.raises(DepFileError):
        pin_requirement("pandas<2", "pandas", "2.2.2")


# -- pyproject.toml ------------------------------------------------------------------------------

PEP621 = """\
[build-system]
requires = ["setuptools>=61.0"]
build-backend = "setuptools.build_meta"

[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = [
    "numpy",
    "torch>=2.0,<2.4",
    "cached_path>=1.6.2",  # remote files
]

[project.optional-dependencies]
dev = [
    "pytest",
    "black>=23.1,<24.0",
]
all = ["demo[dev]"]

[tool.black]
line-length = 115
include = '\\.pyi?$'
exclude = '''
(
    dependencies = ["not", "this"]
)
'''
"""


def test_pyproject_appends_in_the_array_layout() -> None:
    out = edit("pyproject.toml", PEP621, ("rich", "13.7.1"))
    assert out == PEP621.replace('"cached_path>=1.6.2",  # remote files\n',
                                 '"cached_path>=1.6.2",  # remote files\n    "rich==13.7.1",\n')


def test_pyproject_pins_in_place_in_dependencies_and_extras() -> None:
    out = edit("pyproject.toml", PEP621, ("numpy", "1.26.4"), ("torch", "2.3.1"), ("pytest", "8.3.2"))
    assert '    "numpy==1.26.4",\n    "torch==2.3.1",\n' in out
    assert '    "pytest==8.3.2",\n' in out
    assert "dependencies = [\"not\", \"this\"]" in out  # inside a multi-line string: untouched
    fails("pyproject.toml", PEP621, ("torch", "2.5.0"))  # outside >=2.0,<2.4


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        ('dependencies = ["numpy>=1", "pandas"]', 'dependencies = ["numpy>=1", "pandas", "rich==13.7.1"]'),
        ('dependencies = ["numpy>=1","pandas"]', 'dependencies = ["numpy>=1","pandas","rich==13.7.1"]'),
        ('dependencies = ["numpy>=1", "pandas",]', 'dependencies = ["numpy>=1", "pandas", "rich==13.7.1",]'),
        ("dependencies = ['numpy>=1']", "dependencies = ['numpy>=1', 'rich==13.7.1']"),
        ("dependencies = []", 'dependencies = ["rich==13.7.1"]'),
        ("dependencies = [\n]", 'dependencies = [\n    "rich==13.7.1",\n]'),
        ('dependencies = [\n  "scipy",\n  "pydantic>=2.0"\n]',
         'dependencies = [\n  "scipy",\n  "pydantic>=2.0",\n  "rich==13.7.1"\n]'),
        ('dependencies = [\n  "scipy",\n  "pydantic>=2.0"  # models\n]',
         'dependencies = [\n  "scipy",\n  "pydantic>=2.0",  # models\n  "rich==13.7.1"\n]'),
        ('dependencies = [\n\t"scipy",\n]', 'dependencies = [\n\t"scipy",\n\t"rich==13.7.1",\n]'),
    ],
)
def test_pyproject_array_styles(array: str, expected: str) -> None:
    head = '[project]\nname = "demo"\n'
    assert edit("pyproject.toml", head + array + "\n", ("rich", "13.7.1")) == head + expected + "\n"


def test_pyproject_without_final_newline_and_with_crlf() -> None:
    text = ('[project]\r\nname = "netto"\r\ndependencies = [\r\n    "scipy",\r\n]\r\n\r\n'
            '[tool.setuptools]\r\npackages = ["netto"]')
    out = edit("pyproject.toml", text, ("rich", "13.7.1"))
    assert out == text.replace('"scipy",\r\n', '"scipy",\r\n    "rich==13.7.1",\r\n')


def test_pyproject_dependency_groups_and_uv() -> None:
    text = '[project]\nname = "d"\ndependencies = []\n\n[dependency-groups]\ndev = ["pytest>=8"]\n\n' \
           '[tool.uv]\ndev-dependencies = ["ruff"]\n'
    out = edit("pyproject.toml", text, ("pytest", "8.3.2"), ("ruff", "0.6.1"))
    assert 'dev = ["pytest==8.3.2"]' in out and 'dev-dependencies = ["ruff==0.6.1"]' in out
    assert 'dependencies = []' in out


POETRY = """\
[tool.poetry]
name = "demo"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.10"
pandas = "^2.1"
matplotlib = { version = "~3.8", extras = ["all"] }
torch = { git = "https://github.com/pytorch/pytorch" }

[tool.poetry.group.dev.dependencies]
pytest = "*"

[build-system]
requires = ["poetry-core"]
"""


def test_poetry_pins_in_place_and_appends_to_the_main_table() -> None:
    out = edit("pyproject.toml", POETRY, ("pandas", "2.2.2"), ("matplotlib", "3.8.4"), ("pytest", "8.3.2"),
               ("rich", "13.7.1"), ("torch", "2.3.1"))
    assert out == (
        POETRY.replace('pandas = "^2.1"', 'pandas = "2.2.2"')
        .replace('version = "~3.8"', 'version = "3.8.4"')
        .replace('pytest = "*"', 'pytest = "8.3.2"')
        .replace('torch = { git = "https://github.com/pytorch/pytorch" }\n',
                 'torch = { git = "https://github.com/pytorch/pytorch" }\nrich = "13.7.1"\n')
    )


def test_poetry_ranges_are_checked() -> None:
    fails("pyproject.toml", POETRY, ("pandas", "3.0.0"))  # ^2.1 is <3
    fails("pyproject.toml", POETRY, ("matplotlib", "3.9.1"))  # ~3.8 is <3.9
    assert "pandas = \"2.5.0\"" in edit("pyproject.toml", POETRY, ("pandas", "2.5.0"))


def test_pep621_wins_over_poetry_tables_for_new_packages() -> None:
    text = '[project]\nname = "d"\ndependencies = ["numpy"]\n\n[tool.poetry.dependencies]\npython = "^3.10"\n'
    assert 'dependencies = ["numpy", "rich==13.7.1"]' in edit("pyproject.toml", text, ("rich", "13.7.1"))


def test_pyproject_refusals() -> None:
    assert "dynamic" in fails("pyproject.toml", '[project]\nname = "d"\ndynamic = ["dependencies"]\n', ("rich", "1.0"))
    fails("pyproject.toml", '[tool.black]\nline-length = 99\n', ("rich", "13.7.1"))
    # a package declared as a sub-table: adding a key of that name would break the file
    sub = '[tool.poetry.dependencies]\npython = "^3.10"\n\n[tool.poetry.dependencies.pandas]\nversion = "^2"\n'
    fails("pyproject.toml", sub, ("pandas", "2.2.2"))
    assert 'rich = "13.7.1"' in edit("pyproject.toml", sub, ("rich", "13.7.1"))
    fails("pyproject.toml", '[project]\nname = "d"\ndependencies = [\n"""numpy"""\n]\n', ("numpy", "1.26.4"))
    fails("pyproject.toml", '[project]\nname = "d"\ndependencies = "numpy"\n', ("numpy", "1.26.4"))


def test_pipfile() -> None:
    text = '[[source]]\nurl = "https://pypi.org/simple"\nverify_ssl = true\nname = "pypi"\n\n[packages]\n' \
           'pandas = "*"\nrequests = {version = ">=2", extras = ["socks"]}\n\n[dev-packages]\npytest = ">=7"\n\n' \
           '[requires]\npython_version = "3.11"\n'
    out = edit("Pipfile", text, ("pandas", "2.2.2"), ("requests", "2.32.3"), ("pytest", "8.3.2"), ("rich", "13.7.1"))
    assert out == (
        text.replace('pandas = "*"', 'pandas = "==2.2.2"').replace('version = ">=2"', 'version = "==2.32.3"')
        .replace('pytest = ">=7"', 'pytest = "==8.3.2"')
        .replace('extras = ["socks"]}\n', 'extras = ["socks"]}\nrich = "==13.7.1"\n')
    )


# -- environment.yml -----------------------------------------------------------------------------------

CONDA = """\
name: mlfold

channels:
  - conda-forge
  - pytorch

dependencies:
  - python=3.11
  - numpy  # arrays
  - conda-forge::pandas>=2
  - "scikit-learn"
  - pytorch::pytorch
  - cudatoolkit=11.3
  - scipy=1.11
  - pip
  - pip:
      - -e .  # this package, in development mode
      - requests
prefix: /home/me/miniconda3/envs/mlfold
"""


def test_conda_pins_in_place_in_conda_syntax() -> None:
    out = edit("environment.yml", CONDA, ("numpy", "1.26.4"), ("pandas", "2.2.2"), ("scikit-learn", "1.5.1"),
               ("torch", "2.3.1"), ("scipy", "1.11.4"), ("requests", "2.32.3"))
    assert out == (
        CONDA.replace("- numpy  #", "- numpy=1.26.4  #").replace("conda-forge::pandas>=2", "conda-forge::pandas=2.2.2")
        .replace('"scikit-learn"', '"scikit-learn=1.5.1"').replace("pytorch::pytorch\n", "pytorch::pytorch=2.3.1\n")
        .replace("scipy=1.11\n", "scipy=1.11.4\n").replace("- requests\n", "- requests==2.32.3\n")
    )
    fails("environment.yml", CONDA, ("scipy", "1.12.0"))  # scipy=1.11 is 1.11.*


def test_conda_new_packages_go_in_the_pip_list() -> None:
    out = edit("environment.yml", CONDA, ("rich", "13.7.1"))
    assert out == CONDA.replace("      - requests\n", "      - requests\n      - rich==13.7.1\n")


def test_conda_pip_list_is_created_with_pip() -> None:
    text = "name: demo\ndependencies:\n- python=3.11\n- numpy\nprefix: /opt/envs/demo\n"
    out = edit("environment.yml", text, ("rich", "13.7.1"), ("click", "8.1.7"))
    assert out == "name: demo\ndependencies:\n- python=3.11\n- numpy\n- pip\n- pip:\n  - rich==13.7.1\n" \
                  "  - click==8.1.7\nprefix: /opt/envs/demo\n"
    exported = "name: x\ndependencies:\n  - numpy=1.21.5=py37h2e5f0a9_3\n  - pip=22.3.1=py37hecd8cb5_0\n"
    assert edit("environment.yml", exported, ("rich", "13.7.1")).endswith(
        "  - pip=22.3.1=py37hecd8cb5_0\n  - pip:\n    - rich==13.7.1\n")


def test_conda_version_with_two_parts_uses_double_equals() -> None:
    # `name=2.1` would mean 2.1.*: the pin needs `==`
    out = edit("environment.yml", "dependencies:\n  - attrs\n", ("attrs", "24.2"))
    assert out == "dependencies:\n  - attrs==24.2\n"


def test_conda_refusals() -> None:
    fails("environment.yml", "name: x\ndependencies: [numpy, pandas]\n", ("rich", "13.7.1"))
    fails("environment.yml", "name: x\nchannels: [conda-forge]\n", ("rich", "13.7.1"))
    fails("environment.yml", "dependencies:\n  - numpy\n  - pip:\n    - torch\n  - pip:\n      - x\n",
          ("rich", "1.0"))
    fails("environment.yml", "dependencies:\n  - numpy=1.26=*_0\n", ("numpy", "1.26.4"))


# -- setup.cfg, setup.py ------------------------------------------------------------------------------


def test_setup_cfg() -> None:
    text = "[metadata]\nname = demo\n\n[options]\npackages = find:\ninstall_requires =\n    numpy>=1.20\n" \
           "    pandas  # frames\npython_requires = >=3.9\n\n[options.extras_require]\nplot =\n    matplotlib\n"
    out = edit("setup.cfg", text, ("pandas", "2.2.2"), ("matplotlib", "3.9.1"), ("rich", "13.7.1"))
    assert out == (
        text.replace("pandas  #", "pandas==2.2.2  #").replace("    matplotlib\n", "    matplotlib==3.9.1\n")
        .replace("# frames\n", "# frames\n    rich==13.7.1\n")
    )
    fails("setup.cfg", "[options]\ninstall_requires = file: requirements.txt\n", ("rich", "13.7.1"))
    fails("setup.cfg", "[metadata]\nname = demo\n", ("rich", "13.7.1"))


def test_setup_py_is_code() -> None:
    assert "by hand" in fails("setup.py", "from setuptools import setup\nsetup(install_requires=['x'])\n",
                              ("rich", "13.7.1"))


# -- the overlay -------------------------------------------------------------------------------------


def test_overlay_shows_a_file_that_does_not_exist(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    assert deps.find_dependencies(tmp_path) is None
    req = tmp_path / "requirements.txt"
    with deps.overlay({req: "rich==13.7.1\n"}):
        found = deps.find_dependencies(tmp_path)
        assert found is not None and [f.path for f in found.files] == [req]
        assert found.is_pinned(["rich"])
        assert deps.is_file(req) and deps.file_text(req) == "rich==13.7.1\n"
    assert deps.find_dependencies(tmp_path) is None
    assert not deps.is_file(req) and deps.file_text(req) is None


def test_overlay_text_wins_over_the_disk_and_leaves_no_trace(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("pandas\n")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "d"\ndynamic = ["dependencies"]\n'
                         '[tool.setuptools.dynamic]\ndependencies = {file = ["requirements.txt"]}\n')

    def pinned() -> tuple[bool, bool]:
        found = deps.find_dependencies(tmp_path)
        assert found is not None
        by_file = {f.path.name: f for f in found.files}
        return (all(r.pinned for r in by_file["requirements.txt"].requirements),
                all(r.pinned for r in by_file["pyproject.toml"].requirements))

    assert pinned() == (False, False)  # and both are cached now
    with deps.overlay({req: "pandas==2.2.2\n"}):
        assert pinned() == (True, True)  # the pyproject.toml reads the overlaid file too
        with deps.overlay({req: "pandas>=2\n"}):  # nested: the inner one wins
            assert pinned() == (False, False)
        assert pinned() == (True, True)
    assert pinned() == (False, False)
    assert req.read_text() == "pandas\n"


def test_overlay_is_per_thread(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    seen: list[object] = []
    with deps.overlay({tmp_path / "requirements.txt": "rich==13.7.1\n"}):
        t = threading.Thread(target=lambda: seen.append(deps.find_dependencies(tmp_path)))
        t.start()
        t.join()
    assert seen == [None]


def test_overlay_reads_a_requirements_file_included_by_another(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r base.txt\n")
    base = tmp_path / "base.txt"
    with deps.overlay({base: "numpy==1.26.4\n"}):
        found = deps.find_dependencies(tmp_path)
        assert found is not None and found.is_pinned(["numpy"])
    found = deps.find_dependencies(tmp_path)
    assert found is not None and not found.declarations(["numpy"])
