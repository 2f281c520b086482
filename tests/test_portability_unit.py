"""NB5xx details that fixtures show poorly: the exact columns a path finding covers."""

from __future__ import annotations

from pathlib import Path

import pytest

from nb2prod.config import Overrides, settings_from_table
from nb2prod.engine import lint_notebook
from nb2prod.notebook import read_notebook


def _findings(write_nb, tmp_path: Path, code: str, source: str):
    (tmp_path / ".git").mkdir(exist_ok=True)  # the project root, for NB506
    nb = read_notebook(write_nb(source, title=False))
    settings = settings_from_table({"select": [code]}, None, Overrides())
    result = lint_notebook(nb, settings, raise_errors=True)
    assert not result.internal_errors
    return [f for f in result.findings if f.code == code]


@pytest.mark.parametrize(
    ("code", "source", "covered"),
    [
        ("NB501", "import os\nos.chdir('/Users/alice/x')", "/Users/alice/x"),
        ("NB501", 'import pandas as pd\ndf = pd.read_csv("/home/jake/data.csv")', "/home/jake/data.csv"),
        ("NB501", "x = open(f'/root/{name}.txt')", "/root/"),
        ("NB501", "CACHE = '~/data/cache'", "~/data/cache"),
        ("NB501", "!ls -l /home/jake/data", "/home/jake/data"),
        ("NB501", "note = 'é ✓'; p = '/Users/jo/x'", "/Users/jo/x"),  # columns in characters, not bytes
        ("NB501", "a = '/Users/jo/x'; b = ['/Users/jo/x']", "/Users/jo/x"),
        ("NB501", "w = 'C:\\\\Users\\\\jake\\\\d.csv'", "C:\\\\Users\\\\jake\\\\d.csv"),  # as written: escaped
        ("NB502", "import pandas as pd\ndf = pd.read_csv('/data/x.csv')", "/data/x.csv"),
        ("NB502", "from pathlib import Path\nq = Path('/var/data') / 'x.csv'", "/var/data"),
        ("NB502", "DATA_DIR = '/data/iris'", "/data/iris"),
        ("NB502", "fh = open(' /srv/x.txt ')", "/srv/x.txt"),
        ("NB502", "WIN = 'D:\\\\datasets\\\\iris.csv'", "D:\\\\datasets\\\\iris.csv"),
        # a variable of any name holding an absolute path, used as a path: the value is covered
        ("NB502", "import pandas as pd\nroot = '/srv/x'\ndf = pd.read_csv(root + '/a.csv')", "/srv/x"),
        ("NB501", "from pathlib import Path\np = Path.home() / 'data'", "Path.home()"),
        ("NB506", "import pandas as pd\ndf = pd.read_csv('../shared/iris.csv')", "../shared/iris.csv"),
        ("NB506", "import sys\nsys.path.append('../../lib')", "../../lib"),
        ("NB506", "import os\np = os.path.join('..', 'data', 'x.csv')", ".."),
        ("NB506", "cmd = 'cp ../other/a.csv data/'", "../other/a.csv"),
    ],
)
def test_path_findings_cover_exactly_the_path(write_nb, tmp_path: Path, code: str, source: str, covered: str) -> None:
    found = _findings(write_nb, tmp_path, code, source)
    assert found, f"{code} did not fire"
    for f in found:
        assert f.source_line is not None
        assert f.end_line == f.line
        assert f.end_column is not None
        assert f.source_line[f.column - 1 : f.end_column - 1] == covered


def test_chdir_span_stops_before_the_closing_quote(write_nb, tmp_path: Path) -> None:
    (f,) = _findings(write_nb, tmp_path, "NB501", "import os\nos.chdir('/Users/alice/x')")
    # os.chdir('/Users/alice/x')
    #           ^ column 11       ^ end column 25 (exclusive): the quote, not covered
    assert (f.line, f.column, f.end_line, f.end_column) == (2, 11, 2, 25)
