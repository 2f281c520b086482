"""Fuzzing (issue 10): hypothesis over the notebook reader, the engine with every output
format, and the server extension's lint handler. Bounded and derandomized, so CI runs the
same few hundred examples in seconds. The only failure allowed is a NotebookError (a file
that is not a notebook: one line, exit 2); never another exception, and every rendered
report encodes as UTF-8 and parses where it is JSON or XML.

``benchmarks/fuzz_lint.py`` does the same at scale through the CLI, over the real
notebooks of ../shared/corpus.
"""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nb2prod.engine import RunResult, lint_notebook
from nb2prod.formats import FORMATS, FormatContext, render
from nb2prod.labserver.handlers import LintInputError, lint_payload
from nb2prod.notebook import NotebookError, decode_json, notebook_from_dict, read_notebook

pytestmark = pytest.mark.slow  # 60 examples a test: seconds in all
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Text that is hostile to encoders and terminals: lone surrogates, controls, separators,
# BOM, NUL, non-characters, astral characters.
HOSTILE = st.sampled_from(["\ud800", "\udcff", "\x00", "\x1b[2J", "\r", "\n", "\u2028", "\x85", "\ufeff",
                           "\uffff", "😀", "é", "%", ":", ",", "::error file=x::y", "\t"])
TEXT = st.lists(st.one_of(HOSTILE, st.text(max_size=8)), max_size=6).map("".join)
CODE_BITS = st.sampled_from([
    "import os", "import numpy as np", "np.random.rand(3)", "x = undefined_name", "%matplotlib inline",
    "!pip install pandas", "%%time", "def predict(x):\n    return x", "assert x == 1", "random.seed(0)",
    "from sklearn.svm import LinearSVC\nLinearSVC(dual=0x" + "f" * 4000 + ")", "x = " + "9" * 4400,
    "password = 'hunter2hunter2'", "open('/Users/alice/data.csv')", "x = (" * 120 + ")" * 120,
    "if True:\n\tpass\n  pass", "# noqa: NB101", "# nb2prod: predict", "def f(:", "x = '''",
    "token = 'ghp_" + "a" * 36 + "'", "\x00", "f'{x!r:>{width}}'",
])
# Code whose findings quote hostile text (in the message, the code frame, the SARIF snippet).
QUOTING = st.builds(str.format, st.sampled_from([
    "import os  # {}", "open('/Users/alice/{}.csv')", "x = undefined_{}", "password = 'a{}bcdefgh12'",
    "import numpy as np\nnp.random.rand(3)  # {}", "%pip install pandas{}", "# noqa: NB1{}",
]), HOSTILE)
BIT = st.one_of(QUOTING, CODE_BITS, TEXT)
SOURCE = st.one_of(
    st.lists(BIT, min_size=1, max_size=4).map("\n".join),
    st.lists(BIT.map(lambda s: s + "\n"), min_size=1, max_size=4),  # a list of lines
)
JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSON = st.recursive(JSON_SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(TEXT, inner, max_size=3)), max_leaves=12)
MAYBE = st.one_of(JSON, JSON_SCALAR)  # a field of the wrong JSON type, or the right one


def _output() -> st.SearchStrategy[Any]:
    stream = st.fixed_dictionaries({"output_type": st.just("stream"), "name": st.sampled_from(["stdout", "stderr"]),
                                    "text": st.one_of(TEXT, st.lists(TEXT, max_size=3))})
    result = st.fixed_dictionaries({"output_type": st.sampled_from(["execute_result", "display_data"]),
                                    "data": st.dictionaries(st.sampled_from(["text/plain", "text/html", "image/png",
                                                                             "application/json"]),
                                                            st.one_of(TEXT, JSON), max_size=3),
                                    "metadata": st.one_of(st.just({}), MAYBE),
                                    "execution_count": st.one_of(st.none(), st.integers())})
    error = st.fixed_dictionaries({"output_type": st.just("error"), "ename": TEXT, "evalue": TEXT,
                                   "traceback": st.one_of(st.lists(TEXT, max_size=3), MAYBE)})
    return st.one_of(stream, result, error, MAYBE)


CELL = st.fixed_dictionaries(
    {"cell_type": st.sampled_from(["code", "markdown", "raw"]), "source": SOURCE},
    optional={
        "id": st.one_of(TEXT, MAYBE),
        "metadata": st.one_of(st.fixed_dictionaries({}, optional={"tags": st.one_of(st.lists(TEXT, max_size=3),
                                                                                    MAYBE)}), MAYBE),
        "outputs": st.one_of(st.lists(_output(), max_size=3), MAYBE),
        "execution_count": st.one_of(st.none(), st.integers(min_value=-5, max_value=10**6), MAYBE),
        "attachments": MAYBE,
    },
)
METADATA = st.one_of(
    st.fixed_dictionaries({}, optional={
        "kernelspec": st.one_of(st.fixed_dictionaries({"name": TEXT, "display_name": TEXT, "language": TEXT}),
                                MAYBE),
        "language_info": st.one_of(st.fixed_dictionaries({"name": TEXT}, optional={"version": MAYBE}), MAYBE),
        "nb2prod": st.one_of(st.fixed_dictionaries({"ignore": st.lists(TEXT, max_size=2)}), MAYBE),
        "title": TEXT,
    }),
    MAYBE,
)
# Mostly notebooks that get as far as the rules (a field of the wrong type now and then),
# some that the reader must refuse.
NOTEBOOK = st.fixed_dictionaries(
    {"cells": st.one_of(st.lists(CELL, min_size=1, max_size=4), st.lists(CELL, min_size=1, max_size=4),
                        st.lists(st.one_of(CELL, MAYBE.filter(lambda v: not isinstance(v, dict))), max_size=3)),
     "nbformat": st.sampled_from([4, 4, 4, 4, 4, 4, 1, 2, 3, 5, 0, -1, "4", None, 4.0, True])},
    optional={"metadata": METADATA, "nbformat_minor": st.one_of(st.integers(0, 6), st.integers(0, 6), MAYBE),
              "worksheets": st.one_of(st.lists(st.fixed_dictionaries({"cells": st.lists(CELL, max_size=2)})),
                                      MAYBE)},
)


def check_all_formats(run: RunResult) -> None:
    for name in sorted(FORMATS):
        text = render(name, run, FormatContext(color=name == "text"))
        text.encode("utf-8")
        if name in ("json", "sarif"):
            json.loads(text)
        elif name == "junit":
            ET.fromstring(text.encode("utf-8"))
        if name in ("text", "github"):
            assert "\x1b[2J" not in text and "\r" not in text


@FUZZ
@given(NOTEBOOK)
def test_model_engine_and_every_format_take_any_notebook_dict(data: dict[str, Any]) -> None:
    try:
        nb = notebook_from_dict(data)
    except NotebookError as exc:
        assert "\n" not in str(exc)
        return
    result = lint_notebook(nb, raise_errors=True)
    assert result.internal_errors == []
    check_all_formats(RunResult([result]))


@FUZZ
@given(NOTEBOOK, st.sampled_from(["json", "truncate", "ascii", "bom", "latin-1", "nest"]), st.integers(0, 400))
def test_the_reader_takes_any_bytes(tmp_path_factory: pytest.TempPathFactory, data: dict[str, Any], how: str,
                                    cut: int) -> None:
    text = json.dumps(data, ensure_ascii=how == "ascii")
    raw = {
        "json": lambda: text.encode("utf-8", "surrogatepass"),  # lone surrogates as raw (invalid) UTF-8
        "truncate": lambda: text.encode("utf-8", "surrogatepass")[: cut],
        "ascii": lambda: text.encode("ascii"),
        "bom": lambda: b"\xef\xbb\xbf" + text.encode("utf-8", "replace"),
        "latin-1": lambda: text.encode("latin-1", "replace"),
        "nest": lambda: ("[" * (cut * 5) + "]" * (cut * 5)).encode(),
    }[how]()
    path = tmp_path_factory.mktemp("fuzz") / "nb.ipynb"
    path.write_bytes(raw)
    try:
        nb = read_notebook(path)
    except NotebookError as exc:
        assert "\n" not in str(exc)
        return
    check_all_formats(RunResult([lint_notebook(nb, raise_errors=True)]))


@FUZZ
@given(NOTEBOOK)
def test_the_server_extensions_lint_handler_takes_any_notebook(tmp_path_factory: pytest.TempPathFactory,
                                                               data: dict[str, Any]) -> None:
    root = tmp_path_factory.mktemp("root")
    try:
        reply = lint_payload(data, root / "nb.ipynb", "nb.ipynb", root)
    except LintInputError as exc:
        assert "\n" not in str(exc)
        return
    json.dumps(reply, ensure_ascii=False).encode("utf-8")  # what the handler sends


def test_decode_json_refuses_cleanly() -> None:
    for raw in [b"", b"\xff", b"[" * 100_000, b'{"a": ' + b"9" * 5000 + b"}", b"\xef\xbb\xbf{", b"nul\x00"]:
        with pytest.raises(NotebookError):
            data, _ = decode_json(raw)
            notebook_from_dict(data)


# -- the handler through HTTP, on a real jupyter_server (a few cases) ----------------------

jupyter = pytest.importorskip("pytest_jupyter.jupyter_server")
from pytest_jupyter.jupyter_server import *  # noqa: E402,F403  (fixtures, kept local to this module)
from traitlets.config import Config  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _no_closed_event_loop_left_behind():
    yield
    asyncio.set_event_loop(None)


@pytest.fixture
def jp_server_config() -> Config:
    return Config({"ServerApp": {"jpserver_extensions": {"nb2prod": True}}})


HTTP_CASES = [
    '{"notebook": {"cells": [{"cell_type": "code", "source": "x = \'\\ud800\'", "metadata": {}, "outputs": [],'
    ' "execution_count": null}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}}',
    '{"notebook": {"cells": [{"cell_type": "code", "id": "\\udcff", "source": ["import os\\n", 7], "metadata":'
    ' {"tags": ["\\ud83d"]}, "outputs": [{"output_type": "stream", "name": "stdout", "text": "\\u001b[2J"}],'
    ' "execution_count": 1}], "metadata": {"\\ud800": 1}, "nbformat": 4, "nbformat_minor": 5}}',
    '{"notebook": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "x": ' + "[" * 300
    + "]" * 300 + "}}",
    '{"notebook": {"cells": "no", "nbformat": 3}}',
    '{"notebook": {"metadata": {}, "nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": [{"cell_type":'
    ' "code", "input": ["import os\\n", "x = 1"], "language": "python", "outputs": [], "metadata": {}}]}]}}',
]


@pytest.mark.parametrize("body", HTTP_CASES)
def test_the_lint_handler_over_http_answers_200_or_400_never_500(jp_fetch, jp_asyncio_loop, body: str) -> None:
    asyncio.set_event_loop(jp_asyncio_loop)
    response = jp_asyncio_loop.run_until_complete(
        jp_fetch("nb2prod", "lint", method="POST", body=body, raise_error=False))
    assert response.code in (200, 400), response.body
    reply = json.loads(response.body)
    assert reply
    response.body.decode("utf-8")
