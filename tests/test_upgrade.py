"""nbformat v1-v3 notebooks upgraded to v4 without nbformat (``nb2prod._upgrade``), and the
copy of nbformat's schemas in ``nb2prod/data/nbformat``.

The reference is what nb2prod did before, with nbformat: the version's JSON reader, then
``nbformat.convert(node, 4)``, back to plain JSON, cell ids dropped and the minor capped at 4;
a failure named the key nbformat missed, if its error said one. Where nbformat is installed,
every notebook here (real v2/v3 files from nbformat's tests, hand-written ones with every kind
of cell and output, and hypothesis-made ones, valid or not) gives the same dict, keys in the
same order, or the same one-line error. The expected results written out below, and the tests
of malformed input, need no nbformat.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nb2prod._upgrade import SCHEMA_DIR, UpgradeError, upgrade
from nb2prod.notebook import NotebookError, _upgrade, notebook_from_dict, read_notebook

OLD = Path(__file__).parent / "fixtures" / "nbformat_old"
SCHEMAS = ["nbformat.v3.schema.json"] + [f"nbformat.v4.{minor}.schema.json" for minor in range(6)]
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _nbformat() -> Any:
    return pytest.importorskip("nbformat")


def reference(data: dict[str, Any], major: int) -> dict[str, Any] | str:
    """What nb2prod's ``_upgrade`` gave with nbformat: the v4 dict, or the error message."""
    nbformat = _nbformat()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            node = nbformat.versions[major].to_notebook_json(copy.deepcopy(data), minor=data.get("nbformat_minor", 0))
            upgraded = nbformat.convert(node, 4)
        result = json.loads(json.dumps(upgraded))
    except Exception as exc:
        if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
            key = exc.args[0]
        elif type(exc) is AttributeError and exc.args and isinstance(exc.args[0], str):
            key = exc.args[0]
        else:
            m = re.search(r"missing a key: (\w+)\s*$", str(exc))
            key = m.group(1) if m else ""
        what = f"it has no {key!r}" if re.fullmatch(r"[a-z_]{1,40}", key) else "its content is malformed"
        return f"cannot upgrade nbformat {major} notebook to v4: {what}"
    for cell in result.get("cells") or []:
        if isinstance(cell, dict):
            cell.pop("id", None)
    if isinstance(result.get("nbformat_minor"), int) and result["nbformat_minor"] > 4:
        result["nbformat_minor"] = 4
    return result


def ours(data: dict[str, Any], major: int) -> dict[str, Any] | str:
    before = json.dumps(data)
    try:
        result: dict[str, Any] | str = _upgrade(data, major)
    except NotebookError as exc:
        result = str(exc)
    assert json.dumps(data) == before, "the upgrade changed its input"
    return result


def assert_as_nbformat(data: dict[str, Any], major: int | None = None) -> dict[str, Any] | str:
    major = data["nbformat"] if major is None else major
    expected, got = reference(data, major), ours(data, major)
    # json.dumps keeps the order of the keys: it must be nbformat's too.
    assert json.dumps(got) == json.dumps(expected)
    return got


# -- the schemas -----------------------------------------------------------------------------


def test_vendored_schemas_are_nbformats_own() -> None:
    nbformat = _nbformat()
    package = Path(nbformat.__file__).parent
    for name in SCHEMAS:
        installed = package / ("v3" if ".v3." in name else "v4") / name
        assert (SCHEMA_DIR / name).read_bytes() == installed.read_bytes(), f"nbformat {nbformat.__version__}: {name}"


def test_source_md_lists_every_file_with_its_sha256() -> None:
    source = (SCHEMA_DIR / "SOURCE.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `(nbformat\.[^`]+)` \| `[^`]+` \| `([0-9a-f]{64})` \|$", source, re.M))
    assert listed == {name: hashlib.sha256((SCHEMA_DIR / name).read_bytes()).hexdigest() for name in SCHEMAS}
    assert (SCHEMA_DIR / "LICENSE").read_text(encoding="utf-8").startswith("BSD 3-Clause License")
    assert sorted(p.name for p in SCHEMA_DIR.iterdir()) == sorted([*SCHEMAS, "LICENSE", "SOURCE.md"])


def test_the_schema_check_reads_the_vendored_files() -> None:
    nb = notebook_from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "id": "a", "metadata": {}, "source": "x", "outputs": [], "execution_count": "one"}]})
    assert nb.schema_error is not None and nb.schema_error.startswith("cell 1: ")
    nb = notebook_from_dict({"nbformat": 4, "nbformat_minor": 2, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "source": "x", "outputs": [], "execution_count": None}]})
    assert nb.schema_error is None


def test_reading_needs_no_nbformat(tmp_path: Path) -> None:
    """With ``import nbformat`` failing, every version reads and lints, and nothing imports it
    or jsonschema (traitlets is IPython's)."""
    v4 = tmp_path / "v4.ipynb"
    v4.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "id": "a", "metadata": {}, "source": "x", "outputs": [], "execution_count": "one"}]}))
    v1 = tmp_path / "v1.ipynb"
    v1.write_text(json.dumps(V1))
    script = f"""
import sys
sys.modules["nbformat"] = None  # import nbformat raises ImportError
from nb2prod.engine import lint_file
from nb2prod.notebook import read_notebook
for name in ("test2.ipynb", "test3.ipynb"):
    assert len(read_notebook({str(OLD)!r} + "/" + name).cells) > 5
    assert lint_file({str(OLD)!r} + "/" + name).error is None
assert read_notebook({str(v1)!r}).cells[0].source == "# Old"
assert read_notebook({str(v4)!r}).schema_error.startswith("cell 1: ")
assert sys.modules["nbformat"] is None
assert not [m for m in sys.modules if m.startswith(("nbformat.", "jsonschema"))]
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "ok", r.stderr


# -- notebooks with a known result ------------------------------------------------------------

V1 = {"nbformat": 1, "cells": [
    {"cell_type": "text", "text": "# Old"},
    {"cell_type": "code", "code": "import os\nx = 1", "prompt_number": 3},
    {"cell_type": "code", "code": "y = 2", "prompt_number": "4"},
    {"cell_type": "code"},
    {"cell_type": "text"},
]}

V2 = {"nbformat": 2, "metadata": {"name": "demo"}, "worksheets": [{"cells": [
    {"cell_type": "markdown", "source": ["# Title", "text"]},
    {"cell_type": "code", "input": ["import numpy as np", "np.arange(3)"], "language": "python", "collapsed": True,
     "prompt_number": 1, "outputs": [
         {"output_type": "pyout", "prompt_number": 1, "text": ["array([0,", " 1, 2])"], "html": "<b>a</b>"},
         {"output_type": "display_data", "png": "iVBORw0KGgo=", "jpeg": "/9j/4AAQ"},
         {"output_type": "stream", "stream": "stderr", "text": "warning"},
         {"output_type": "pyerr", "etype": "ValueError", "evalue": "bad", "traceback": ["tb"]},
     ]},
]}]}

V3 = {"nbformat": 3, "nbformat_minor": 0, "orig_nbformat": 2,
      "metadata": {"name": "demo", "signature": "sha256:0", "kernel_info": {"name": "python3", "language": "python"}},
      "worksheets": [
          {"cells": [
              {"cell_type": "heading", "level": 2, "source": ["Part", "one"], "metadata": {"tags": ["a"]}},
              {"cell_type": "heading", "source": "Level one"},
              {"cell_type": "markdown", "source": ["Some *text*\n", "more\n"], "metadata": {}},
              {"cell_type": "raw", "source": "raw text", "metadata": {"format": "text/plain"}},
              {"cell_type": "html", "source": "<p>hi</p>", "metadata": {}},
              {"cell_type": "code", "language": "python", "collapsed": False, "input": ["x = 1\n", "x"],
               "prompt_number": 2, "metadata": {"trusted": True}, "outputs": [
                   {"output_type": "pyout", "prompt_number": 2, "text": ["1"], "latex": ["$1$"], "svg": "<svg/>",
                    "json": ["{\"a\":", " [1, 2]}"], "javascript": "alert(1)", "pdf": "JVBERi0=",
                    "metadata": {"png": {"width": 10}, "text": {"isolated": True}}},
                   {"output_type": "display_data", "png": "iVBORw0KGgo=", "metadata": {}},
                   {"output_type": "stream", "stream": "stdout", "text": ["a\n", "b\n"]},
                   {"output_type": "stream", "text": "no stream name"},
                   {"output_type": "pyerr", "ename": "NameError", "evalue": "y", "traceback": ["\x1b[0;31m", "y"]},
               ]},
              {"cell_type": "code", "input": "", "outputs": [], "metadata": {}},
          ], "metadata": {}},
          {"cells": [{"cell_type": "markdown", "source": "second worksheet", "metadata": {}}]},
      ]}

ORIG_2 = {"orig_nbformat": 2, "orig_nbformat_minor": 0}
V1_EXPECTED = {"nbformat": 4, "metadata": ORIG_2, "nbformat_minor": 4, "cells": [
    {"source": "# Old", "cell_type": "markdown", "metadata": {}},
    {"cell_type": "code", "outputs": [], "metadata": {"collapsed": False}, "source": "import os\nx = 1",
     "execution_count": 3},
    {"cell_type": "code", "outputs": [], "metadata": {"collapsed": False}, "source": "y = 2", "execution_count": 4},
    {"cell_type": "code", "outputs": [], "metadata": {"collapsed": False}, "source": "", "execution_count": None},
    {"cell_type": "markdown", "metadata": {}},
]}

# The metadata's "name" goes; each key where nbformat puts it (json.dumps compares the order).
V2_EXPECTED = {"nbformat": 4, "metadata": ORIG_2, "nbformat_minor": 4, "cells": [
    {"cell_type": "markdown", "source": "# Title\ntext", "metadata": {}},
    {"cell_type": "code", "outputs": [
        {"output_type": "execute_result", "metadata": {}, "execution_count": 1,
         "data": {"text/plain": "array([0,\n 1, 2])", "text/html": "<b>a</b>"}},
        {"output_type": "display_data", "metadata": {},
         "data": {"image/png": "iVBORw0KGgo=", "image/jpeg": "/9j/4AAQ"}},
        {"output_type": "stream", "text": "warning", "name": "stderr"},
        {"output_type": "error", "etype": "ValueError", "evalue": "bad", "traceback": ["tb"]},
    ], "metadata": {"collapsed": True}, "source": "import numpy as np\nnp.arange(3)", "execution_count": 1},
]}


def test_v1_as_written_out() -> None:
    # A cell of another type repeats the one before it, which nbformat then upgrades twice:
    # the second time its input is gone.
    odd = {"nbformat": 1, "cells": [*V1["cells"][:2], {"cell_type": "odd"}]}
    result = _upgrade(odd, 1)
    assert [(c["cell_type"], c["source"]) for c in result["cells"]] == [
        ("markdown", "# Old"), ("code", ""), ("code", "")]
    assert result["cells"][1] is not result["cells"][2]
    assert json.dumps(_upgrade(V1, 1)) == json.dumps(V1_EXPECTED)


def test_v2_as_written_out() -> None:
    assert json.dumps(_upgrade(V2, 2)) == json.dumps(V2_EXPECTED)


def test_v3_as_written_out() -> None:
    result = _upgrade(V3, 3)
    assert result["metadata"] == {"kernel_info": {"name": "python3", "language": "python"},
                                  "orig_nbformat": 2, "orig_nbformat_minor": 0}
    assert [(c["cell_type"], c["source"]) for c in result["cells"]] == [
        ("markdown", "## Part one"), ("markdown", "# Level one"), ("markdown", "Some *text*\nmore\n"),
        ("raw", "raw text"), ("markdown", "<p>hi</p>"), ("code", "x = 1\nx"), ("code", ""),
        ("markdown", "second worksheet")]
    code = result["cells"][5]
    assert code["metadata"] == {"trusted": True, "collapsed": False} and code["execution_count"] == 2
    assert "language" not in code and "prompt_number" not in code and "input" not in code
    assert code["outputs"] == [
        {"output_type": "execute_result", "execution_count": 2,
         "metadata": {"image/png": {"width": 10}, "text/plain": {"isolated": True}},
         "data": {"pdf": "JVBERi0=", "text/plain": "1", "image/svg+xml": "<svg/>", "text/latex": "$1$",
                  "application/json": {"a": [1, 2]}, "application/javascript": "alert(1)"}},
        {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgo="}},
        {"output_type": "stream", "text": "a\nb\n", "name": "stdout"},
        {"output_type": "stream", "text": "no stream name", "name": "stdout"},
        {"output_type": "error", "ename": "NameError", "evalue": "y", "traceback": ["\x1b[0;31m", "y"]},
    ]
    assert result["nbformat"] == 4 and result["nbformat_minor"] == 4 and "worksheets" not in result
    assert all("id" not in c for c in result["cells"])


@pytest.mark.parametrize("data", [V1, V2, V3], ids=["v1", "v2", "v3"])
def test_hand_written_notebooks_as_nbformat(data: dict[str, Any]) -> None:
    nbformat = _nbformat()
    assert_as_nbformat(data)
    if data["nbformat"] > 1:  # nbformat's reads takes a v1 file for what it is only without "nbformat"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            read = json.loads(json.dumps(nbformat.reads(json.dumps(data), as_version=4)))
        for cell in read["cells"]:
            del cell["id"]
        read["nbformat_minor"] = 4
        assert json.dumps(_upgrade(data, data["nbformat"])) == json.dumps(read)


@pytest.mark.parametrize("path", sorted(OLD.glob("*.ipynb")), ids=lambda p: p.name)
def test_nbformats_own_test_notebooks(path: Path) -> None:
    assert_as_nbformat(json.loads(path.read_text(encoding="utf-8")))


def test_real_v2_and_v3_notebooks_read_and_lint() -> None:
    nb = read_notebook(OLD / "test3.ipynb")
    assert nb.nbformat == 4 and nb.nbformat_minor == 4 and nb.raw_text is None
    assert nb.cells[3].source == 'print("hello")' and {c.id for c in nb.cells} == {None}
    assert len(read_notebook(OLD / "test2.ipynb").cells) == 21



def test_json_text_of_v3_outputs_is_checked_like_the_file() -> None:
    # application/json is JSON text in v3, parsed by the upgrade: what it holds is made safe
    # as the file's own strings are (a lone surrogate becomes U+FFFD).
    output = {"output_type": "pyout", "prompt_number": 1, "json": '"\\ud800"'}
    data = {"nbformat": 3, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "code", "input": "x", "outputs": [output]}]}]}
    assert _upgrade(data, 3)["cells"][0]["outputs"][0]["data"]["application/json"] == "\ud800"
    assert notebook_from_dict(data).cells[0].outputs[0]["data"]["application/json"] == "\ufffd"

# -- malformed input -------------------------------------------------------------------------

MALFORMED = [
    ({"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": []}, "its content is malformed"),
    ({"nbformat": 3}, "it has no 'worksheets'"),
    ({"nbformat": 2}, "it has no 'worksheets'"),
    ({"nbformat": 1, "cells": "x"}, "its content is malformed"),
    ({"nbformat": 1}, "it has no 'cells'"),
    ({"nbformat": 1, "cells": [{}]}, "it has no 'cell_type'"),
    ({"nbformat": 1, "cells": [{"cell_type": "raw"}]}, "its content is malformed"),
    ({"nbformat": 1, "cells": [{"cell_type": "code", "prompt_number": "x"}]}, "its content is malformed"),
    ({"nbformat": 3, "worksheets": [{}]}, "it has no 'cells'"),
    ({"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code"}]}]}, "it has no 'outputs'"),
    ({"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code", "outputs": [[]]}]}]}, "its content is malformed"),
    ({"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code", "outputs": [], "input": [{}]}]}]},
     "it has no 'endswith'"),
    ({"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code", "outputs": [{}]}]}]}, "it has no 'metadata'"),
    ({"nbformat": 3, "metadata": {}, "worksheets": [{"cells": [{"cell_type": "code", "outputs": [{}]}]}]},
     "it has no 'output_type'"),
    ({"nbformat": 3, "nbformat_minor": 1, "metadata": {}, "worksheets": []}, "its content is malformed"),
    ({"nbformat": 3, "nbformat_minor": "0", "metadata": {}, "worksheets": []}, "its content is malformed"),
    ({"nbformat": 3, "metadata": {}, "worksheets": [{"cells": [{"cell_type": "heading", "source": {}}]}]},
     "it has no 'splitlines'"),
    ({"nbformat": 3, "metadata": {}, "worksheets": [{"cells": [{"cell_type": "heading", "level": "2"}]}]},
     "its content is malformed"),
    ({"nbformat": 3, "metadata": {}, "worksheets": [{"cells": [{"cell_type": "heading", "level": 10**12}]}]},
     "its content is malformed"),
    ({"nbformat": 3, "metadata": {}, "worksheets": [{"cells": [{"cell_type": 7, "source": ""}]}]},
     "its content is malformed"),
    ({"nbformat": 3, "metadata": {}, "worksheets": [{"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "pyout", "json": "{not json"}]}]}]}, "its content is malformed"),
    ({"nbformat": 2, "worksheets": [{"cells": [{"cell_type": "code", "outputs": [{"png": "é"}]}]}]},
     "its content is malformed"),
    ({"nbformat": 2, "worksheets": [{"cells": [{"cell_type": "code", "outputs": [{"jpeg": {}}]}]}]},
     "it has no 'encode'"),
]


@pytest.mark.parametrize(("data", "reason"), MALFORMED)
def test_malformed_old_notebooks_give_one_line_errors(data: dict[str, Any], reason: str) -> None:
    major = data["nbformat"]
    with pytest.raises(NotebookError) as err:
        notebook_from_dict(data)
    assert str(err.value) == f"cannot upgrade nbformat {major} notebook to v4: {reason}"


# (not the heading of level 10**12: nbformat would build that string of "#"s)
@pytest.mark.parametrize(("data", "reason"), [case for case in MALFORMED if "1000000000000" not in json.dumps(case)])
def test_malformed_old_notebooks_as_nbformat(data: dict[str, Any], reason: str) -> None:
    assert assert_as_nbformat(data) == f"cannot upgrade nbformat {data['nbformat']} notebook to v4: {reason}"


def test_upgrade_refuses_other_versions() -> None:
    with pytest.raises(ValueError):
        upgrade({"nbformat": 4, "cells": []}, 4)
    with pytest.raises(UpgradeError) as err:
        upgrade({"nbformat": 2}, 2)
    assert err.value.missing == "worksheets"


def test_a_cell_type_that_is_no_string_fails_only_as_the_first_schema_error() -> None:
    # nbformat's validation adds "_cell" to the type of the first cell the schema refuses.
    bad = {"cell_type": 5, "source": "x"}
    cells: list[Any] = [{"cell_type": "markdown", "source": "fine"}, bad]
    assert ours({"nbformat": 3, "metadata": {}, "worksheets": [{"cells": cells}]}, 3).endswith("malformed")
    # an earlier error (a key the v3 schema does not allow) is the one reported: the upgrade goes on
    earlier = {"nbformat": 3, "metadata": {}, "worksheets": [{"cells": [{**cells[0], "x": 1}, bad]}]}
    assert isinstance(ours(earlier, 3), dict)
    # ... but the v4 schema has no such error, and then it fails after the conversion
    v4_fails = {"nbformat": 3, "metadata": {}, "worksheets": [{"cells": cells, "x": 1}]}
    assert ours(v4_fails, 3).endswith("malformed")
    with pytest.raises(NotebookError, match="^cell 2 has no 'cell_type'$"):
        notebook_from_dict(earlier)
    for data in (earlier, v4_fails, {**v4_fails, "extra": True}):
        assert_as_nbformat(data, 3)


# -- generated notebooks ---------------------------------------------------------------------
# Mostly well-formed old notebooks (so that most upgrade, with every kind of cell and output),
# each part now and then missing or of another JSON type.

TEXT = st.text(st.sampled_from("ab #\n\r,é"), max_size=6)
LINES = st.one_of(TEXT, st.lists(TEXT, max_size=3), st.lists(TEXT.map(lambda s: s + "\n"), max_size=3))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-2, 3), st.just(1.5), TEXT)
KEYS = st.sampled_from(["text", "png", "json", "name", "tags", "encode", "splitlines", "endswith", "cell_type",
                        "collapsed", "a"])
ANY = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=2) | st.dictionaries(KEYS, inner, max_size=2),
                   max_leaves=4)
ODD = st.one_of(ANY, st.just([]), st.just({}), st.just(""), st.just([{}]), st.just({"a": 1}))
MIME = ["text", "html", "svg", "png", "jpeg", "latex", "json", "javascript", "pdf", "image/png", "application/json",
        "text/plain"]


def _maybe(strategy: st.SearchStrategy[Any], odds: int = 12) -> st.SearchStrategy[Any]:
    """``strategy``, and one time in ``odds`` a value of another type."""
    # 0, the draw hypothesis makes first and shrinks to, is the well-formed value
    return st.integers(0, odds - 1).flatmap(lambda i: ODD if i == odds - 1 else strategy)


def _obj(required: dict[str, Any], optional: dict[str, Any] | None = None, odds: int = 12) -> st.SearchStrategy[Any]:
    """An object with the ``required`` keys (one of them left out one time in ``odds``) and
    some of the ``optional`` ones."""
    def drop(obj: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        keys = [k for k in required if k in obj]
        if not keys:
            return st.just(obj)
        return st.integers(0, odds * len(keys) - 1).map(
            lambda i: {k: v for k, v in obj.items() if k != keys[i - 1]} if 0 < i <= len(keys) else obj)
    return st.fixed_dictionaries(required, optional=optional or {}).flatmap(drop)


JSON_TEXT = st.sampled_from(['{"a": [1, 2]}', "[1", "3", '"x"']) | st.lists(st.just('{"b": 1}'), max_size=1)
DATA = {key: _maybe(LINES) for key in MIME if key not in ("json", "application/json", "png", "jpeg")}
DATA.update(png=_maybe(st.sampled_from(["iVBOR", "", "é"])), jpeg=_maybe(st.just("/9j/")),
            json=_maybe(JSON_TEXT), **{"application/json": _maybe(JSON_TEXT)})
OUTPUT_META = _maybe(st.dictionaries(st.sampled_from(MIME), ANY, max_size=2), odds=6)
OUTPUTS = [
    _obj({"output_type": st.just("pyout"), "prompt_number": _maybe(st.integers(0, 3))},
         {**DATA, "metadata": OUTPUT_META}),
    _obj({"output_type": st.just("display_data")}, {**DATA, "metadata": OUTPUT_META}),
    _obj({"output_type": st.just("stream"), "stream": _maybe(st.sampled_from(["stdout", "stderr"])),
          "text": _maybe(LINES)}),
    _obj({"output_type": st.just("pyerr"), "ename": _maybe(TEXT), "evalue": _maybe(TEXT),
          "traceback": _maybe(st.lists(TEXT, max_size=2))}),
    _obj({"output_type": _maybe(st.sampled_from(["other", "execute_result"]), odds=3)},
         {"data": ANY, "execution_count": ANY, "name": ANY}),
]
OUTPUT = _maybe(st.one_of(OUTPUTS))
CELL_META = _maybe(st.fixed_dictionaries({}, optional={"tags": _maybe(st.lists(TEXT, max_size=2)),
                                                       "name": _maybe(TEXT), "trusted": st.booleans()}))
CELLS = [
    _obj({"cell_type": st.just("code"), "input": _maybe(LINES), "outputs": _maybe(st.lists(OUTPUT, max_size=3)),
          "language": _maybe(st.just("python"))},
         {"collapsed": _maybe(st.booleans()), "prompt_number": _maybe(st.integers(0, 3)), "metadata": CELL_META,
          "source": LINES, "id": TEXT}),
    _obj({"cell_type": st.sampled_from(["markdown", "raw", "html", "plaintext"]), "source": _maybe(LINES)},
         {"rendered": _maybe(LINES), "metadata": CELL_META}),
    _obj({"cell_type": st.just("heading"), "source": _maybe(LINES), "level": _maybe(st.integers(-1, 4))},
         {"metadata": CELL_META}),
    _obj({"cell_type": _maybe(st.sampled_from(["other", "text"]), odds=2), "source": TEXT}),
]
CELL = _maybe(st.one_of(CELLS), odds=25)
WORKSHEET = _maybe(_obj({"cells": _maybe(st.lists(CELL, min_size=1, max_size=4), odds=25)},
                        {"metadata": _maybe(st.just({})), "name": TEXT}, odds=25), odds=25)
NB_META = _maybe(st.fixed_dictionaries({}, optional={
    "name": _maybe(TEXT), "signature": _maybe(TEXT), "orig_nbformat": ANY,
    "kernel_info": _maybe(st.fixed_dictionaries({"name": _maybe(TEXT), "language": _maybe(TEXT)})),
    "kernelspec": ANY,
    "language_info": _maybe(st.fixed_dictionaries({"name": TEXT}, optional={"codemirror_mode": ANY})),
}), odds=25)


def _notebook(major: int) -> st.SearchStrategy[dict[str, Any]]:
    minor = st.integers(0, 9).flatmap(
        lambda i: st.sampled_from([-1, 1, False, True, 0.0, None]) if i == 9 else st.just(0))
    worksheets = _maybe(st.lists(WORKSHEET, min_size=1, max_size=2), odds=25)
    return st.builds(lambda nb: {"nbformat": major, **nb}, _obj(
        {"nbformat_minor": minor, "metadata": NB_META, "worksheets": worksheets},
        {"orig_nbformat": _maybe(st.sampled_from([1, 2, 0])), "orig_nbformat_minor": _maybe(st.just(0)),
         "extra": ANY, "cells": ANY}, odds=25))


V1_CELL = _maybe(_obj({"cell_type": _maybe(st.sampled_from(["code", "code", "text", "other"]), odds=6)}, {
    "code": _maybe(TEXT), "text": _maybe(TEXT),
    "prompt_number": _maybe(st.one_of(st.integers(0, 3), st.sampled_from(["2", " 3 ", "x", 2.7]))),
}, odds=25), odds=25)
V1_CELLS = _maybe(st.lists(V1_CELL, min_size=1, max_size=4), odds=25)
V1_NOTEBOOK = st.builds(lambda nb: {"nbformat": 1, **nb}, _obj({"cells": V1_CELLS}, {"metadata": ANY}, odds=25))


@FUZZ
@given(_notebook(3))
def test_generated_v3_notebooks_as_nbformat(data: dict[str, Any]) -> None:
    assert_as_nbformat(data)


@FUZZ
@given(_notebook(2))
def test_generated_v2_notebooks_as_nbformat(data: dict[str, Any]) -> None:
    assert_as_nbformat(data)


@FUZZ
@given(V1_NOTEBOOK)
def test_generated_v1_notebooks_as_nbformat(data: dict[str, Any]) -> None:
    assert_as_nbformat(data)


@FUZZ
@given(st.one_of(_notebook(3), _notebook(2), V1_NOTEBOOK))
def test_generated_old_notebooks_read_or_give_one_line_errors(data: dict[str, Any]) -> None:
    try:
        nb = notebook_from_dict(data)
    except NotebookError as exc:
        assert "\n" not in str(exc)
    else:
        assert nb.nbformat == 4 and all(c.id is None for c in nb.cells)
