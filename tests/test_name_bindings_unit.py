"""Names that IPython magics and dynamic code bind or read are seen by every name analysis
(NB304, NB305, NB701, NB702): ``ParsedCode.name_body``."""

from __future__ import annotations

from pathlib import Path

import pytest
from _notebooks import code, write

from nb2prod.code import is_synthetic, parse_code
from nb2prod.config import Overrides
from nb2prod.engine import lint_file

NAME_CODES = ("NB304", "NB305", "NB701", "NB702")


def _findings(tmp_path: Path, *cells: object) -> list[tuple[str, int, int]]:
    path = write(tmp_path / "nb.ipynb", *cells)
    result = lint_file(path, Overrides(select=NAME_CODES))
    return [(f.code, f.cell, f.line) for f in result.findings]


CLEAN = {
    "time_binds": [code("import numpy as np\n%time X = np.zeros(3)", count=1), code("print(X)", count=2)],
    "timeit_reads_imports": [code("import numpy as np\n%timeit -n 10 -r3 np.zeros(3)", count=1)],
    "timeit_o_assigned": [code("import numpy as np\nr = %timeit -o np.zeros(3)", count=1),
                          code("print(r)", count=2)],
    "cell_timeit_setup": [code("%%timeit data = list(range(10))\nsorted(data)", count=1)],
    "capture_with_options": [code("%%capture --no-stderr out\nprint(1)", count=1),
                             code("print(out.stdout)", count=2)],
    "shell_capture": [code("files = %sx ls\nout = !ls", count=1), code("print(files, out)", count=2)],
    "store_r": [code("%store -r model", count=1), code("print(model)", count=2)],
    "run_may_define_anything": [code("%run helpers.py", count=1), code("print(load)", count=2),
                                code("load = 1", count=3)],
    "magic_in_function_scope": [code("def bench(n):\n    %timeit sorted(range(n))", count=1)],
    "global_in_function": [code("def f():\n    global g\n    g = 1\nf()", count=1), code("print(g)", count=2)],
    "exec": [code("exec('z = 1')", count=1), code("print(z)", count=2)],
    "globals_subscript": [code("for k in ['a']:\n    globals()[k] = 1", count=1), code("print(a)", count=2)],
    "globals_update": [code("globals().update({'b': 1})", count=1), code("print(b)", count=2)],
    "r_output": [code("%%R -o rdf,rx\nrdf <- data.frame()", count=1), code("print(rdf, rx)", count=2)],
    "r_line_output": [code("%R -o ry ry <- 1", count=1), code("print(ry)", count=2)],
    "bigquery": [code("%%bigquery --project p df\nSELECT 1", count=1), code("print(df)", count=2)],
    "sql_target": [code("%%sql result <<\nSELECT 1", count=1), code("print(result)", count=2)],
    "script_out": [code("%%bash --out o --err e\nls", count=1), code("print(o, e)", count=2)],
    "cython": [code("%%cython\ncpdef double f(double x):\n    return x\ndef g(x):\n    return x\n"
                    "cdef class C:\n    pass", count=1), code("print(f(1), g(1), C)", count=2)],
    "pylab": [code("%pylab inline", count=1), code("plot(arange(3))", count=2)],
    "unknown_extension": [code("%load_ext kedro.ipython", count=1), code("print(catalog)", count=2),
                          code("catalog = 1", count=3)],
    "explicit_get_ipython": [code("get_ipython().run_line_magic('time', 'W = 3')", count=1),
                             code("print(W)", count=2)],
    "availability_check_import": [code("try:\n    import google.colab\n    IN_COLAB = True\n"
                                       "except ImportError:\n    IN_COLAB = False\nprint(IN_COLAB)")],
    "lprun_function_read": [code("from helpers import f\n%lprun -f f print(1)", count=1)],
    "shell_expansion_uses_import": [code("import sys\n!{sys.executable} -m pip install numpy")],
    "shell_capture_expansion": [code("import os\nout = !ls {os.getcwd()}\nprint(out)")],
    "line_magic_expansion": [code("import pathlib\n%cd {pathlib.Path.home()}")],
    "dollar_expansion": [code("import glob\n!echo $glob")],
    "unknown_expansion_is_left_to_the_shell": [code("!echo $HOME {undefined_thing} && awk '{print $1}' f")],
}


@pytest.mark.parametrize("case", sorted(CLEAN))
def test_names_bound_or_read_by_magics_are_seen(tmp_path: Path, case: str) -> None:
    assert _findings(tmp_path, *CLEAN[case]) == []


def test_undefined_name_in_a_magic_argument_is_reported(tmp_path: Path) -> None:
    assert _findings(tmp_path, code("%timeit undefined_fn(3)")) == [("NB701", 1, 1)]


def test_unused_import_beside_a_magic_is_still_reported(tmp_path: Path) -> None:
    found = _findings(tmp_path, code("import numpy as np\nimport os\n%time x = np.zeros(1)", count=1))
    assert found == [("NB702", 1, 2)]


def test_literal_braces_in_a_shell_command_read_nothing(tmp_path: Path) -> None:
    assert _findings(tmp_path, code("import numpy as np\n!echo {{np}}")) == [("NB702", 1, 1)]


def test_name_read_before_a_magic_binds_it_is_use_before_definition(tmp_path: Path) -> None:
    found = _findings(tmp_path, code("print(X)", count=2), code("%time X = 1", count=1))
    assert found == [("NB304", 1, 1)]


def test_timeit_does_not_hide_a_name_defined_later(tmp_path: Path) -> None:
    # only what a magic binds is bound; a plain `%matplotlib` binds nothing
    found = _findings(tmp_path, code("%matplotlib inline\nprint(y)", count=1), code("y = 1", count=2))
    assert found == [("NB304", 1, 2)]


def test_name_body_marks_synthetic_statements_and_keeps_the_tree() -> None:
    parsed = parse_code("%time X = f()\nprint(X)")
    assert parsed.tree is not None and len(parsed.tree.body) == 2  # the tree itself is untouched
    body = parsed.name_body
    assert [type(s).__name__ for s in body] == ["Expr", "Assign", "Expr"]
    assert not any(is_synthetic(s) for s in body)  # `X = f()` is the cell's own code
    assert body[1].lineno == 1 and body[1].col_offset == len("%time ")
    capture = parse_code("%%capture out\nprint(1)").name_body
    assert is_synthetic(capture[-1])
    plain = parse_code("x = 1")
    assert plain.tree is not None and plain.name_body == plain.tree.body
