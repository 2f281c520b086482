"""The Jupyter server extension (nb2prod.labserver) on a real jupyter_server, through HTTP.

pytest-jupyter's fixtures are imported into this module rather than loaded with
``pytest_plugins``: a plugin would be active for the whole session, and its autouse
fixtures (a fresh event loop and a ServerApp clean-up around every test) would then run
around every other test of the suite too. Imported, they stay local to this module. The
tests are plain functions that run each request on the fixture's event loop (the
plugin's hook that runs ``async def`` tests is not loaded either).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from _notebooks import code, md, notebook, stream
from pytest_jupyter.jupyter_server import *  # noqa: F403  (fixtures, kept local to this module)
from traitlets.config import Config

from nb2prod import __version__
from nb2prod.converter.events import STAGES
from nb2prod.engine import lint_file
from nb2prod.labserver.jobs import root_relative
from nb2prod.rules import REGISTRY
from nb2prod.tags import TAGS

ROOT = Path(__file__).resolve().parent.parent
IRIS = ROOT / "examples" / "iris" / "train.ipynb"


@pytest.fixture(scope="module", autouse=True)
def _no_closed_event_loop_left_behind():
    """pytest-jupyter closes its loop after each test but leaves it set as the thread's
    current loop; the tests of other modules must not inherit a closed loop."""
    yield
    asyncio.set_event_loop(None)


@pytest.fixture(autouse=True)
def _loop_is_current(jp_asyncio_loop):
    """jupyter_core may hand pytest-jupyter a loop an earlier module made (it remembers one per
    context) without making it the thread's current loop, which tornado's client needs."""
    asyncio.set_event_loop(jp_asyncio_loop)
    yield


@pytest.fixture
def jp_server_config() -> Config:
    return Config({"ServerApp": {"jpserver_extensions": {"nb2prod": True}}})


@pytest.fixture
def fetch(jp_fetch, jp_asyncio_loop):
    """``fetch("lint", method="POST", body=...)`` -> (status, decoded JSON), with the token."""

    def _fetch(*parts: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        if body is not None:
            kwargs.setdefault("method", "POST")
            kwargs["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
        response = jp_asyncio_loop.run_until_complete(jp_fetch("nb2prod", *parts, raise_error=False, **kwargs))
        return response.code, json.loads(response.body) if response.body else None

    return _fetch


def messy_notebook() -> nbformat.NotebookNode:
    """Title, an unused import, unseeded numpy randomness, a home-folder path."""
    return notebook(
        md("# Churn model"),
        code("import os\nimport numpy as np", count=1),
        code("noise = np.random.rand(10)", count=2),
        code("data = open('/Users/alice/data.csv').read()", count=3),
    )


def as_json(book: nbformat.NotebookNode) -> dict[str, Any]:
    return json.loads(nbformat.writes(book))


# -- lint ------------------------------------------------------------------------------------


def test_lint_reports_the_findings_of_the_posted_notebook(fetch, jp_root_dir: Path) -> None:
    (jp_root_dir / "work").mkdir()
    status, data = fetch("lint", body={"path": "work/churn.ipynb", "notebook": as_json(messy_notebook())})
    assert status == 200, data
    assert data["path"] == "work/churn.ipynb"
    got = [(f["code"], f["cell"], f["cell_id"], f["line"], f["column"]) for f in data["findings"]]
    assert got == [
        ("NB401", 2, "cell-2", 1, 1),
        ("NB702", 2, "cell-2", 1, 1),
        ("NB203", 2, "cell-2", 2, 1),
        ("NB102", 3, "cell-3", 1, 9),
        ("NB501", 4, "cell-4", 1, 14),
    ]
    nb102 = next(f for f in data["findings"] if f["code"] == "NB102")
    assert nb102["fix"]["applicability"] == "safe"
    assert nb102 | {"message": None, "fix": None} == {
        "code": "NB102", "name": "unseeded-numpy-random", "family": "reproducibility", "severity": "error",
        "message": None, "cell": 3, "cell_id": "cell-3", "line": 1, "column": 9, "end_line": 1,
        "end_column": 27, "output": None, "source_line": "noise = np.random.rand(10)", "fix": None,
    }
    assert "np.random.rand" in nb102["message"]
    assert data["counts"] == {"error": 1, "warning": 4, "info": 0}
    assert data["score"]["total"] == 80
    families = {f["key"]: f for f in data["score"]["families"]}
    assert families["reproducibility"] == {"key": "reproducibility", "title": "Reproducibility", "weight": 20,
                                           "score": 10.0, "findings": 1}
    assert isinstance(data["elapsed_ms"], float) and data["elapsed_ms"] >= 0
    assert data["notices"] == []


def test_lint_answers_what_the_cli_reports_for_the_saved_file(fetch, jp_root_dir: Path) -> None:
    book = messy_notebook()
    path = jp_root_dir / "churn.ipynb"
    nbformat.write(book, path)
    status, data = fetch("lint", body={"path": "churn.ipynb", "notebook": as_json(book)})
    assert status == 200, data
    cli = lint_file(path)
    # The fixes' source edits carry UTF-16 offsets too (here equal to the Python ones: ASCII).
    for f in data["findings"]:
        for edit in (f["fix"] or {}).get("edits", []):
            if edit["kind"] == "source":
                assert (edit.pop("start_utf16"), edit.pop("end_utf16")) == (edit["start"], edit["end"])
            elif edit["kind"] == "requirement":  # and the dependency file's change
                assert edit.pop("path") == "requirements.txt" and edit.pop("before") is None
                assert edit.pop("after").startswith(f"{edit['package']}==")
    assert data["findings"] == [f.to_dict() for f in cli.findings]
    assert data["score"] == cli.score.to_dict()


def test_lint_sees_unsaved_edits(fetch, jp_root_dir: Path) -> None:
    nbformat.write(messy_notebook(), jp_root_dir / "churn.ipynb")
    book = messy_notebook()
    book.cells[2].source = "rng = np.random.default_rng(0)\nnoise = rng.random(10)"
    status, data = fetch("lint", body={"path": "churn.ipynb", "notebook": as_json(book)})
    assert status == 200, data
    assert "NB102" not in {f["code"] for f in data["findings"]}


def test_lint_honours_the_configuration_above_the_notebook(fetch, jp_root_dir: Path) -> None:
    (jp_root_dir / "project" / "notebooks").mkdir(parents=True)
    body = {"path": "project/notebooks/churn.ipynb", "notebook": as_json(messy_notebook())}
    _, before = fetch("lint", body=body)
    assert "NB702" in {f["code"] for f in before["findings"]}
    (jp_root_dir / "project" / "pyproject.toml").write_text(
        '[tool.nb2prod]\nignore = ["NB702"]\nseverity = { NB501 = "error" }\n', encoding="utf-8"
    )
    status, after = fetch("lint", body=body)
    assert status == 200, after
    codes = {f["code"]: f for f in after["findings"]}
    assert "NB702" not in codes
    assert codes["NB501"]["severity"] == "error"
    # A notebook outside that project is not under its configuration.
    _, elsewhere = fetch("lint", body={"path": "other.ipynb", "notebook": as_json(messy_notebook())})
    assert "NB702" in {f["code"] for f in elsewhere["findings"]}


def test_lint_without_a_path_uses_the_configuration_of_the_root(fetch, jp_root_dir: Path) -> None:
    status, data = fetch("lint", body={"notebook": as_json(messy_notebook())})
    assert status == 200, data
    assert data["path"] is None
    assert "NB702" in {f["code"] for f in data["findings"]}
    (jp_root_dir / "pyproject.toml").write_text('[tool.nb2prod]\nignore = ["NB7"]\n', encoding="utf-8")
    _, data = fetch("lint", body={"notebook": as_json(messy_notebook())})
    assert not [f for f in data["findings"] if f["code"].startswith("NB7")]


def test_lint_refuses_a_broken_configuration_with_400(fetch, jp_root_dir: Path) -> None:
    (jp_root_dir / "pyproject.toml").write_text('[tool.nb2prod]\nignroe = ["NB7"]\n', encoding="utf-8")
    status, data = fetch("lint", body={"path": "nb.ipynb", "notebook": as_json(messy_notebook())})
    assert status == 400
    assert "unknown [tool.nb2prod] key 'ignroe'" in data["message"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"notebook": {"cells": "nope"}}, "invalid notebook: not a notebook: no integer 'nbformat' field"),
        ({"notebook": {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"source": "x"}]}},
         "invalid notebook: cell 1 has no 'cell_type'"),
        ({"notebook": {"nbformat": 9, "cells": []}}, "invalid notebook: unsupported nbformat 9"),
        ({"notebook": "{}"}, "'notebook' must be the notebook as nbformat 4 JSON (an object)"),
        ({"path": "nb.ipynb"}, "'notebook' must be the notebook as nbformat 4 JSON (an object)"),
        ([1, 2], "the request body must be a JSON object, not list"),
        ("{not json", "the request body is not valid JSON"),
        ("", "the request body must be a JSON object"),
        ({"path": 3, "notebook": {}}, "'path' must be a non-empty path relative to the server root"),
    ],
)
def test_lint_refuses_bad_bodies_with_400_and_one_line(fetch, body: Any, expected: str) -> None:
    status, data = fetch("lint", method="POST", body=body if isinstance(body, str) else json.dumps(body),
                         allow_nonstandard_methods=True)
    assert status == 400
    assert data["message"].startswith(expected), data
    assert "\n" not in data["message"]
    assert set(data) == {"message"}


def test_paths_outside_the_root_are_refused(fetch, jp_root_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    nbformat.write(messy_notebook(), outside / "secret.ipynb")
    (jp_root_dir / "escape").symlink_to(outside, target_is_directory=True)
    (jp_root_dir / "inner").mkdir()
    (jp_root_dir / "inside").symlink_to(jp_root_dir / "inner", target_is_directory=True)
    book = as_json(messy_notebook())
    for path in ("../x.ipynb", "work/../../x.ipynb", str(outside / "secret.ipynb"), "/etc/x.ipynb",
                 "escape/secret.ipynb", "C:/Users/x.ipynb"):
        status, data = fetch("lint", body={"path": path, "notebook": book})
        assert status == 403, (path, data)
        assert "\n" not in data["message"]
        status, data = fetch("builds", body={"path": path})
        assert status == 403, (path, data)
    nbformat.write(messy_notebook(), jp_root_dir / "nb.ipynb")
    status, data = fetch("builds", body={"path": "nb.ipynb", "output": "escape/service"})
    assert status == 403, data
    # A symlink that stays inside the root is fine.
    status, data = fetch("lint", body={"path": "inside/nb.ipynb", "notebook": book})
    assert status == 200, data
    assert data["path"] == "inside/nb.ipynb"


# -- rules and tags ---------------------------------------------------------------------------


def test_rules_are_the_registry(fetch) -> None:
    status, data = fetch("rules")
    assert status == 200
    assert data["version"] == __version__
    assert data["severities"] == ["info", "warning", "error"]
    assert [f["key"] for f in data["families"]] == [
        "reproducibility", "environment", "execution", "tests", "portability", "security", "structure"]
    assert sum(f["weight"] for f in data["families"]) == 100
    assert [r["code"] for r in data["rules"]] == list(REGISTRY)
    for entry in data["rules"]:
        rule = REGISTRY[entry["code"]]
        assert entry == {"code": rule.code, "name": rule.name, "family": rule.family.key,
                         "severity": rule.severity.label, "summary": rule.summary, "explanation": rule.doc()}
    nb102 = next(r for r in data["rules"] if r["code"] == "NB102")
    assert nb102["name"] == "unseeded-numpy-random"
    assert "## What it does" in nb102["explanation"] and "## Fix" in nb102["explanation"]


def test_tags_are_the_vocabulary(fetch) -> None:
    status, data = fetch("tags")
    assert status == 200
    assert data["comment"] == "# nb2prod:"
    assert [t["name"] for t in data["tags"]] == list(TAGS)
    assert {"parameters", "predict", "serve", "example", "reference", "test", "skip"} <= set(TAGS)
    for entry in data["tags"]:
        assert entry["meaning"] == TAGS[entry["name"]].summary


# -- authentication ---------------------------------------------------------------------------


def test_requests_without_the_token_are_refused(
    http_server_client, jp_asyncio_loop, jp_base_url, fetch, jp_root_dir: Path
) -> None:
    assert fetch("rules")[0] == 200  # the same request with the token passes

    def raw(path: str, **kwargs: Any) -> tuple[int, Any]:
        response = jp_asyncio_loop.run_until_complete(
            http_server_client.fetch(f"{jp_base_url}nb2prod/{path}", raise_error=False, **kwargs))
        return response.code, json.loads(response.body) if response.body else None

    body = json.dumps({"notebook": as_json(messy_notebook())})
    for path, kwargs in [
        ("rules", {}),
        ("tags", {}),
        ("builds", {}),
        ("builds/0123abcd", {}),
        ("lint", {"method": "POST", "body": body}),
        ("fix", {"method": "POST", "body": body}),
        ("fix/file", {"method": "POST", "body": json.dumps({"path": "requirements.txt", "before": None,
                                                           "after": "numpy==2.0\n"})}),
        ("builds", {"method": "POST", "body": json.dumps({"path": "nb.ipynb"})}),
    ]:
        for headers in ({}, {"Authorization": "token not-the-token"}):
            status, data = raw(path, headers=headers, **kwargs)
            assert status == 403, (path, headers, status)
            assert "findings" not in (data or {})
            assert "edits" not in (data or {})
    assert not (jp_root_dir / "requirements.txt").exists()


# -- fixes ------------------------------------------------------------------------------------


def utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def apply_edits(book: dict[str, Any], edits: list[dict[str, Any]]) -> dict[str, Any]:
    """What the panel does with a fix's edits, on the notebook JSON (a copy): source edits
    by their UTF-16 offsets, as JavaScript indexes strings, then deleted cells."""
    out = json.loads(json.dumps(book))
    cells = out["cells"]

    def index(edit: dict[str, Any]) -> int:
        (i,) = [i for i, c in enumerate(cells) if c.get("id") == edit["cell_id"]]
        return i

    sources = [e for e in edits if e["kind"] == "source"]
    for e in sorted(sources, key=lambda e: (e["start"], e["end"]), reverse=True):
        cell = cells[index(e)]
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        units = text.encode("utf-16-le")
        cell["source"] = (units[: 2 * e["start_utf16"]] + e["text"].encode("utf-16-le")
                          + units[2 * e["end_utf16"]:]).decode("utf-16-le")
    for e in edits:
        if e["kind"] == "clear_outputs" and e.get("output") is not None:
            del cells[index(e)]["outputs"][e["output"] - 1]
        elif e["kind"] == "clear_outputs":
            cells[index(e)].update(outputs=[], execution_count=None)
        elif e["kind"] == "metadata":
            out["metadata"][e["key"]] = e["value"]
    for i in sorted((index(e) for e in edits if e["kind"] == "delete_cell"), reverse=True):
        del cells[i]
    return out


def test_lint_gives_each_source_edit_utf16_offsets_into_the_cell(fetch) -> None:
    # An emoji (two UTF-16 units, one Python character) before the place the seed goes.
    book = as_json(notebook(md("# Noise"), code('import numpy as np  # "🎲"\nx = np.random.rand(3)')))
    status, data = fetch("lint", body={"notebook": book})
    assert status == 200, data
    nb102 = next(f for f in data["findings"] if f["code"] == "NB102")
    assert nb102["fix"]["applicability"] == "safe"
    (edit,) = [e for e in nb102["fix"]["edits"] if e["kind"] == "source"]
    source = "".join(book["cells"][1]["source"])
    assert source[edit["start"]:edit["end"]] == ""  # an insertion after the import line
    assert source[: edit["start"]] == 'import numpy as np  # "🎲"'
    assert (edit["start_utf16"], edit["end_utf16"]) == (utf16(source, edit["start"]), utf16(source, edit["end"]))
    assert edit["start_utf16"] == edit["start"] + 1
    fixed = apply_edits(book, nb102["fix"]["edits"])
    status, again = fetch("lint", body={"notebook": fixed})
    assert "NB102" not in {f["code"] for f in again["findings"]}


def test_fix_returns_edits_for_the_live_notebook_and_writes_nothing(fetch, jp_root_dir: Path) -> None:
    book = messy_notebook()
    book.cells[2].source = "noise = np.random.rand(10)  # é🎲"
    path = jp_root_dir / "churn.ipynb"
    nbformat.write(book, path)
    saved = path.read_bytes()
    posted = as_json(book)
    posted["metadata"] = {}  # unsaved: the kernel metadata removed (NB205, NB206)
    before = {p.name for p in jp_root_dir.iterdir()}

    status, data = fetch("fix", body={"path": "churn.ipynb", "notebook": posted})
    assert status == 200, data
    assert data["unsafe"] is False and data["path"] == "churn.ipynb"
    assert data["fixed"]["NB102"] == 1 and {"NB205", "NB206"} <= set(data["fixed"])
    assert data["fixed_total"] == sum(data["fixed"].values())
    kinds = sorted(e["kind"] for e in data["edits"])
    assert kinds == ["metadata", "metadata", "source"], data["edits"]
    (seed,) = [e for e in data["edits"] if e["kind"] == "source"]
    assert (seed["cell"], seed["cell_id"]) == (2, "cell-2")  # after `import numpy as np`, not where it draws
    assert "np.random.seed(0)" in seed["text"]
    # A minimal replacement: only the inserted text, not the whole cell.
    assert seed["start"] == seed["end"] and len(seed["text"]) < 30
    assert {e["key"] for e in data["edits"] if e["kind"] == "metadata"} == {"kernelspec", "language_info"}
    assert "np.random.seed(0)" in data["diff"] and "churn.ipynb:cell 2" in data["diff"]
    fixed = apply_edits(posted, data["edits"])
    assert fixed["cells"][2]["source"] == posted["cells"][2]["source"]  # the drawing cell is untouched
    # The server wrote nothing: the notebook on disk is as saved, no file was created.
    assert path.read_bytes() == saved
    assert {p.name for p in jp_root_dir.iterdir()} == before
    # Applied to the posted notebook, with the dependency file written as the panel does,
    # the edits give what the lint reports fixed.
    for change in data["files"]:
        assert write_file(fetch, change["path"], change["before"], change["after"])[0] == 200
    status, after = fetch("lint", body={"path": "churn.ipynb", "notebook": fixed})
    codes = {f["code"] for f in after["findings"]}
    assert not codes & set(data["fixed"]), codes
    assert data["remaining"] == len(after["findings"])


def test_unsafe_fix_removes_one_output_and_keeps_the_others(fetch) -> None:
    keep, leak = stream("total: 3\n"), stream("row 1 maria.gonzalez84@gmail.com 3 items\n")
    book = as_json(notebook(md("# Orders"), code("print(total)\nprint(row)", count=1, outputs=[keep, leak])))
    status, data = fetch("lint", body={"notebook": book})
    (nb603,) = [f for f in data["findings"] if f["code"] == "NB603"]
    assert nb603["fix"]["edits"] == [{"kind": "clear_outputs", "cell": 2, "cell_id": book["cells"][1]["id"],
                                      "output": 2}]
    status, data = fetch("fix", body={"notebook": book, "unsafe": True, "codes": ["NB603"]})
    assert status == 200, data
    assert [e for e in data["edits"] if e["kind"] == "clear_outputs"] == nb603["fix"]["edits"]
    fixed = apply_edits(book, data["edits"])
    assert fixed["cells"][1]["outputs"] == book["cells"][1]["outputs"][:1]
    assert fixed["cells"][1]["execution_count"] == 1


def test_fix_with_codes_fixes_those_rules_only(fetch) -> None:
    posted = as_json(messy_notebook())
    posted["metadata"] = {}
    status, data = fetch("fix", body={"notebook": posted, "codes": ["nb205"]})
    assert status == 200, data
    assert data["fixed"] == {"NB205": 1}
    assert [(e["kind"], e["key"]) for e in data["edits"]] == [("metadata", "kernelspec")]


def test_nothing_to_fix_is_an_empty_answer(fetch) -> None:
    book = notebook(md("# Clean"), code("x = 1", count=1))
    status, data = fetch("fix", body={"notebook": as_json(book), "codes": ["NB102"]})
    assert status == 200, data
    assert (data["fixed"], data["edits"], data["files"], data["diff"]) == ({}, [], [], "")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"notebook": []}, "'notebook' must be the notebook"),
        ({"notebook": {"nbformat": 3, "cells": []}}, "nbformat 4"),
        ({"notebook": {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}, "unsafe": "yes"},
         "'unsafe' must be true or false"),
        ({"notebook": {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}, "codes": "NB102"},
         "'codes' must be a list"),
    ],
)
def test_fix_refuses_bad_bodies(fetch, body: dict[str, Any], expected: str) -> None:
    status, data = fetch("fix", body=body)
    assert status == 400 and expected in data["message"], data


def test_notebook_edits_describe_deleted_cells_cleared_outputs_and_minimal_replacements() -> None:
    from nb2prod.labserver.handlers import FixError, notebook_edits

    before = as_json(notebook(
        md("# T"), code("a = 1\nb = 2\nc = 3", count=1, outputs=[{"output_type": "stream", "name": "stdout",
                                                                   "text": "x"}]),
        code("", count=2), code("🎲 = 'x'\nd = 4", count=3),
    ))
    after = json.loads(json.dumps(before))
    originals = list(after["cells"])
    after["cells"][1]["source"] = "a = 1\nb = 20\nc = 3"
    after["cells"][1].update(outputs=[], execution_count=None)
    after["cells"][3]["source"] = "🎲 = 'x'\nd = 5"
    del after["cells"][2]
    after["metadata"]["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    edits = notebook_edits(before, originals, after)
    assert edits == [
        {"kind": "source", "cell": 2, "cell_id": "cell-2", "start": 11, "end": 11, "start_utf16": 11,
         "end_utf16": 11, "text": "0"},
        {"kind": "clear_outputs", "cell": 2, "cell_id": "cell-2", "output": None},
        {"kind": "source", "cell": 4, "cell_id": "cell-4", "start": 12, "end": 13, "start_utf16": 13,
         "end_utf16": 14, "text": "5"},
        {"kind": "delete_cell", "cell": 3, "cell_id": "cell-3"},
        {"kind": "metadata", "key": "kernelspec", "value": after["metadata"]["kernelspec"]},
    ]
    assert apply_edits(before, edits) == after
    # What the edits cannot say is refused rather than half applied.
    moved = json.loads(json.dumps(before))
    originals = list(moved["cells"])
    moved["cells"].reverse()
    with pytest.raises(FixError):
        notebook_edits(before, originals, moved)
    tagged = json.loads(json.dumps(before))
    originals = list(tagged["cells"])
    tagged["cells"][1]["metadata"]["tags"] = ["x"]
    with pytest.raises(FixError):
        notebook_edits(before, originals, tagged)


def test_dependency_fixes_carry_the_file_change_and_fix_writes_no_file(fetch, jp_root_dir: Path) -> None:
    (jp_root_dir / "work").mkdir()
    posted = as_json(notebook(md("# Noise"), code("import numpy as np\nx = np.random.default_rng(0).random(3)")))
    status, data = fetch("lint", body={"path": "work/nb.ipynb", "notebook": posted})
    assert status == 200, data
    (nb203,) = [f for f in data["findings"] if f["code"] == "NB203"]
    (req,) = [e for e in nb203["fix"]["edits"] if e["kind"] == "requirement"]
    assert req["path"] == "work/requirements.txt" and req["before"] is None
    assert req["after"].startswith("numpy==") and req["package"] == "numpy"
    status, fixed = fetch("fix", body={"path": "work/nb.ipynb", "notebook": posted})
    assert status == 200, fixed
    assert fixed["files"] == [{"path": "work/requirements.txt", "name": "requirements.txt", "before": None,
                               "after": req["after"], "created": True, "writable": True}]
    assert "requirements.txt" in fixed["diff"] and "+numpy==" in fixed["diff"]
    assert not (jp_root_dir / "work" / "requirements.txt").exists()
    # What the panel does next: write it, and the lint sees it.
    assert write_file(fetch, "work/requirements.txt", None, req["after"])[0] == 200
    status, again = fetch("lint", body={"path": "work/nb.ipynb", "notebook": posted})
    assert "NB203" not in {f["code"] for f in again["findings"]}


def write_file(fetch, path: str, before: str | None, after: str) -> tuple[int, Any]:
    return fetch("fix", "file", body={"path": path, "before": before, "after": after})


def test_fix_file_creates_and_updates_a_dependency_file_only_if_it_is_as_the_fix_saw_it(
    fetch, jp_root_dir: Path
) -> None:
    (jp_root_dir / "work").mkdir()
    req = jp_root_dir / "work" / "requirements.txt"
    status, data = write_file(fetch, "work/requirements.txt", None, "numpy==2.0.1\n")
    assert status == 200, data
    assert data == {"path": "work/requirements.txt", "written": True, "created": True}
    assert req.read_text() == "numpy==2.0.1\n"
    # Computed from a file that did not exist: now it does.
    status, data = write_file(fetch, "work/requirements.txt", None, "pandas==2.2\n")
    assert status == 409 and "exists now" in data["message"], data
    # Computed from an older text: the user changed the file since.
    req.write_text("numpy==2.0.1\nscipy\n")
    status, data = write_file(fetch, "work/requirements.txt", "numpy==2.0.1\n", "numpy==2.0.1\npandas==2.2\n")
    assert status == 409 and "changed since the fix was computed" in data["message"], data
    assert req.read_text() == "numpy==2.0.1\nscipy\n"
    status, data = write_file(fetch, "work/requirements.txt", "numpy==2.0.1\nscipy\n", "numpy==2.0.1\nscipy==1.14\n")
    assert status == 200 and data["written"] and not data["created"], data
    assert req.read_text() == "numpy==2.0.1\nscipy==1.14\n"
    assert [p.name for p in req.parent.iterdir()] == ["requirements.txt"]  # no temporary file left
    # Deleted since: refused too.
    req.unlink()
    status, data = write_file(fetch, "work/requirements.txt", "numpy==2.0.1\n", "x\n")
    assert status == 409 and "no longer exists" in data["message"], data
    assert not req.exists()


def test_fix_file_writes_only_dependency_files_inside_the_root(fetch, jp_root_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (jp_root_dir / "link").symlink_to(outside, target_is_directory=True)
    nbformat.write(messy_notebook(), jp_root_dir / "nb.ipynb")
    saved = (jp_root_dir / "nb.ipynb").read_bytes()
    for path, status in [
        ("../requirements.txt", 403),
        (str(outside / "requirements.txt"), 403),
        ("link/requirements.txt", 403),
        ("nb.ipynb", 403),
        ("setup.py", 403),
        ("nowhere/requirements.txt", 404),
    ]:
        code_, data = write_file(fetch, path, None, "numpy==2.0\n")
        assert code_ == status, (path, code_, data)
        assert data["message"]
    assert not list(outside.iterdir())
    assert (jp_root_dir / "nb.ipynb").read_bytes() == saved
    for name in ("pyproject.toml", "environment.yml", "requirements-dev.txt", "requirements/base.txt"):
        (jp_root_dir / name).parent.mkdir(exist_ok=True)
        assert write_file(fetch, name, None, "x\n")[0] == 200, name
    for body, expected in [
        ({"path": "requirements.txt", "before": None}, "'after'"),
        ({"path": "requirements.txt", "before": 3, "after": ""}, "'before'"),
        ({"before": None, "after": ""}, "'path'"),
    ]:
        code_, data = fetch("fix", "file", body=body)
        assert code_ == 400 and expected in data["message"], data


# -- builds -----------------------------------------------------------------------------------


def poll(fetch, build_id: str, timeout: float = 240) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Poll a build with ?since= until it ends; (last answer, every event in order)."""
    events: list[dict[str, Any]] = []
    since = 0
    deadline = time.monotonic() + timeout
    while True:
        status, data = fetch("builds", build_id, params={"since": since})
        assert status == 200, data
        assert [e["index"] for e in data["events"]] == list(range(since, since + len(data["events"])))
        events.extend(data["events"])
        since = data["next"]
        if data["status"] != "running":
            return data, events
        assert time.monotonic() < deadline, f"build still running after {timeout} s: {events}"
        time.sleep(0.2)


def quick_notebook(training: str | None = None) -> nbformat.NotebookNode:
    """A notebook that passes the lint gate and builds in a few seconds; ``training``, when
    given, is the source of one more training cell (run at build time)."""
    return notebook(
        md("# Doubler\nA tiny service that scales a number."),
        code("factor = 2.0", tags=["parameters"]),
        *([code(training)] if training is not None else []),
        code("def predict(x: float) -> float:\n    return x * factor", tags=["predict"]),
        code('example = {"x": 1.5}', tags=["example"]),
        code("assert predict(1.5) == 3.0", tags=["test"]),
    )


# A lint error (NB102) in training code, which the lint gate stops on.
UNSEEDED = "import numpy as np\nnoise = np.random.rand(3)"


def assert_no_root_path(data: dict[str, Any], events: list[dict[str, Any]], root: Path) -> None:
    """No absolute path of the server root in the job's events, error or result."""
    text = json.dumps([events, data["error"], data["result"]])
    for form in {str(root), str(root.resolve())}:
        assert form not in text, f"{form} in {text}"


@pytest.mark.slow
@pytest.mark.kernel
def test_a_build_runs_through_to_its_result(fetch, jp_root_dir: Path) -> None:
    (jp_root_dir / "iris").mkdir()
    shutil.copy(IRIS, jp_root_dir / "iris" / "train.ipynb")
    status, started = fetch("builds", body={"path": "iris/train.ipynb", "parameters": {"C": "0.5", "test_size": 0.3}})
    assert status == 202, started
    assert started["status"] == "running"
    assert started["url"] == f"/nb2prod/builds/{started['id']}"
    int(started["id"], 16)
    # One build per target at a time, even with force.
    status, busy = fetch("builds", body={"path": "iris/train.ipynb", "force": True})
    assert status == 409, busy
    assert "being built" in busy["message"]

    final, events = poll(fetch, started["id"])
    assert final["status"] == "succeeded", (final["error"], events)
    assert final["error"] is None
    assert final["path"] == "iris/train.ipynb"
    assert final["output"] == "iris/train-service"
    assert final["result"] == {"output": "iris/train-service", "project": "train-service",
                               "package": "train_service", "verified": None}
    ended = {e["stage"]: e["status"] for e in events if e["status"] in ("done", "skipped", "failed")}
    assert ended == {"lint": "done", "analyse": "done", "execute": "done", "capture": "done", "render": "done",
                     "verify": "skipped"}
    assert [e["stage"] for e in events if e["status"] == "start"] == list(STAGES[:-1])
    assert all(e["seconds"] >= 0 for e in events if e["status"] == "done")
    assert any(e["stage"] == "execute" and e["status"] == "progress" for e in events)
    # Paths in the events are relative to the server root, as the page names files.
    assert "written to iris/train-service" in [e["message"] for e in events if e["stage"] == "render"]
    assert_no_root_path(final, events, jp_root_dir)
    project = jp_root_dir / "iris" / "train-service"
    assert (project / "pyproject.toml").is_file()
    lock = json.loads((project / "train_service" / "nb2prod.lock.json").read_text(encoding="utf-8"))
    assert lock["parameters"]["C"] == 0.5 and lock["parameters"]["test_size"] == 0.3
    # A poll from the end returns no events, and the list shows the build without them.
    status, tail = fetch("builds", final["id"], params={"since": final["next"]})
    assert status == 200 and tail["events"] == [] and tail["next"] == final["next"]
    status, listing = fetch("builds")
    assert status == 200
    (entry,) = [b for b in listing["builds"] if b["id"] == final["id"]]
    assert entry["status"] == "succeeded" and "events" not in entry
    # The target is not empty now: a new build needs force.
    status, data = fetch("builds", body={"path": "iris/train.ipynb"})
    assert status == 409
    assert data["message"] == "iris/train-service is not empty: build with force to replace it"


@pytest.mark.slow
@pytest.mark.kernel
def test_a_failing_build_ends_failed_with_its_message(fetch, jp_root_dir: Path) -> None:
    book = nbformat.read(IRIS, as_version=4)
    training = next(c for c in book.cells if "model.fit(" in c.source)
    training.source += '\nraise ValueError("the training data is empty")'
    nbformat.write(book, jp_root_dir / "train.ipynb")
    (jp_root_dir / "out").mkdir()
    status, started = fetch("builds", body={"path": "train.ipynb", "output": "out/service"})
    assert status == 202, started
    final, events = poll(fetch, started["id"])
    assert final["status"] == "failed"
    assert final["result"] is None
    cell = book.cells.index(training) + 1
    assert final["error"] == f"cell {cell} raised ValueError: the training data is empty"
    failed = [e for e in events if e["status"] == "failed"]
    assert [e["stage"] for e in failed] == ["execute"]
    assert not (jp_root_dir / "out" / "service").exists()
    assert sorted(os.listdir(jp_root_dir / "out")) == []  # no staging folder left behind


@pytest.mark.slow
@pytest.mark.kernel
def test_the_lint_gate_stops_a_build_unless_gate_is_false(fetch, jp_root_dir: Path) -> None:
    nbformat.write(quick_notebook(UNSEEDED), jp_root_dir / "noisy.ipynb")
    status, started = fetch("builds", body={"path": "noisy.ipynb"})
    assert status == 202, started
    final, events = poll(fetch, started["id"])
    assert final["status"] == "failed", events
    assert final["error"].startswith("lint found 1 error(s) that block the build: cell 3: NB102 ")
    # The advice names the request's field, not the CLI's flag.
    assert final["error"].endswith('(fix them, or build anyway with "gate": false)')
    assert [e["stage"] for e in events if e["status"] == "failed"] == ["lint"]
    assert_no_root_path(final, events, jp_root_dir)
    assert not (jp_root_dir / "noisy-service").exists()

    status, started = fetch("builds", body={"path": "noisy.ipynb", "gate": False})
    assert status == 202, started
    final, events = poll(fetch, started["id"])
    assert final["status"] == "succeeded", (final["error"], events)
    assert final["result"]["output"] == "noisy-service"
    (lint,) = [e for e in events if e["stage"] == "lint" and e["status"] == "done"]
    assert lint["detail"]["findings"] >= 1
    assert "written to noisy-service" in [e["message"] for e in events if e["stage"] == "render"]
    assert_no_root_path(final, events, jp_root_dir)
    assert (jp_root_dir / "noisy-service" / "pyproject.toml").is_file()


@pytest.mark.parametrize(
    "jp_server_config",
    [Config({"ServerApp": {"jpserver_extensions": {"nb2prod": True}}, "Nb2prodLab": {"max_running_builds": 1}})],
)
@pytest.mark.slow
@pytest.mark.kernel
def test_builds_beyond_the_limit_are_refused_with_429(fetch, jp_root_dir: Path) -> None:
    # The training cell sleeps: the first build is still running when the next requests come.
    nbformat.write(quick_notebook("import time\ntime.sleep(3)"), jp_root_dir / "slow.ipynb")
    nbformat.write(quick_notebook(), jp_root_dir / "quick.ipynb")
    status, slow = fetch("builds", body={"path": "slow.ipynb"})
    assert status == 202, slow
    status, data = fetch("builds", body={"path": "quick.ipynb"})
    assert status == 429, data
    assert data == {"message": "too many builds: 1 running, and this server runs at most 1 at a time; "
                               "try again when one has ended"}
    # The same output folder is still a 409 (the more precise answer).
    status, data = fetch("builds", body={"path": "slow.ipynb"})
    assert status == 409, data
    final, _ = poll(fetch, slow["id"])
    assert final["status"] == "succeeded", final["error"]
    # Once it has ended, the next build starts.
    status, started = fetch("builds", body={"path": "quick.ipynb"})
    assert status == 202, started
    final, _ = poll(fetch, started["id"])
    assert final["status"] == "succeeded", final["error"]


def test_the_limit_of_running_builds_defaults_to_two(jp_serverapp) -> None:
    assert jp_serverapp.web_app.settings["nb2prod"].jobs.max_running == 2


def test_paths_under_the_root_are_made_relative() -> None:
    rel = root_relative(Path("/srv/lab"))
    assert rel("written to /srv/lab/dir/nb-service") == "written to dir/nb-service"
    assert rel("/srv/lab/nb.ipynb: not a notebook") == "nb.ipynb: not a notebook"
    assert rel("'/srv/lab/a b/c.csv' and /srv/lab//x, /srv/lab/") == "'a b/c.csv' and x, ."
    assert rel("the root /srv/lab is empty") == "the root . is empty"
    # Only whole components of a path that starts there.
    assert rel("/srv/lab2/x and /opt/srv/lab/x and ~/srv/lab") == "/srv/lab2/x and /opt/srv/lab/x and ~/srv/lab"
    assert root_relative(Path("/srv/lab/"))("/srv/lab/x") == "x"
    assert root_relative(Path("/"))("/etc/x") == "/etc/x"  # a filesystem root: nothing to strip
    assert root_relative(None)("/srv/lab/x") == "/srv/lab/x"


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ({"path": "missing.ipynb"}, 404, "missing.ipynb: no such notebook"),
        ({"path": "nb.ipynb", "output": "new/service"}, 404, "new: no such folder for the output"),
        ({}, 400, "'path' must be a non-empty path relative to the server root"),
        ({"path": "nb.ipynb", "force": "yes"}, 400, "'force' must be true or false"),
        ({"path": "nb.ipynb", "gate": "no"}, 400, "'gate' must be true or false"),
        ({"path": "nb.ipynb", "gate": None}, 400, "'gate' must be true or false"),
        ({"path": "nb.ipynb", "parameters": ["C=1"]}, 400, "'parameters' must be an object of name: value"),
        ({"path": "nb.ipynb", "parameters": {"bad name": "1"}}, 400, "-p 'bad name=1': expected name=value"),
        ({"path": "nb.ipynb", "parameters": {"C": [1]}}, 400, "parameter 'C': the value must be a string"),
    ],
)
def test_bad_build_requests(fetch, jp_root_dir: Path, body: dict[str, Any], status: int, expected: str) -> None:
    nbformat.write(messy_notebook(), jp_root_dir / "nb.ipynb")
    got, data = fetch("builds", body=body)
    assert got == status, data
    assert data["message"].startswith(expected)


def test_a_symlinked_alias_of_the_output_never_deletes_the_notebooks_folder(fetch, jp_root_dir: Path) -> None:
    """``alias -> proj``: building ``alias/train.ipynb`` into ``proj`` with force would replace
    the folder that holds the notebook. Refused with 409, before any build starts."""
    (jp_root_dir / "proj").mkdir()
    nbformat.write(quick_notebook(), jp_root_dir / "proj" / "train.ipynb")
    (jp_root_dir / "proj" / "data.csv").write_text("mine", encoding="utf-8")
    (jp_root_dir / "alias").symlink_to(jp_root_dir / "proj", target_is_directory=True)
    for body in ({"path": "alias/train.ipynb", "output": "proj", "force": True},
                 {"path": "proj/train.ipynb", "output": "alias", "force": True}):
        status, data = fetch("builds", body=body)
        assert status == 409, data
        assert "holds the notebook itself" in data["message"]
        assert str(jp_root_dir) not in data["message"] and str(jp_root_dir.resolve()) not in data["message"]
    status, data = fetch("builds")
    assert data == {"builds": []}
    assert sorted(os.listdir(jp_root_dir / "proj")) == ["data.csv", "train.ipynb"]


@pytest.mark.slow
@pytest.mark.kernel
def test_force_replaces_only_what_an_earlier_build_made(fetch, jp_root_dir: Path) -> None:
    nbformat.write(quick_notebook(), jp_root_dir / "train.ipynb")
    (jp_root_dir / "mine").mkdir()
    (jp_root_dir / "mine" / "thesis.tex").write_text("years of work", encoding="utf-8")
    status, data = fetch("builds", body={"path": "train.ipynb", "output": "mine", "force": True})
    assert status == 409, data
    assert data["message"].startswith("mine is not empty and no nb2prod build made it")
    assert (jp_root_dir / "mine" / "thesis.tex").read_text(encoding="utf-8") == "years of work"
    # An earlier build's project is replaced.
    status, first = fetch("builds", body={"path": "train.ipynb", "output": "svc"})
    assert status == 202, first
    assert poll(fetch, first["id"])[0]["status"] == "succeeded"
    status, second = fetch("builds", body={"path": "train.ipynb", "output": "svc", "force": True})
    assert status == 202, second
    assert poll(fetch, second["id"])[0]["status"] == "succeeded"


def test_a_lone_surrogate_in_the_posted_notebook_is_linted_not_a_500(fetch) -> None:
    book = as_json(quick_notebook())
    book["cells"][0]["source"] = "# Title \ud800 and \udfff"
    book["metadata"]["x\udc80"] = "\ud83d"
    body = json.dumps({"notebook": book}, ensure_ascii=True)  # the escapes are valid JSON
    assert "\\ud800" in body
    status, data = fetch("lint", body=body)
    assert status == 200, data
    assert data["score"]["total"] > 0


def test_unknown_builds_and_bad_since(fetch) -> None:
    status, data = fetch("builds", "feedbeef")
    assert status == 404
    assert data["message"].startswith("no build 'feedbeef'")
    status, data = fetch("builds", "feedbeef", params={"since": "-1"})
    assert status == 400
    status, data = fetch("builds")
    assert status == 200 and data == {"builds": []}


# -- enabling ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_shipped_config_enables_the_extension(tmp_path: Path) -> None:
    """jupyter-config/server-config/nb2prod.json is what the wheel installs into
    etc/jupyter/jupyter_server_config.d/: jupyter_server must find and validate it."""
    shipped = ROOT / "jupyter-config" / "server-config" / "nb2prod.json"
    assert json.loads(shipped.read_text(encoding="utf-8")) == {"ServerApp": {"jpserver_extensions": {"nb2prod": True}}}
    config_dir = tmp_path / "config"
    (config_dir / "jupyter_server_config.d").mkdir(parents=True)
    shutil.copy(shipped, config_dir / "jupyter_server_config.d" / "nb2prod.json")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir), "NO_COLOR": "1"}
    out = subprocess.run([sys.executable, "-m", "jupyter_server.extension.serverextension", "list"],
                         capture_output=True, text=True, env=env, timeout=120)
    lines = (out.stdout + out.stderr).splitlines()
    block = lines[next(i for i, line in enumerate(lines) if line.startswith(f"Config dir: {config_dir}")):]
    assert any(line.split()[:1] == ["nb2prod"] and "enabled" in line for line in block[:3]), block
    assert any(f"nb2prod {__version__}" in line and "OK" in line for line in block[:5]), block
