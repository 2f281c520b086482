"""``nb2prod clean`` writes notebooks without nbformat: its own serialisation
(:func:`nb2prod.clean.jupyter_json`) is byte for byte nbformat's writer,
``nbformat.versions[major].writes_json(nbformat.from_dict(data))``, on the real notebooks of
../shared/corpus, on every notebook under tests/ and examples/, and on hypothesis notebooks
(v4 and v3, well-formed and with fields of the wrong type). Where nbformat's writer raises, ours
writes the notebook as read, with the parts it can walk laid out as Jupyter does.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nb2prod.clean import CleanError, clean_data, clean_file, jupyter_json

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
WRITER = settings(max_examples=80, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def nbformat_json(data: dict[str, Any]) -> str:
    return str(nbformat.versions[data["nbformat"]].writes_json(nbformat.from_dict(data)))


def assert_same_as_nbformat(data: dict[str, Any]) -> None:
    before = copy.deepcopy(data)
    ours = jupyter_json(data)
    assert data == before  # the decoded notebook is not changed (nbformat's writer copies it)
    assert ours == nbformat_json(data)


def _variants(data: dict[str, Any]) -> list[dict[str, Any]]:
    """A notebook as read, as ``clean`` leaves it and as ``clean --metadata`` leaves it."""
    out = [data]
    for metadata in (False, True):
        cleaned = copy.deepcopy(data)
        clean_data(cleaned, metadata=metadata)
        out.append(cleaned)
    return out


def _decoded(path: Path) -> dict[str, Any] | None:
    """A v3/v4 notebook file as clean decodes it; None for anything clean does not write."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("nbformat") not in (3, 4):
        return None
    return data


def _writer_raises(data: dict[str, Any]) -> bool:
    try:
        nbformat_json(data)
    except Exception:  # KeyError, AttributeError, TypeError: the shapes nbformat cannot walk
        return True
    return False


def _compare_files(paths: list[Path]) -> tuple[dict[int, int], list[str]]:
    """({major: notebooks compared}, [what differed])."""
    compared: dict[int, int] = {}
    differ = []
    for path in paths:
        data = _decoded(path)
        if data is None or _writer_raises(data):
            continue
        compared[data["nbformat"]] = compared.get(data["nbformat"], 0) + 1
        for n, variant in enumerate(_variants(data)):
            if jupyter_json(variant) != nbformat_json(variant):
                differ.append(f"{path} ({['as read', 'cleaned', 'cleaned --metadata'][n]})")
    return compared, differ


@pytest.mark.corpus
@pytest.mark.slow  # 260 notebooks three ways, through both writers: seconds
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
def test_every_corpus_notebook_is_written_as_nbformat_writes_it() -> None:
    paths = sorted(CORPUS.rglob("*.ipynb"))
    compared, differ = _compare_files(paths)
    print(f"corpus: {sum(compared.values())} of {len(paths)} notebooks compared, by major {compared}")
    assert not differ
    assert sum(compared.values()) == len(paths) == 260  # every one of them is a v4 notebook nbformat writes


def test_every_notebook_of_the_repository_is_written_as_nbformat_writes_it() -> None:
    paths = sorted([*(ROOT / "tests").rglob("*.ipynb"), *(ROOT / "examples").rglob("*.ipynb")])
    compared, differ = _compare_files(paths)
    print(f"tests/ and examples/: {sum(compared.values())} of {len(paths)} notebooks compared, by major {compared}")
    assert not differ
    assert compared.get(3, 0) >= 3 and compared.get(4, 0) >= 250  # both majors are exercised


def _old_clean(raw: bytes) -> bytes:
    """What clean wrote with nbformat's writer (the code this replaced)."""
    text = raw.decode("utf-8-sig")
    data = json.loads(text)
    clean_data(data)
    out = nbformat_json(data)
    if text.endswith("\n"):
        out += "\n"
    if "\r\n" in text:
        out = out.replace("\r\n", "\n").replace("\n", "\r\n")
    out = re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", out)
    return (b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b"") + out.encode("utf-8")


def test_cleaned_files_are_the_bytes_clean_wrote_with_nbformat(tmp_path: Path) -> None:
    """clean_file end to end (BOM, CRLF, trailing newline, lone surrogates) on the repository's
    notebooks with outputs, each also with CRLF line endings and a BOM."""
    written = 0
    for path in sorted([*(ROOT / "tests").rglob("*.ipynb"), *(ROOT / "examples").rglob("*.ipynb")]):
        data = _decoded(path)
        if data is None or not clean_data(copy.deepcopy(data)) or _writer_raises(data):
            continue
        raw = path.read_bytes()
        crlf = b"\xef\xbb\xbf" + raw.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        surrogate = raw.replace(b'"cell_type"', b'"x": "\\ud800", "cell_type"', 1)
        for n, variant in enumerate((raw, crlf, surrogate)):
            copy_path = tmp_path / f"{written}-{n}.ipynb"
            copy_path.write_bytes(variant)
            result = clean_file(copy_path)
            assert result.error is None and result.changed, path
            assert copy_path.read_bytes() == _old_clean(variant), (path, n)
        written += 1
    assert written >= 10


# -- hypothesis ------------------------------------------------------------------------

# Text without lone surrogates, with every line break str.splitlines knows (\r, \v, \x85, \u2028...).
BREAK = st.sampled_from(["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
CHARS = st.text(st.characters(blacklist_categories=("Cs",)), max_size=4)
TEXT = st.lists(st.one_of(CHARS, BREAK, st.sampled_from(["é", "😀", "日本", "\t", "\x00", '"', "\\"])),
                max_size=4).map("".join)
LINES = st.lists(TEXT, max_size=3)
TEXTS = st.one_of(TEXT, LINES)  # a multi-line field as a string or as a list of lines
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), TEXT)
JSON = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(TEXT, inner, max_size=3)), max_leaves=5)
B64 = st.binary(max_size=40).map(lambda b: base64.encodebytes(b).decode("ascii"))

MIME = st.one_of(
    st.tuples(st.sampled_from(["text/plain", "text/html", "text/markdown", "text/latex", "text/x-custom",
                               "image/svg+xml", "application/javascript", "application/x-custom"]), TEXTS),
    st.tuples(st.sampled_from(["image/png", "image/jpeg", "image/gif"]), st.one_of(B64, B64.map(str.splitlines))),
    st.tuples(st.sampled_from(["application/json", "application/vnd.plotly.v1+json",
                               "application/vnd.jupyter.widget-view+json", "application/geo+json"]),
              st.one_of(JSON, TEXT, LINES)),
)
BUNDLE = st.lists(MIME, max_size=3).map(dict)


def _metadata(known: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Some of the ``known`` keys, and some others."""
    return st.tuples(st.fixed_dictionaries({}, optional=known), st.dictionaries(TEXT, JSON, max_size=2)).map(
        lambda parts: {**parts[1], **parts[0]})


CELL_META = _metadata({
    "trusted": st.booleans(), "tags": st.lists(TEXT, max_size=2), "collapsed": st.booleans(),
    "scrolled": st.one_of(st.booleans(), st.just("auto")), "ExecuteTime": JSON, "execution": JSON,
    "jupyter": st.fixed_dictionaries({"source_hidden": st.booleans()}),
})
NB_META = _metadata({
    "signature": TEXT, "orig_nbformat": st.integers(1, 4), "orig_nbformat_minor": st.integers(0, 5),
    "kernelspec": st.fixed_dictionaries({"name": TEXT, "display_name": TEXT, "language": TEXT}),
    "language_info": st.fixed_dictionaries({"name": st.just("python"), "version": TEXT}),
    "widgets": st.fixed_dictionaries({"application/vnd.jupyter.widget-state+json": JSON}),
})
COUNT = st.one_of(st.none(), st.integers(0, 999))


def _v4_output() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.fixed_dictionaries({"output_type": st.just("stream"), "name": st.sampled_from(["stdout", "stderr"]),
                               "text": TEXTS}),
        st.fixed_dictionaries({"output_type": st.just("execute_result"), "data": BUNDLE, "metadata": JSON,
                               "execution_count": COUNT}),
        st.fixed_dictionaries({"output_type": st.just("display_data"), "data": BUNDLE,
                               "metadata": st.dictionaries(TEXT, JSON, max_size=2)},
                              optional={"transient": st.fixed_dictionaries({"display_id": TEXT})}),
        st.fixed_dictionaries({"output_type": st.just("error"), "ename": TEXT, "evalue": TEXT,
                               "traceback": LINES}),
        st.fixed_dictionaries({"output_type": TEXT, "text": TEXTS, "data": BUNDLE}),  # a type nbformat does not know
    )


def _v4_cell() -> st.SearchStrategy[dict[str, Any]]:
    common = {"metadata": CELL_META, "source": TEXTS}
    optional = {"id": TEXT, "attachments": st.dictionaries(TEXT, BUNDLE, max_size=2)}
    return st.one_of(
        st.fixed_dictionaries({"cell_type": st.just("code"), "execution_count": COUNT,
                               "outputs": st.lists(_v4_output(), max_size=3), **common}, optional=optional),
        # outputs on a cell that is not code are not nbformat's to split
        st.fixed_dictionaries({"cell_type": st.sampled_from(["markdown", "raw"]), **common},
                              optional={**optional, "outputs": st.lists(_v4_output(), max_size=2)}),
        st.fixed_dictionaries({"cell_type": TEXT.filter(lambda t: t != "code"), **common},
                              optional={**optional, "outputs": st.lists(_v4_output(), max_size=2)}),
    )


V4 = st.fixed_dictionaries({
    "nbformat": st.just(4), "nbformat_minor": st.integers(0, 5), "metadata": NB_META,
    "cells": st.lists(_v4_cell(), max_size=4),
})

_V3_OUTPUT_FIELDS = ("text", "html", "svg", "latex", "javascript", "json", "png", "jpeg", "markdown")
V3_OUTPUT = st.fixed_dictionaries(
    {"output_type": st.sampled_from(["pyout", "display_data", "stream", "pyerr", "other"])},
    optional={**{key: TEXTS for key in _V3_OUTPUT_FIELDS}, "prompt_number": COUNT, "metadata": JSON,
              "stream": TEXT, "traceback": LINES},
)
V3_CELL = st.one_of(
    st.fixed_dictionaries({"cell_type": st.just("code"), "outputs": st.lists(V3_OUTPUT, max_size=3)},
                          optional={"input": TEXTS, "language": st.just("python"), "prompt_number": COUNT,
                                    "collapsed": st.booleans(), "metadata": CELL_META, "trusted": st.booleans()}),
    st.fixed_dictionaries({"cell_type": st.sampled_from(["markdown", "raw", "heading", "html"])},
                          optional={"source": TEXTS, "rendered": TEXTS, "level": st.integers(1, 6),
                                    "metadata": CELL_META, "trusted": st.booleans()}),
)
V3 = st.fixed_dictionaries(
    {"nbformat": st.just(3), "nbformat_minor": st.integers(0, 1), "metadata": NB_META,
     "worksheets": st.lists(st.fixed_dictionaries({"cells": st.lists(V3_CELL, max_size=4)},
                                                  optional={"metadata": JSON}), min_size=1, max_size=2)},
    optional={"orig_nbformat": st.integers(1, 3), "orig_nbformat_minor": st.integers(0, 1)},
)


@WRITER
@given(V4)
def test_v4_notebooks_are_written_as_nbformat_writes_them(nb: dict[str, Any]) -> None:
    for variant in _variants(nb):
        assert_same_as_nbformat(variant)


@WRITER
@given(V3)
def test_v3_notebooks_are_written_as_nbformat_writes_them(nb: dict[str, Any]) -> None:
    for variant in _variants(nb):
        assert_same_as_nbformat(variant)
    assert jupyter_json(nb).isascii()  # nbformat's v3 writer escapes non-ASCII text


def _break(nb: Any, draw: Any) -> Any:
    """``nb`` with one field somewhere replaced by a value of another JSON type."""
    containers = []

    def walk(node: Any) -> None:
        if isinstance(node, (dict, list)) and node:
            containers.append(node)
            for child in node.values() if isinstance(node, dict) else node:
                walk(child)

    walk(nb)
    container = draw(st.sampled_from(containers))
    if isinstance(container, dict):
        key = draw(st.sampled_from(sorted(k for k in container if k != "nbformat") or ["x"]))
        if draw(st.booleans()) and key in container:
            del container[key]
            return nb
    else:
        key = draw(st.integers(0, len(container) - 1))
    container[key] = draw(st.one_of(SCALAR, st.just([]), st.just({}), st.just(["x"]), st.just({"x": 1})))
    return nb


MULTILINE = "a\nb\r\nc\rd"


@pytest.mark.parametrize("mime,split", [
    ("text/plain", True), ("text/html", True), ("text/x-custom", True), ("image/svg+xml", True),
    ("application/javascript", True), ("application/json", False), ("application/vnd.plotly.v1+json", False),
    ("application/x-custom", False), ("image/png", False), ("application/pdf", False),
])
def test_each_mime_type_is_split_or_kept_as_nbformat_does(mime: str, split: bool) -> None:
    """In outputs and attachments, a string of a mime type is split into lines only for text/*,
    SVG and JavaScript; a list of lines stays a list."""
    bundle = {mime: MULTILINE, "text/markdown": ["kept\n", "as lines"]}
    outputs = [{"output_type": kind, "data": dict(bundle), "metadata": {}}
               for kind in ("execute_result", "display_data")]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "source": "", "execution_count": 1, "outputs": outputs},
        {"cell_type": "markdown", "metadata": {}, "source": "", "attachments": {"a.png": dict(bundle)}},
    ]}
    assert_same_as_nbformat(nb)
    written = json.loads(jupyter_json(nb))
    expected = ["a\n", "b\r\n", "c\r", "d"] if split else MULTILINE
    assert [o["data"][mime] for o in written["cells"][0]["outputs"]] == [expected, expected]
    assert written["cells"][1]["attachments"]["a.png"][mime] == expected
    assert written["cells"][1]["attachments"]["a.png"]["text/markdown"] == ["kept\n", "as lines"]


def _v4_with(cell: Any, **nb: Any) -> dict[str, Any]:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell], **nb}


def _v3_with(worksheets: Any) -> dict[str, Any]:
    return {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": worksheets}


CODE = {"cell_type": "code", "metadata": {}, "source": "x\ny", "execution_count": None, "outputs": []}
STREAM = {"output_type": "stream", "name": "stdout", "text": "a\nb"}
MALFORMED = {
    "output_type is a list": _v4_with({**CODE, "outputs": [{**STREAM, "output_type": ["stream"]}]}),
    "output_type is an object": _v4_with({**CODE, "outputs": [{**STREAM, "output_type": {}}]}),
    "output_type missing": _v4_with({**CODE, "outputs": [{"text": "a\nb"}]}),
    "output is a string": _v4_with({**CODE, "outputs": ["a\nb", STREAM]}),
    "outputs is a string": _v4_with({**CODE, "outputs": "a\nb"}),
    "outputs is empty text": _v4_with({**CODE, "outputs": ""}),
    "outputs is null": _v4_with({**CODE, "outputs": None}),
    "outputs missing": _v4_with({k: v for k, v in CODE.items() if k != "outputs"}),
    "stream without text": _v4_with({**CODE, "outputs": [{"output_type": "stream"}]}),
    "data is a list": _v4_with({**CODE, "outputs": [{"output_type": "display_data", "data": ["a\nb"]}]}),
    "data is null": _v4_with({**CODE, "outputs": [{"output_type": "execute_result", "data": None}]}),
    "data missing": _v4_with({**CODE, "outputs": [{"output_type": "execute_result"}]}),
    "attachments is a list": _v4_with({**CODE, "attachments": [{"text/plain": "a\nb"}]}),
    "attachments is null": _v4_with({**CODE, "attachments": None}),
    "an attachment is a string": _v4_with({**CODE, "attachments": {"a.png": "a\nb", "b": {"text/plain": "a\nb"}}}),
    "cell metadata is a list": _v4_with({**CODE, "metadata": ["trusted"]}),
    "cell metadata missing": _v4_with({k: v for k, v in CODE.items() if k != "metadata"}),
    "cell_type missing": _v4_with({k: v for k, v in CODE.items() if k != "cell_type"}),
    "cell is a string": _v4_with("a\nb"),
    "source is a number": _v4_with({**CODE, "source": 1}),
    "notebook metadata is a list": _v4_with(CODE, metadata=["signature"]),
    "notebook metadata missing": {"nbformat": 4, "nbformat_minor": 5, "cells": [CODE]},
    "cells is an object": _v4_with(CODE, cells={"a": CODE}),
    "v3 worksheets is an object": _v3_with({"cells": []}),
    "v3 worksheet is a string": _v3_with(["ws", {"cells": [{"cell_type": "markdown", "source": "a\nb"}]}]),
    "v3 worksheet without cells": _v3_with([{}]),
    "v3 cell is a list": _v3_with([{"cells": [["x"], {"cell_type": "markdown", "source": "a\nb"}]}]),
    "v3 cell metadata is a list": _v3_with([{"cells": [{"cell_type": "markdown", "source": "a\nb", "metadata": []}]}]),
    "v3 cell_type missing": _v3_with([{"cells": [{"source": "a\nb", "input": "a\nb"}]}]),
    "v3 code cell without outputs": _v3_with([{"cells": [{"cell_type": "code", "input": "a\nb"}]}]),
    "v3 output is a string": _v3_with([{"cells": [{"cell_type": "code", "input": "a\nb", "outputs": ["a\nb"]}]}]),
}


@pytest.mark.parametrize("nb", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_notebook_as_nbformat_or_as_read(nb: dict[str, Any]) -> None:
    before = copy.deepcopy(nb)
    ours = jupyter_json(nb)
    assert nb == before
    if not _writer_raises(nb):
        assert ours == nbformat_json(nb)
    assert jupyter_json(json.loads(ours)) == ours


@WRITER
@given(st.data())
def test_malformed_notebooks_as_nbformat_or_as_read(data: st.DataObject) -> None:
    """A field of the wrong type or missing: where nbformat's writer copes, ours writes the same;
    where it raises, ours still writes, and the result is laid out for good (writing it again
    changes nothing)."""
    nb = data.draw(st.one_of(V4, V3))
    nb = _break(nb, data.draw)
    before = copy.deepcopy(nb)
    ours = jupyter_json(nb)
    assert nb == before
    if not _writer_raises(nb):
        assert ours == nbformat_json(nb)
    assert jupyter_json(json.loads(ours)) == ours


def test_a_notebook_nbformat_cannot_walk_is_still_cleaned(tmp_path: Path) -> None:
    """A code cell without metadata and a cell that is a string: nbformat's writer raised
    (clean crashed with a traceback); now the outputs go and the rest is kept as read."""
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"signature": "sha256:0"}, "cells": [
        "not a cell",
        {"cell_type": "code", "source": "a\nb", "outputs": [{"output_type": "stream", "text": "x"}],
         "execution_count": 1},
    ]}
    assert _writer_raises(nb)
    path = tmp_path / "odd.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    result = clean_file(path)
    assert result.error is None and result.changes == ["1 output", "1 execution count"]
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},  # the signature goes, as nbformat's writer drops it
        "cells": ["not a cell",
                  {"cell_type": "code", "source": ["a\n", "b"], "outputs": [], "execution_count": None}],
    }


def test_only_majors_3_and_4() -> None:
    with pytest.raises(CleanError, match="unsupported nbformat 2"):
        jupyter_json({"nbformat": 2, "worksheets": []})


def _nested(depth: int) -> Any:
    deep: Any = []
    for _ in range(depth):
        deep = [deep]
    return deep


def test_too_deep_to_write_is_one_line_error() -> None:
    """Nested deeper than the stack can write (the JSON reader refuses it first when it comes
    from a file): CleanError, not a RecursionError."""
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"x": _nested(sys.getrecursionlimit() + 10)}, "cells": []}
    with pytest.raises(CleanError, match="^cannot write: nested too deeply$"):
        jupyter_json(nb)
    nb["metadata"] = {"x": _nested(100)}
    assert json.loads(jupyter_json(nb))["metadata"]["x"] == _nested(100)


@pytest.mark.parametrize("block", [False, True], ids=["installed", "missing"])
def test_clean_writes_without_importing_nbformat(tmp_path: Path, block: bool) -> None:
    """`nb2prod clean` on a notebook that needs cleaning: nbformat is never imported, and with
    nbformat not installed (an import of it fails) the file is written the same."""
    source = ROOT / "examples" / "messy"
    dirty = next(p for p in sorted(source.rglob("*.ipynb")) if clean_data(copy.deepcopy(_decoded(p) or {})))
    path = tmp_path / dirty.name
    path.write_bytes(dirty.read_bytes())
    prelude = "import sys; sys.modules['nbformat'] = None; " if block else "import sys; "
    code = prelude + (
        "from nb2prod.cli import main; rc = main(['clean', sys.argv[1]]); "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'nbformat' and sys.modules[m]], 'nbformat imported'; "
        "raise SystemExit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "cleaned" in proc.stdout
    assert path.read_bytes() == _old_clean(dirty.read_bytes())
