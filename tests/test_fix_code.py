"""Fixes that rewrite code: secrets to environment variables (NB601), absolute paths made
relative (NB501, NB502), scattered imports moved up (NB713), empty cells deleted (NB703)
and unused `# noqa` comments removed (NB720). Issue 14.

Each fix goes through tests/fixcheck.py: the finding is gone, nothing new appears, a
second fix changes nothing, bytes elsewhere are unchanged; where the fix touches code,
the fixed notebook runs in a fresh kernel (marked slow). Cases where a fix would be
wrong check that no fix is offered.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixcheck import check_fix, make_notebook

from nb2prod.engine import lint_file, lint_notebook
from nb2prod.fixes.run import fix_file, fix_notebook_data
from nb2prod.notebook import notebook_from_dict
from nb2prod.rules.portability.paths import HOME

TITLE = "# md: # Title"

# Secrets of known formats, built so that this file holds none.
OPENAI = "sk-proj-" + "Xq7Lm2Rt9Vb4Nc8Kd1Wf6Hg3Js5Pz0Ay" * 2
AWS_ID = "AKIA" + "QX7LM2RT9VB4NC8K"
HF = "hf_" + "qXvLmRtVbNcKdWfHgJsPzAyTeUoIpMnBcZ"


def _findings(path: Path, code: str) -> list:
    return [f for f in lint_file(path).findings if f.code == code]


def _write(tmp_path: Path, cells: list, name: str = "nb.ipynb") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(make_notebook(cells), indent=1) + "\n", encoding="utf-8")
    return path


# -- NB601: a secret literal becomes os.environ["NAME"] ------------------------------------


@pytest.mark.slow
@pytest.mark.kernel
def test_a_secret_assigned_to_a_name_is_read_from_that_environment_variable_and_the_notebook_runs(
        tmp_path, monkeypatch):
    monkeypatch.setenv("API_KEY", "value-from-the-environment")  # the kernel inherits it
    cells = [TITLE, "import json\nsettings = {}", f'api_key = "{OPENAI}"\nassert api_key.startswith("value")']
    check = check_fix(tmp_path, cells, "NB601", unsafe=True, run=True)
    assert check.sources()[1] == "import os\nimport json\nsettings = {}"
    assert check.sources()[2] == 'api_key = os.environ["API_KEY"]\nassert api_key.startswith("value")'
    fix = next(f.fix for f in check.before if f.code == "NB601")
    assert "`API_KEY`" in fix.message and OPENAI not in fix.message
    assert OPENAI not in check.text


def test_a_keyword_argument_names_the_variable_and_an_existing_import_os_is_used(tmp_path):
    cells = [TITLE, "import os\ndef client(**kw):\n    return kw",
             f's3 = client(aws_access_key_id="{AWS_ID}", region="eu-west-1")']
    check = check_fix(tmp_path, cells, "NB601", unsafe=True)
    assert check.sources()[1] == "import os\ndef client(**kw):\n    return kw"
    assert check.sources()[2] == 's3 = client(aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], region="eu-west-1")'


def test_a_secret_with_no_name_takes_the_name_of_its_kind(tmp_path):
    cells = [TITLE, "def login(token):\n    return token", f"user = login('{HF}')", f"x = '{AWS_ID}'"]
    check = check_fix(tmp_path, cells, "NB601", unsafe=True)
    assert check.sources()[1] == "import os\ndef login(token):\n    return token"
    assert check.sources()[2] == 'user = login(os.environ["HF_TOKEN"])'
    assert check.sources()[3] == 'x = os.environ["AWS_ACCESS_KEY_ID"]'  # `x` names no secret


def test_camel_case_names_dict_keys_and_setdefault_pairs_give_the_name(tmp_path):
    cells = [TITLE, "import os",
             f'apiKey = "{OPENAI}"',
             'config = {"db_password": "hunter2-Tr0ub4dor"}',
             f'os.environ.setdefault("HUGGINGFACE_TOKEN", "{HF}")']
    check = check_fix(tmp_path, cells, "NB601", unsafe=True)
    assert check.sources()[2:] == ['apiKey = os.environ["API_KEY"]',
                                   'config = {"db_password": os.environ["DB_PASSWORD"]}',
                                   'os.environ.setdefault("HUGGINGFACE_TOKEN", os.environ["HUGGINGFACE_TOKEN"])']


def test_import_os_goes_after_future_imports_and_past_skip_cells(tmp_path):
    skipped = {"cell_type": "code", "source": "print('plots')", "metadata": {"tags": ["skip"]},
               "outputs": [], "execution_count": None}
    cells = [TITLE, skipped, "from __future__ import annotations\nimport sys", f'password = "{OPENAI}"']
    check = check_fix(tmp_path, cells, "NB601", unsafe=True)
    assert check.sources()[1] == "print('plots')"
    assert check.sources()[2] == "from __future__ import annotations\nimport os\nimport sys"


@pytest.mark.parametrize(
    "source",
    [
        f'url = f"https://api.example.org/?key={{1}}&token={OPENAI}"',  # part of an f-string
        'engine = "postgresql://admin:Sup3r-S3cret-pw@db.internal:5432/prod"',  # inside a URL
        f'headers = {{"Authorization": "Bearer {OPENAI}"}}',  # inside a larger string
        f'check_all(["{OPENAI}"])',  # nothing names it, and no variable for its kind
        f'%env OPENAI_API_KEY={OPENAI}',  # IPython syntax
    ],
)
def test_no_fix_where_the_secret_is_not_a_whole_literal_with_a_name(tmp_path, source):
    path = _write(tmp_path, [TITLE, "import os", source])
    found = _findings(path, "NB601")
    assert found and all(f.fix is None for f in found)


def test_no_fix_in_markdown_and_when_one_name_would_hold_two_secrets(tmp_path):
    cells = [TITLE, f"# md: the key is `{OPENAI}`", f'password = "{OPENAI}"', f'password = "{HF}"']
    path = _write(tmp_path, cells)
    found = _findings(path, "NB601")
    assert len(found) == 3 and all(f.fix is None for f in found)


def test_a_line_with_two_secrets_is_fixed_whole_or_not_at_all(tmp_path):
    cells = [TITLE, f'auth = dict(aws_access_key_id="{AWS_ID}", hf_token="{HF}")']
    check = check_fix(tmp_path, cells, "NB601", unsafe=True)
    assert check.sources()[1] == ('import os\nauth = dict(aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], '
                                  'hf_token=os.environ["HF_TOKEN"])')
    path = _write(tmp_path, [TITLE, f'auth = dict(aws_access_key_id="{AWS_ID}", url=f"{{HF}}{HF}")'], "two.ipynb")
    assert [f.fix for f in _findings(path, "NB601")] == [None]


def test_the_secret_fix_is_unsafe_only(tmp_path):
    path = _write(tmp_path, [TITLE, f'api_key = "{OPENAI}"'])
    outcome = fix_file(path, write=False)
    assert not outcome.fixed and outcome.text is None


# -- NB501 / NB502: absolute paths inside the project made relative -------------------------


def _fix_in_memory(cells: list, path: Path, code: str) -> tuple[list, list[str]]:
    """Lint the notebook as if it were at ``path`` (nothing is written), fix it; the
    findings of ``code`` before, and the fixed sources."""
    data = make_notebook(cells)
    before = [f for f in lint_notebook(notebook_from_dict(data, path=path)).findings if f.code == code]
    fix_notebook_data(data, path, unsafe=True, only=frozenset({code}))
    return before, ["".join(c["source"]) for c in data["cells"]]


def test_an_absolute_path_in_the_notebooks_folder_becomes_relative_in_its_quotes():
    cells = [TITLE, "import pandas as pd",
             "df = pd.read_csv('/srv/proj/data/iris.csv')",
             'DATA_DIR = r"/srv/proj/data/"\nopen(DATA_DIR + "x.csv")',
             'out = open(f"/srv/proj/out/{1}.csv", "w")']
    before, sources = _fix_in_memory(cells, Path("/srv/proj/nb.ipynb"), "NB502")
    assert len(before) == 3 and all(f.fix is not None for f in before)
    assert sources[2:] == ["df = pd.read_csv('data/iris.csv')",
                           'DATA_DIR = r"data/"\nopen(DATA_DIR + "x.csv")',
                           'out = open(f"out/{1}.csv", "w")']


def test_a_home_folder_path_inside_the_project_becomes_relative():
    cells = [TITLE, "import pandas as pd", 'df = pd.read_csv("/home/jake/proj/data/iris.csv")',
             'other = pd.read_csv("/home/jake/Downloads/iris.csv")']
    before, sources = _fix_in_memory(cells, Path("/home/jake/proj/nb.ipynb"), "NB501")
    assert [f.fix is not None for f in before] == [True, False]  # the Downloads folder is not the project's
    assert sources[2:] == ['df = pd.read_csv("data/iris.csv")', 'other = pd.read_csv("/home/jake/Downloads/iris.csv")']


@pytest.mark.parametrize(
    "source",
    [
        "df = open('/srv/elsewhere/iris.csv')",  # outside the project
        "df = open('/srv/proj/../proj/iris.csv')",  # not in normal form
        "ROOT = '/srv/proj'\ndf = open(ROOT + '_old/iris.csv')",  # the folder itself, no final slash
        "df = open('/srv/proj/data/iris.csv')\n%cd /srv",  # the notebook changes directory
        "df = open('/srv/proj/a.csv' '')",  # implicit concatenation
        "df = open(f'/srv/proj{1}')",  # the f-string's text is the folder, no final slash
        "df = open('D:\\\\proj\\\\iris.csv')",  # Windows
    ],
)
def test_no_path_fix_where_a_relative_path_could_mean_something_else(source):
    before, _ = _fix_in_memory([TITLE, source], Path("/srv/proj/nb.ipynb"), "NB502")
    assert before and all(f.fix is None for f in before)


@pytest.fixture
def project_outside_tmp() -> Iterator[Path]:
    """A project folder with a `.git` (its root) outside /tmp, where NB501/NB502 do not
    look: a hidden folder beside this file, or in ~/.cache when the checkout is under
    /tmp (as CI's clean clone may be), removed afterwards."""
    where = [Path(__file__).parent, Path.home() / ".cache"]
    outside = [d for d in where if not str(d.resolve()).startswith(("/tmp/", "/var/tmp/"))]
    if not outside:
        pytest.skip("the checkout and the home folder are under /tmp: no absolute path there is reported")
    outside[0].mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix=".fixcheck-", dir=outside[0]))
    try:
        project = base / "proj"
        (project / ".git").mkdir(parents=True)
        (project / "pyproject.toml").write_text("[tool.nb2prod]\n", encoding="utf-8")
        yield project
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.kernel
def test_a_path_under_the_project_root_climbs_from_the_notebooks_folder_and_the_notebook_runs(
        project_outside_tmp):
    project = project_outside_tmp
    code = "NB501" if HOME.search(str(project)) else "NB502"
    data = project / "data" / "iris.csv"
    data.parent.mkdir()
    data.write_text("a,b\n1,2\n", encoding="utf-8")
    notebooks = project / "notebooks"
    notebooks.mkdir()
    cells = [TITLE, "import csv", f'rows = list(csv.reader(open("{data}")))\nassert rows[1] == ["1", "2"]']
    check = check_fix(notebooks, cells, code, unsafe=True, run=True)
    assert check.sources()[2] == 'rows = list(csv.reader(open("../data/iris.csv")))\nassert rows[1] == ["1", "2"]'
    # the relative path stays inside the project: NB506 has nothing to say
    assert not [f for f in check.after if f.code == "NB506"]


# -- NB713: scattered imports moved to the first code cell --------------------------------


@pytest.mark.slow
@pytest.mark.kernel
def test_scattered_imports_move_after_the_first_cells_imports_and_the_notebook_runs(tmp_path):
    cells = [TITLE, "import math\n%matplotlib inline\nx = math.sqrt(4)",
             "y = x + 1",
             "import statistics as st  # stats\nimport json\nz = st.mean([1, 2])\nprint(json.dumps(z))",
             "import textwrap",
             "print(textwrap.shorten('a b c', 20))"]
    check = check_fix(tmp_path, cells, "NB713", unsafe=True, run=True)
    assert check.sources() == [
        "# Title",
        "import math\nimport statistics as st  # stats\nimport json\nimport textwrap\n"
        "%matplotlib inline\nx = math.sqrt(4)",
        "y = x + 1",
        "z = st.mean([1, 2])\nprint(json.dumps(z))",
        "print(textwrap.shorten('a b c', 20))",  # the cell left empty was deleted
    ]
    fixes = [f.fix for f in check.before if f.code == "NB713"]
    assert len(fixes) == 3 and len(set(fixes)) == 1  # one fix: applying one applies all


def test_imports_go_to_the_start_of_a_first_cell_that_has_none(tmp_path):
    cells = [TITLE, "# data\nrows = sorted([3, 1, 2])", "import bisect\n\n# insert\nbisect.insort(rows, 2)"]
    check = check_fix(tmp_path, cells, "NB713", unsafe=True)
    # the blank line the cell would start with goes too
    assert check.sources()[1:] == ["# data\nimport bisect\nrows = sorted([3, 1, 2])",
                                   "# insert\nbisect.insort(rows, 2)"]


@pytest.mark.parametrize(
    "between",
    [
        "%pip install six",
        "!pip install six",
        "import sys\nsys.path.append('src')",
        "import os\nos.environ['KERAS_BACKEND'] = 'jax'",
        "%cd ..",
        "%%writefile helper.py\nx = 1",
        "with open('helper.py', 'w') as f:\n    f.write('x = 1')",
        "exec('import six')",
    ],
)
def test_no_import_moves_above_what_may_change_what_it_imports(tmp_path, between):
    cells = [TITLE, "rows = [1, 2]\ntotal = sum(rows)", between, "import bisect\nbisect.insort(rows, 2)"]
    path = _write(tmp_path, cells)
    found = [f for f in _findings(path, "NB713") if "`bisect`" in f.message]
    assert found and all(f.fix is None for f in found)


@pytest.mark.parametrize(
    "cells",
    [
        # on a line with other code, inside a try, a star import
        ["rows = sorted([1])", "import bisect; bisect.insort(rows, 2)"],
        ["rows = sorted([1])", "from bisect import *"],
        ["bisect = None\nrows = sorted([1])", "import bisect"],  # binds a name bound before it
        ["%%time\nrows = sorted([1])", "import bisect"],  # the first code cell is not plain Python
        [{"cell_type": "code", "source": "rows = sorted([1])", "metadata": {"tags": ["predict"]}, "outputs": [],
          "execution_count": None}, "x = sum([1])", "import bisect"],
        # the cell it leaves would be empty but ran: deleting it would leave a gap in the counts
        ["rows = sorted([1])", {"cell_type": "code", "source": "import bisect", "metadata": {}, "outputs": [],
                                "execution_count": 2}],
    ],
)
def test_no_move_where_it_could_go_wrong(tmp_path, cells):
    path = _write(tmp_path, [TITLE, *cells])
    found = _findings(path, "NB713")
    assert found and all(f.fix is None for f in found)


def test_an_import_that_cannot_move_does_not_stop_the_others(tmp_path):
    cells = [TITLE, "rows = sorted([1])", "import bisect; bisect.insort(rows, 2)", "import heapq\nheapq.heapify(rows)"]
    path = _write(tmp_path, cells)
    assert [f.fix is not None for f in _findings(path, "NB713")] == [False, True]
    outcome = fix_file(path, unsafe=True)
    assert outcome.fixed == {"NB713": 1}
    sources = ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]]
    assert sources[1:] == ["import heapq\nrows = sorted([1])", "import bisect; bisect.insort(rows, 2)",
                           "heapq.heapify(rows)"]
    assert [f.source_line for f in _findings(path, "NB713")] == ["import bisect; bisect.insort(rows, 2)"]


# -- NB703: empty cells deleted -------------------------------------------------------------


def test_an_empty_code_cell_is_deleted_and_nothing_else_changes(tmp_path):
    cells = [TITLE, "x = 1", "   \n", "y = x", ""]
    check = check_fix(tmp_path, cells, "NB703")
    assert check.sources() == ["# Title", "x = 1", "y = x"]
    assert [c["id"] for c in check.data["cells"]] == ["cell-0", "cell-1", "cell-3"]


def test_empty_cells_that_mean_something_are_kept(tmp_path):
    tagged = {"cell_type": "code", "source": "", "metadata": {"tags": ["parameters"]}, "outputs": [],
              "execution_count": None}
    locked = {"cell_type": "code", "source": "", "metadata": {"deletable": False}, "outputs": [],
              "execution_count": None}
    ran = {"cell_type": "code", "source": "", "metadata": {}, "outputs": [], "execution_count": 3}
    markdown = {"cell_type": "markdown", "source": "", "metadata": {},
                "attachments": {"a.png": {"image/png": "iVBORw0KGgo="}}}
    path = _write(tmp_path, [TITLE, tagged, "x = 1", locked, ran, markdown])
    found = _findings(path, "NB703")
    assert len(found) == 4 and all(f.fix is None for f in found)
    only = _write(tmp_path, [""], "only.ipynb")
    assert [f.fix for f in _findings(only, "NB703")] == [None]


# -- NB720: unused noqa comments removed ----------------------------------------------------


@pytest.mark.slow
@pytest.mark.kernel
def test_an_unused_noqa_comment_is_removed_and_the_notebook_runs(tmp_path):
    cells = [TITLE, "x = 1  # noqa: NB101\nprint(x)"]
    check = check_fix(tmp_path, cells, "NB720", run=True)
    assert check.sources()[1] == "x = 1\nprint(x)"


@pytest.mark.parametrize(
    ("source", "fixed"),
    [
        ("x = 1  # noqa: NB101", "x = 1"),
        ("x = 1  # noqa:NB101,NB102", "x = 1"),
        ("x = 1  # noqa: NB101, E501", "x = 1  # noqa: E501"),
        ("x = 1  # noqa: E501, NB101", "x = 1  # noqa: E501"),
        ("x = 1  # noqa: E501 NB101 W291", "x = 1  # noqa: E501 W291"),
        ("x = 1  # type: ignore  # noqa: NB101", "x = 1  # type: ignore"),
        ("# noqa: NB101\nx = 1", "x = 1"),
        ("x = 1\n# noqa: NB101", "x = 1"),
        ("x = [\n    1,  # noqa: NB101\n]", "x = [\n    1,\n]"),
        ("s = 'é✓'  # noqa: NB101, NB102\nt = 1", "s = 'é✓'\nt = 1"),  # columns in characters
    ],
)
def test_unused_noqa_codes_are_removed(tmp_path, source, fixed):
    check = check_fix(tmp_path, [TITLE, source], "NB720")
    assert check.sources()[1] == fixed


def test_only_the_unused_code_of_a_used_noqa_goes(tmp_path):
    cells = [TITLE, "import random", "x = random.random()  # noqa: NB101, NB702"]
    check = check_fix(tmp_path, cells, "NB720")
    assert check.sources()[2] == "x = random.random()  # noqa: NB101"
    assert not [f for f in check.after if f.code == "NB101"]  # still suppressed


@pytest.mark.parametrize(
    "source",
    [
        "x = 1  # noqa: NB101 the seed is set by the caller",  # a reason follows
        "# noqa: NB101",  # the cell would be empty
    ],
)
def test_no_noqa_fix_where_it_would_lose_words_or_the_cell(tmp_path, source):
    path = _write(tmp_path, [TITLE, source])
    found = _findings(path, "NB720")
    assert found and all(f.fix is None for f in found)


def test_an_unused_ignore_tag_is_not_fixed(tmp_path):
    cell = {"cell_type": "code", "source": "x = 1", "metadata": {"tags": ["nb2prod:ignore:NB101"]},
            "outputs": [], "execution_count": None}
    path = _write(tmp_path, [TITLE, cell])
    found = _findings(path, "NB720")
    assert found and all(f.fix is None for f in found)
