"""nb2prod.ipysyntax: IPython's input transforms, without IPython.

Every hand-written case is checked against the text it must give, and, when IPython 9 is
installed (the test extra keeps it), against IPython's own ``TransformerManager``. Then the
cells of real notebooks that are not Python as they stand (``../shared/corpus``, the
precision set, the test notebooks) and hypothesis cells that mix Python with IPython syntax
are compared with IPython.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nb2prod.code import _quick_transform, parse_code
from nb2prod.ipysyntax import transform_cell
from nb2prod.notebook import read_notebook

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

# IPython raises on these; transform_cell leaves the cell as it is.
RAISES = None

CASES: list[tuple[str, str, str | None]] = [
    # line magics: the name is what comes before the first space, the rest is passed as it is
    ("magic", "%matplotlib inline", "get_ipython().run_line_magic('matplotlib', 'inline')\n"),
    ("magic two spaces", "%time  f()", "get_ipython().run_line_magic('time', ' f()')\n"),
    ("magic tab", "%matplotlib\tinline", "get_ipython().run_line_magic('matplotlib\\tinline', '')\n"),
    ("magic not a name", "%undefined-line-magic", "get_ipython().run_line_magic('undefined-line-magic', '')\n"),
    ("magic trailing space", "%time f()   ", "get_ipython().run_line_magic('time', 'f()')\n"),
    ("magic with quotes", "%config InlineBackend.figure_format = 'retina'",
     "get_ipython().run_line_magic('config', \"InlineBackend.figure_format = 'retina'\")\n"),
    ("%% not first", "x = 1\n%%time\ny", "x = 1\nget_ipython().run_line_magic('%time', '')\ny\n"),
    # shell
    ("shell", "!pip install x", "get_ipython().system('pip install x')\n"),
    ("shell space", "! ls /tmp", "get_ipython().system(' ls /tmp')\n"),
    ("shell capture", "!! ls", "get_ipython().getoutput(' ls')\n"),
    ("shell continued", "!ls \\\n  -l", "get_ipython().system('ls    -l')\n"),
    ("shell continued at the end", "!ls \\", "get_ipython().system('ls \\\\')\n"),
    ("shell comment kept", "x = 1 # %time\n!ls  # comment", "x = 1 # %time\nget_ipython().system('ls  # comment')\n"),
    ("shell expansion", "!echo $HOME é {x}", "get_ipython().system('echo $HOME é {x}')\n"),
    ("shell crlf", "!ls\r\nx = 1\r\n", "get_ipython().system('ls')\nx = 1\r\n"),
    # assignments
    ("magic assign", "x = %time f()", "x = get_ipython().run_line_magic('time', 'f()')\n"),
    ("magic assign tuple", "a, b = %who_ls", "a, b = get_ipython().run_line_magic('who_ls', '')\n"),
    ("magic assign %%", "x = %%time f()", "x = %%time f()\n"),
    ("magic assign bare", "x = %", "x = %\n"),
    ("magic assign bracket", "y = %time (x\n + 1)", "y = get_ipython().run_line_magic('time', '(x')\n + 1)\n"),
    ("system assign", "x = !ls", "x = get_ipython().getoutput('ls')\n"),
    ("system assign space", "files = ! ls", "files = get_ipython().getoutput(' ls')\n"),
    ("system assign tight", "x =!ls -l \\\n *.py", "x =get_ipython().getoutput('ls -l   *.py')\n"),
    ("system assign subscript", "d[k] = !ls", "d[k] = get_ipython().getoutput('ls')\n"),
    ("keyword argument", "f(a=!x)", "f(a=!x)\n"),
    ("comparison", "x == !ls", "x == !ls\n"),
    ("return", "def f():\n    return !ls\n", "def f():\n    return !ls\n"),
    ("not at the line's start", "x = 1;  %time f()", "x = 1;  %time f()\n"),
    # indented, in blocks, after brackets
    ("in a loop", "for i in range(3):\n    !echo {i}\n    %time f(i)\n",
     "for i in range(3):\n    get_ipython().system('echo {i}')\n    get_ipython().run_line_magic('time', 'f(i)')\n"),
    ("in an if", "if True:\n    x = !ls\n", "if True:\n    x = get_ipython().getoutput('ls')\n"),
    ("after a bracket", "x = [\n    1,\n]\n%time f()",
     "x = [\n    1,\n]\nget_ipython().run_line_magic('time', 'f()')\n"),
    ("inside a bracket", "x = (\n%foo\n)", "x = (\n%foo\n)\n"),
    ("cell indented", "\n\n    x = 1\n    %time f()\n", "x = 1\nget_ipython().run_line_magic('time', 'f()')\n"),
    ("lines indented", "  !ls\n  x = 1", "get_ipython().system('ls')\nx = 1\n"),
    # strings and comments: nothing changes
    ("strings", "s = '%time'\n# !ls\n'''\n!ls\n'''\n", "s = '%time'\n# !ls\n'''\n!ls\n'''\n"),
    ("f-string conversion", 'print(f"{x!r}")', 'print(f"{x!r}")\n'),
    ("not equal", "x != y", "x != y\n"),
    ("empty", "", "\n"),
    # help
    ("help", "obj?", "get_ipython().run_line_magic('pinfo', 'obj')\n"),
    ("help 2", "obj??", "get_ipython().run_line_magic('pinfo2', 'obj')\n"),
    ("help search", "np.*load*?", "get_ipython().run_line_magic('psearch', 'np.*load*')\n"),
    ("help subscript", "a.b[0]?", "get_ipython().run_line_magic('pinfo', 'a.b[0]')\n"),
    ("help magic", "%timeit?", "get_ipython().run_line_magic('pinfo', '%timeit')\n"),
    ("help cell magic", "%%timeit?", "get_ipython().run_line_magic('pinfo', '%%timeit')\n"),
    ("help prefix", "?obj", "get_ipython().run_line_magic('pinfo', 'obj')\n"),
    ("help prefix 2", "??obj", "get_ipython().run_line_magic('pinfo2', 'obj')\n"),
    ("usage", "?", "get_ipython().show_usage()\n"),
    ("help replaces the line", "x = foo?", "get_ipython().run_line_magic('pinfo', 'foo')\n"),
    ("help then space", "obj? ", "obj? \n"),
    ("help after a call", "print(x) ?", "print(x) ?\n"),
    ("help after brackets", "a = (1,\n     2)\nobj.attr?\n",
     "a = (1,\n     2)\nget_ipython().run_line_magic('pinfo', 'obj.attr')\n"),
    ("help on a bracket", "foo(1,\n2)?", "foo(1,\n2)?\n"),
    ("help inside a magic", "%ls?x", "get_ipython().run_line_magic('ls?x', '')\n"),
    # autocall escapes
    ("quote words", ",f a b", 'f("a", "b")\n'),
    ("quote line", ";f a b", 'f("a b")\n'),
    ("call", "/f a b", "f(a, b)\n"),
    ("call without a name", "/ x", "/ x\n"),
    ("nothing after a failed call", "/ x\n%time y", "/ x\n%time y\n"),
    # prompts
    ("doctest", ">>> x = 1\n... y = 2\n", "x = 1\ny = 2\n"),
    ("doctest indented", "   >>> x\n", "x\n"),
    ("doctest string", ">>> s = '''\n... >>> not a prompt\n... '''\n", "s = '''\n>>> not a prompt\n'''\n"),
    ("prompt in a string", '"""\n>>> x\n"""\n', '"""\n>>> x\n"""\n'),
    ("ipython prompt", "In [1]: x = 1\n   ...: y = 2\n", "x = 1\ny = 2\n"),
    # cell magics
    ("cell magic", "%%time\nx = 1", "get_ipython().run_cell_magic('time', '', 'x = 1\\n')\n"),
    ("cell magic args", "%%writefile f.py\nprint(1)",
     "get_ipython().run_cell_magic('writefile', 'f.py', 'print(1)\\n')\n"),
    ("cell magic not dedented", "\n  %%bash\necho hi\n", "  get_ipython().run_line_magic('%bash', '')\necho hi\n"),
    # where IPython raises
    ("dedent to no level", "if x:\n        a\n    b\n!ls", RAISES),
    ("= % at the end", "x = %'''", RAISES),
    ("500 rewrites", "!ls\n" * 500, RAISES),  # slow: the cell is tokenized again after each rewrite
    ("499 rewrites", "!ls\n" * 499, "get_ipython().system('ls')\n" * 499),
]
_SLOW = {"500 rewrites", "499 rewrites"}
_PARAMS = [pytest.param(source, expected, id=name, marks=[pytest.mark.slow] if name in _SLOW else [])
           for name, source, expected in CASES]


def _ipython() -> Any:
    """IPython's TransformerManager (IPython 9, whose behaviour nb2prod.ipysyntax follows)."""
    module = pytest.importorskip("IPython.core.inputtransformer2")
    import IPython

    if IPython.version_info[0] < 9:
        pytest.skip(f"IPython {IPython.__version__}: nb2prod.ipysyntax follows IPython 9")
    return module.TransformerManager()


def _ipython_output(manager: Any, source: str) -> str | None:
    """What IPython gives for ``source``; None when it raises."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return str(manager.transform_cell(source))
    except Exception:
        return None


def _assert_like_ipython(manager: Any, source: str) -> None:
    expected = _ipython_output(manager, source)
    got = transform_cell(source)
    if expected is None:
        assert got == source, "IPython raises: the cell is left as it is"
    else:
        assert got == expected


@pytest.mark.parametrize(("source", "expected"), _PARAMS)
def test_case(source: str, expected: str | None) -> None:
    assert transform_cell(source) == (source if expected is RAISES else expected)


@pytest.mark.parametrize(("source", "expected"), _PARAMS)
def test_case_is_what_ipython_gives(source: str, expected: str | None) -> None:
    assert _ipython_output(_ipython(), source) == expected


# -- real notebooks ------------------------------------------------------------------------


def _cells_not_python(paths: Iterable[Path]) -> list[str]:
    """The code cells of ``paths`` (as nb2prod reads them) that ``ast.parse`` rejects."""
    cells = []
    for path in paths:
        try:
            nb = read_notebook(path)
        except Exception:  # unreadable on purpose (tests/fixtures): nothing to compare
            continue
        for cell in nb.code_cells:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ast.parse(cell.source)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                cells.append(cell.source)
    return cells


def _compare_with_ipython(paths: list[Path], at_least: int) -> None:
    manager = _ipython()
    cells = _cells_not_python(paths)
    for source in cells:
        _assert_like_ipython(manager, source)
    print(f"{len(cells)} cells compared with IPython")
    assert len(cells) >= at_least, "fewer cells with IPython syntax than these notebooks have"


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
def test_corpus_cells_like_ipython() -> None:
    _compare_with_ipython(sorted(CORPUS.rglob("*.ipynb")), at_least=350)  # 387 with Python 3.11


def test_precision_notebooks_like_ipython() -> None:
    _compare_with_ipython(sorted((ROOT / "benchmarks" / "precision" / "notebooks").rglob("*.ipynb")), at_least=60)  # 78


def test_test_notebooks_like_ipython() -> None:
    _compare_with_ipython(sorted((ROOT / "tests").rglob("*.ipynb")), at_least=80)  # 107


# -- hypothesis -------------------------------------------------------------------------------

PYTHON_LINES = [
    "x = 1", "y = f(x, k=2)", "print('%d%%' % x)", "s = '!ls'", "t = \"a?\"", "# %time f()", "# !ls", "if x:",
    "else:", "for i in range(3):", "def f():", "return x", "z = [1,", "2]", "d = {'a': (", "1)}", "x != y",
    "a == b", 'f"{x!r}"', "'''", '"""', "x = \\", "pass", "", "   ", "x ? y", "obj.attr", "lambda: 0",
]
IPYTHON_LINES = [
    "%matplotlib inline", "%time f(x)", "%time  f(x)", "%%time", "%%bash", "!pip install x", "! ls", "!!ls",
    "!ls \\", "x = !ls", "x = ! ls", "x = %who_ls", "a, b = %time f()", "obj?", "obj.attr??", "np.*load*?",
    "?obj", "??", "%timeit?", ",f a b", ";f a b", "/f a b", "/ x", ">>> x = 1", "... y = 2", "In [3]: x",
    "   ...: y", "%undefined-magic x", "x = %", "x = !",
]
FRAGMENTS = "x =%!?,;/()[]{}'\"#\\.*>:\t "

_line = st.tuples(
    st.sampled_from(["", "    ", "  ", "\t"]),
    st.one_of(st.sampled_from(PYTHON_LINES), st.sampled_from(IPYTHON_LINES), st.text(FRAGMENTS, max_size=8)),
).map("".join)
_cell = st.tuples(st.lists(_line, max_size=8), st.sampled_from(["", "\n", "\r\n"])).map(
    lambda parts: "\n".join(parts[0]) + parts[1]
)


@pytest.fixture(scope="module")
def ipython() -> Any:
    return _ipython()


@settings(derandomize=True, max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=_cell)
def test_hypothesis_cells_like_ipython(ipython: Any, source: str) -> None:
    _assert_like_ipython(ipython, source)

# Whole-line magics and shell commands as _quick_transform rewrites them: one space after
# the name, a name of word characters, no space after `!` (it drops spaces IPython keeps).
QUICK_LINES = [
    "%matplotlib inline", "%time f(x)", "%load_ext autoreload", "!pip install x", "!ls -l", "x = !ls",
    "files = %who_ls", "x.y = !pwd", "%env A=1",
]
QUICK_PYTHON = ["x = 1", "y = f(x)", "print('%d' % x)", "if x:", "    y = 2", "    !echo hi", "    %time g()",
                "def f():", "    return 1", "# !ls", "z = x != 1", ""]


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(QUICK_LINES + QUICK_PYTHON), min_size=1, max_size=8).map("\n".join)
       .filter(lambda s: s[:1].strip() != ""))  # transform_cell drops leading blank lines and indents
def test_quick_path_agrees(source: str) -> None:
    """Where the fast path of nb2prod.code rewrites a cell, it gives the tree transform_cell
    gives, with the same lines and columns."""
    quick = _quick_transform(source)
    if quick is None:
        return
    try:
        quick_tree = ast.parse(quick)
    except SyntaxError:
        return
    full = transform_cell(source)
    assert ast.dump(ast.parse(full), include_attributes=True) == ast.dump(quick_tree, include_attributes=True)


def test_parse_code_uses_it() -> None:
    parsed = parse_code("x = (1,\n     2)\n!ls \\\n  -l\nobj?")
    assert parsed.tree is not None
    assert [(m.kind, m.name, m.args, m.line) for m in parsed.magics] == [
        ("shell", "!", "ls    -l", 3), ("help", "pinfo", "obj", 4),
    ]


def test_parsing_imports_no_ipython() -> None:
    code = (
        "import sys\n"
        "from nb2prod.code import parse_code\n"
        "for s in ['x = !ls', 'obj?', 'y = (1,\\n2)\\n%time f()', '%%time\\nx = 1', '>>> x']:\n"
        "    parse_code(s)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'IPython'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
