"""The JupyterLab extension in a real browser: Debian's chromium driven by Playwright
against a real ``jupyter lab`` on 127.0.0.1 (the harness is ``benchmarks/_lab.py``).

A user opens a notebook, opens the Readiness panel and sees the findings ``nb2prod lint``
reports, with the score, the families and the tab bar in view; clicks a finding and lands
on its cell; fixes a cell and sees the panel follow the unsaved edit; tags a cell from the
panel's Cell tab and saves; builds the service from the command palette (the panel shows
the Build tab and its stages at once), builds again from the Build button and replaces the
output; builds a notebook with a lint error, which stops at the lint gate, then builds it
anyway; collapses the families and finds them collapsed after a reload. Screenshots of the
window with the panel open go to ``benchmarks/results/lab-panel.png`` (findings) and
``benchmarks/results/lab-panel-build.png`` (the Build tab after a build).

Skipped when chromium or playwright is missing, except in CI (``CI=true``), where it must run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from _notebooks import code, md, write

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import _lab  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.kernel]
_MISSING = _lab.browser_missing()
if _MISSING and os.environ.get("CI") != "true":
    pytestmark.append(pytest.mark.skip(reason=f"real-browser test of the JupyterLab extension: {_MISSING}"))

SCREENSHOT_COPY = ROOT / "benchmarks" / "results" / "lab-panel.png"
BUILD_SCREENSHOT_COPY = ROOT / "benchmarks" / "results" / "lab-panel-build.png"
# (source, tags): tags None for a markdown cell. Cell 3 uses numpy's global random state
# (NB102), cell 4 a name defined nowhere (NB701); no dependency file (NB203), no tests (NB401).
STUDY = [
    ("# Noise study\nA small analysis with a few readiness problems.", None),
    ("import numpy as np", []),
    ("noise = np.random.rand(10)", []),
    ("total = noise.sum() + offset", []),
    ("def predict(x: float) -> float:\n    return float(x * total)", []),
]
# A notebook that passes the lint gate and builds in a few seconds.
DOUBLER = [
    ("# Doubler\nA tiny service that scales a number.", None),
    ("factor = 2.0", ["parameters"]),
    ("def predict(x: float) -> float:\n    return x * factor", ["predict"]),
    ('example = {"x": 1.5}', ["example"]),
    ("assert predict(1.5) == 3.0", ["test"]),
]
# Two unseeded generators drawn in cell 3, imported in cell 2: NB102 (numpy) and NB101
# (random), each with a safe fix that seeds right after the import; an empty cell (NB703,
# fixed by deleting it); no dependency file (NB203, fixed by creating requirements.txt).
FIXABLE = [
    ("# Noise study\nDraws from two unseeded generators.", None),
    ("import random\nimport numpy as np", []),
    ("noise = np.random.rand(10)\npick = random.random()", []),
    ("", []),
    ("def predict(x: float) -> float:\n    return float(x * noise.sum() * pick)", []),
]
SAFE_FIXED = {"NB101", "NB102", "NB203", "NB703"}
FIX_SCREENSHOT_COPY = ROOT / "benchmarks" / "results" / "lab-panel-fix.png"
# The same with a training cell that uses numpy's global random state: a lint error (NB102)
# the build's lint gate stops on.
NOISY = [*DOUBLER[:2], ("import numpy as np\nnoise = np.random.rand(3)", []), *DOUBLER[2:]]


def write_notebook(path: Path, cells: list[tuple[str, list[str] | None]]) -> Path:
    return write(path, *(md(source) if tags is None else code(source, tags=tags) for source, tags in cells))


def cli_lint(path: Path) -> dict[str, Any]:
    """``nb2prod lint --format json`` on one notebook: its entry of the report."""
    proc = subprocess.run(
        [sys.executable, "-m", "nb2prod", "lint", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode in (0, 1), proc.stderr
    (entry,) = json.loads(proc.stdout)["notebooks"]
    return entry


def _sorted(items: Any) -> list[tuple[str, int | None]]:
    return sorted(items, key=lambda p: (p[0], p[1] or 0))


def pairs(findings: list[dict[str, Any]]) -> list[tuple[str, int | None]]:
    """(code, cell) of each finding, in a fixed order."""
    return _sorted((f["code"], f["cell"]) for f in findings)


def panel_pairs(page: Any) -> list[tuple[str, int | None]]:
    rows = page.eval_on_selector_all(
        f"{_lab.PANEL} li.nb2prod-finding", "els => els.map(e => [e.dataset.code, e.dataset.cell])"
    )
    return _sorted((code, int(cell) if cell else None) for code, cell in rows)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_lab.LabServer]:
    root = tmp_path_factory.mktemp("lab-root")
    for name in ("study", "edit", "tags", "layout"):
        write_notebook(root / f"{name}.ipynb", STUDY)
    write_notebook(root / "doubler" / "doubler.ipynb", DOUBLER)
    write_notebook(root / "noisy" / "noisy.ipynb", NOISY)
    write_notebook(root / "fixing" / "fix.ipynb", FIXABLE)
    with _lab.LabServer(root, tmp_path_factory.mktemp("lab-home")) as server:
        status, _ = server.api("GET", "nb2prod/rules")
        assert status == 200, f"the nb2prod server extension is not enabled (GET /nb2prod/rules: {status})"
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[_lab.Browser]:
    with _lab.Browser() as b:
        yield b


@pytest.fixture
def page(lab: _lab.LabServer, browser: _lab.Browser) -> Iterator[Any]:
    page = browser.new_page()
    yield page
    errors = [m for m in browser.console if m.startswith("pageerror") or ("nb2prod" in m and m.startswith("error"))]
    assert not errors, "errors in the page:\n" + "\n".join(errors)


def open_with_panel(page: Any, lab: _lab.LabServer, notebook: str, n_cells: int) -> int:
    _lab.open_notebook(page, lab, notebook, n_cells)
    _lab.open_panel(page)
    return _lab.wait_for_lint(page, after=0)


def save_screenshot(page: Any, tmp_path: Path, copy: Path) -> None:
    """The window as the user sees it, kept in ``benchmarks/results``."""
    shot = tmp_path / copy.name
    page.screenshot(path=str(shot))
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, copy)
    assert shot.stat().st_size > 10_000


def in_view(page: Any, selector: str) -> bool:
    """Whether the element is shown whole inside the window (no scrolling needed to see it)."""
    box = page.locator(selector).bounding_box()
    viewport = page.viewport_size
    return (
        box is not None
        and box["width"] > 0
        and box["y"] >= 0
        and box["y"] + box["height"] <= viewport["height"]
        and box["x"] + box["width"] <= viewport["width"]
    )


def wait_active_cell(page: Any, index: int, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while (found := _lab.active_cell_index(page)) != index:
        assert time.monotonic() < deadline, f"active cell is {found + 1}, expected {index + 1}"
        page.wait_for_timeout(50)


def test_panel_lists_the_cli_findings_and_a_click_goes_to_the_cell(
    lab: _lab.LabServer, page: Any, tmp_path: Path
) -> None:
    expected = cli_lint(lab.root / "study.ipynb")
    assert {"NB102", "NB701"} <= {f["code"] for f in expected["findings"]}

    open_with_panel(page, lab, "study.ipynb", len(STUDY))
    assert _lab.panel_tab(page) == "findings"
    assert panel_pairs(page) == pairs(expected["findings"])
    assert _lab.panel_score(page) == round(expected["score"]["total"])
    server_ms = _lab.server_ms(page)
    assert server_ms is not None and server_ms > 0
    # Without scrolling: the score, every family and the tab bar, whose Findings tab counts them.
    for selector in (".nb2prod-score", ".nb2prod-families", ".nb2prod-tabbar", "li.nb2prod-finding"):
        assert in_view(page, f"{_lab.PANEL} {selector} >> nth=0"), f"{selector} is not in view"
    families = page.locator(f"{_lab.PANEL} .nb2prod-family")
    assert families.count() == len(expected["score"]["families"])
    assert in_view(page, f"{_lab.PANEL} .nb2prod-family >> nth=-1")
    count = page.locator(f"{_lab.PANEL} .nb2prod-tab[data-tab='findings'] .nb2prod-tab-count")
    assert count.inner_text() == str(len(expected["findings"]))
    # Rule names are shown whole (they wrap rather than being cut).
    name = page.locator(f"{_lab.PANEL} li.nb2prod-finding[data-code='NB102'] .nb2prod-name")
    assert name.evaluate("e => e.scrollWidth <= e.clientWidth")
    counts = {
        sev: page.locator(f"{_lab.PANEL} .nb2prod-count[data-severity='{sev}']").inner_text()
        for sev in ("error", "warning")
    }
    assert counts["error"].startswith(f"{sum(f['severity'] == 'error' for f in expected['findings'])} ")
    # Cell markers: the undefined name's cell is marked as an error, with its code on the badge.
    cell4 = _lab.cells(page).nth(3)
    assert "nb2prod-cell-error" in (cell4.get_attribute("class") or "")
    assert "NB701" in (cell4.locator(".nb2prod-cell-badge").get_attribute("data-codes") or "")

    # Clicking a finding makes its cell the active one (cells are 1-based in findings).
    for rule in ("NB102", "NB701"):
        cell = next(f["cell"] for f in expected["findings"] if f["code"] == rule)
        page.locator(f"{_lab.PANEL} li.nb2prod-finding[data-code='{rule}'] .nb2prod-finding-main").click()
        wait_active_cell(page, cell - 1)
        note = page.locator(f"{_lab.PANEL} .nb2prod-tags-section .nb2prod-section-note")
        assert note.get_attribute("data-cell") == str(cell)

    # The window as the user sees it now, the findings list scrolled back to its top.
    page.locator(f"{_lab.PANEL} .nb2prod-findings-scroll").evaluate("node => { node.scrollTop = 0; }")
    save_screenshot(page, tmp_path, SCREENSHOT_COPY)

    # The rule's explanation (its markdown documentation) opens under the finding.
    row = page.locator(f"{_lab.PANEL} li.nb2prod-finding[data-code='NB102']")
    row.locator(".nb2prod-explain-toggle").click()
    explanation = row.locator(".nb2prod-explanation")
    _, table = lab.api("GET", "nb2prod/rules")
    markdown = next(r["explanation"] for r in table["rules"] if r["code"] == "NB102")
    headings = [line[3:].strip() for line in markdown.splitlines() if line.startswith("## ")]
    explanation.locator("h2").first.wait_for()
    assert [h.lower() for h in explanation.locator("h2").all_inner_texts()] == [h.lower() for h in headings]
    # Set apart from the text: bold and with space above (the first one excepted).
    heading, text = explanation.locator("h2").nth(1), explanation.locator("p").first
    style = "e => { const s = getComputedStyle(e); return [Number(s.fontWeight), parseFloat(s.marginTop)]; }"
    weight, margin = heading.evaluate(style)
    assert weight >= 600 and margin >= 8
    assert text.evaluate(style)[0] < weight


def test_an_unsaved_edit_updates_the_findings_and_the_score(lab: _lab.LabServer, page: Any) -> None:
    path = lab.root / "edit.ipynb"
    saved = path.read_bytes()
    open_with_panel(page, lab, "edit.ipynb", len(STUDY))
    assert "NB701" in _lab.panel_codes(page)
    before = _lab.panel_score(page)
    version = _lab.lint_version(page)

    # Define the missing name at the top of cell 4 by typing into its editor.
    editor = _lab.cells(page).nth(3).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+Home")
    page.keyboard.type("offset = 1.0\n")
    assert editor.inner_text().startswith("offset = 1.0")
    page.wait_for_function(
        """([id, version]) => {
            const p = document.getElementById(id);
            return Number(p.dataset.lintVersion) > version && p.dataset.state === 'idle'
                && !p.querySelector("li.nb2prod-finding[data-code='NB701']");
        }""",
        arg=[_lab.PANEL_ID, version],
        timeout=20_000,
    )

    # What the CLI says of the notebook as edited (a copy beside it, for the same configuration).
    book = nbformat.reads(saved.decode(), as_version=4)
    book.cells[3].source = "offset = 1.0\n" + book.cells[3].source
    nbformat.write(book, lab.root / "edit-expected.ipynb")
    expected = cli_lint(lab.root / "edit-expected.ipynb")
    assert panel_pairs(page) == pairs(expected["findings"])
    after = _lab.panel_score(page)
    assert after == round(expected["score"]["total"]) and after > before
    assert "nb2prod-cell-error" not in (_lab.cells(page).nth(3).get_attribute("class") or "")
    # Nothing was saved: the panel linted the page's notebook, not the file.
    assert path.read_bytes() == saved
    assert page.locator(".lm-DockPanel .lm-TabBar-tab.jp-mod-current.jp-mod-dirty").count() == 1


def test_a_tag_set_in_the_panel_is_saved_in_the_notebook(lab: _lab.LabServer, page: Any) -> None:
    path = lab.root / "tags.ipynb"
    open_with_panel(page, lab, "tags.ipynb", len(STUDY))
    # Make cell 5 (the predict function) the active cell, as a user does: click its prompt.
    _lab.cells(page).nth(4).locator(".jp-InputPrompt").click()
    wait_active_cell(page, 4)
    # The Cell tab: one click away, and it names the active cell.
    _lab.show_tab(page, "cell")
    section = page.locator(f"{_lab.PANEL} .nb2prod-tags-section")
    section.locator(".nb2prod-section-note[data-cell='5']").wait_for()
    assert page.locator(f"{_lab.PANEL} .nb2prod-tab[data-tab='cell'] .nb2prod-tab-note").inner_text() == "5"
    assert not page.locator(f"{_lab.PANEL} .nb2prod-findings-section").is_visible()

    # The control offers exactly the vocabulary the server defines, in its order.
    _, vocabulary = lab.api("GET", "nb2prod/tags")
    names = [t["name"] for t in vocabulary["tags"]]
    select = section.locator("select.nb2prod-tag-select")
    offered = select.locator("option").evaluate_all("os => os.map(o => o.value).filter(Boolean)")
    assert offered == names

    select.select_option("predict")
    section.locator(".nb2prod-tag-chip[data-tag='predict']").wait_for()
    assert "predict" not in select.locator("option").evaluate_all("os => os.map(o => o.value)")

    # Save with the keyboard, from the notebook.
    _lab.cells(page).nth(4).locator(".jp-InputPrompt").click()
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 20
    while True:
        cell = nbformat.read(path, as_version=4).cells[4]
        if cell.metadata.get("tags") == ["predict"]:
            break
        assert time.monotonic() < deadline, f"cell 5 on disk has metadata {dict(cell.metadata)}"
        time.sleep(0.2)
    assert cell.id == "cell-5" and cell.source.startswith("def predict(")
    other_tags = [c.metadata.get("tags") for i, c in enumerate(nbformat.read(path, as_version=4).cells) if i != 4]
    assert not any(other_tags)


def wait_build_end(page: Any, phases: tuple[str, ...] = ("succeeded", "failed"), timeout_ms: float = 90_000) -> None:
    """Wait for the panel's build phase to be one of ``phases``; a failed build fails the test."""
    page.wait_for_function(
        "([id, phases]) => phases.includes(document.getElementById(id).dataset.buildPhase)",
        arg=[_lab.PANEL_ID, [*phases, "failed"]],
        timeout=timeout_ms,
    )
    error = page.locator(f"{_lab.PANEL} .nb2prod-build-error")
    assert not error.count(), f"build failed: {error.inner_text()}"


def build_stages(section: Any) -> dict[str, str]:
    """The status of each stage row of the Build tab."""
    rows = section.locator("li.nb2prod-build-stage")
    return dict(rows.evaluate_all("els => els.map(e => [e.dataset.stage, e.dataset.status])"))


def test_build_from_the_palette_and_the_panel(lab: _lab.LabServer, page: Any, tmp_path: Path) -> None:
    open_with_panel(page, lab, "doubler/doubler.ipynb", len(DOUBLER))
    assert _lab.panel_codes(page) == []
    assert _lab.panel_tab(page) == "findings"
    started = time.monotonic()

    # The palette command brings the panel's Build tab forward, its stages in view at once.
    _lab.run_command(page, "nb2prod: Build service")
    page.wait_for_function(
        "id => document.getElementById(id).dataset.buildPhase !== 'idle'", arg=_lab.PANEL_ID, timeout=10_000
    )
    assert _lab.panel_tab(page) == "build"
    section = page.locator(f"{_lab.PANEL} .nb2prod-build-section")
    section.locator("li.nb2prod-build-stage").first.wait_for(state="visible", timeout=5_000)
    assert in_view(page, f"{_lab.PANEL} li.nb2prod-build-stage[data-stage='verify']")
    wait_build_end(page)
    assert page.locator(_lab.PANEL).get_attribute("data-build-phase") == "succeeded"
    result = section.locator(".nb2prod-build-result")
    assert result.get_attribute("data-output") == "doubler/doubler-service"
    assert in_view(page, f"{_lab.PANEL} .nb2prod-build-result")
    assert build_stages(section) == {
        "lint": "done",
        "analyse": "done",
        "execute": "done",
        "capture": "done",
        "render": "done",
        "verify": "skipped",
    }
    badge = page.locator(f"{_lab.PANEL} .nb2prod-tab[data-tab='build'] .nb2prod-tab-badge")
    assert badge.get_attribute("data-badge") == "ok"
    project = lab.root / "doubler" / "doubler-service"
    assert (project / "pyproject.toml").is_file()
    assert (project / "doubler_service").is_dir()
    save_screenshot(page, tmp_path, BUILD_SCREENSHOT_COPY)

    # Again from the Build button: the folder is not empty now, Replace builds over it.
    marker = project / "left-over.txt"
    marker.write_text("from the first build\n", encoding="utf-8")
    section.locator("button.nb2prod-build-button").click()
    wait_build_end(page, ("conflict",))
    assert page.locator(_lab.PANEL).get_attribute("data-build-phase") == "conflict"
    section.locator(".nb2prod-build-conflict").wait_for()
    section.locator("button.nb2prod-build-replace").click()
    page.wait_for_function(
        "id => document.getElementById(id).dataset.buildPhase !== 'conflict'", arg=_lab.PANEL_ID, timeout=10_000
    )
    wait_build_end(page)
    assert page.locator(_lab.PANEL).get_attribute("data-build-phase") == "succeeded"
    assert (project / "pyproject.toml").is_file() and not marker.exists()
    assert time.monotonic() - started < 150


def test_a_build_stopped_by_the_lint_gate_can_build_anyway(lab: _lab.LabServer, page: Any) -> None:
    open_with_panel(page, lab, "noisy/noisy.ipynb", len(NOISY))
    assert "NB102" in _lab.panel_codes(page)
    _lab.show_tab(page, "build")
    section = page.locator(f"{_lab.PANEL} .nb2prod-build-section")
    # The lint shows an error: the tab warns of the gate and offers to skip it.
    assert "will stop the build at its lint stage" in section.locator(".nb2prod-build-gate").inner_text()
    anyway = section.locator("button.nb2prod-build-anyway")
    assert anyway.inner_text() == "Build anyway (skip the lint gate)"

    section.locator("button.nb2prod-build-button").click()
    page.wait_for_function(
        "id => document.getElementById(id).dataset.buildPhase === 'failed'", arg=_lab.PANEL_ID, timeout=60_000
    )
    error = section.locator(".nb2prod-build-error").inner_text()
    assert error.startswith("lint found 1 error(s) that block the build"), error
    assert build_stages(section)["lint"] == "failed"
    assert anyway.is_visible()
    assert not (lab.root / "noisy" / "noisy-service").exists()

    anyway.click()
    page.wait_for_function(
        "id => document.getElementById(id).dataset.buildPhase !== 'failed'", arg=_lab.PANEL_ID, timeout=10_000
    )
    wait_build_end(page)
    assert page.locator(_lab.PANEL).get_attribute("data-build-phase") == "succeeded"
    assert section.locator(".nb2prod-build-result").get_attribute("data-output") == "noisy/noisy-service"
    assert build_stages(section)["lint"] == "done"
    assert (lab.root / "noisy" / "noisy-service" / "pyproject.toml").is_file()


def test_collapsed_families_stay_collapsed_after_a_reload(lab: _lab.LabServer, page: Any) -> None:
    open_with_panel(page, lab, "layout.ipynb", len(STUDY))
    families = page.locator(f"{_lab.PANEL} .nb2prod-families")
    assert families.get_attribute("data-collapsed") == "false"
    n_families = page.locator(f"{_lab.PANEL} .nb2prod-family").count()
    assert n_families >= 7
    tabbar_before = page.locator(f"{_lab.PANEL} .nb2prod-tabbar").bounding_box()
    page.locator(f"{_lab.PANEL} .nb2prod-families-toggle").click()
    assert families.get_attribute("data-collapsed") == "true"
    assert page.locator(f"{_lab.PANEL} .nb2prod-family").count() == 0
    assert "below full marks" in families.inner_text()
    # The tab bar moved up by the height of the rows.
    assert page.locator(f"{_lab.PANEL} .nb2prod-tabbar").bounding_box()["y"] < tabbar_before["y"] - 60

    # JupyterLab keeps the state in the workspace, on the server: wait until it is saved there.
    deadline = time.monotonic() + 20
    while True:
        _, workspace = lab.api("GET", "lab/api/workspaces/layout")
        saved = ((workspace or {}).get("data") or {}).get("nb2prod:plugin:panel-view")
        if saved == {"familiesCollapsed": True}:
            break
        assert time.monotonic() < deadline, f"the workspace holds {saved!r}"
        time.sleep(0.2)
    page.reload(wait_until="domcontentloaded")
    page.locator(_lab.PANEL).wait_for(state="visible", timeout=60_000)
    _lab.wait_for_lint(page, after=0)
    page.wait_for_function(
        "id => document.querySelector('#' + id + ' .nb2prod-families')?.dataset.collapsed === 'true'",
        arg=_lab.PANEL_ID,
        timeout=10_000,
    )
    # Expanding again is remembered the same way.
    page.locator(f"{_lab.PANEL} .nb2prod-families-toggle").click()
    assert page.locator(f"{_lab.PANEL} .nb2prod-family").count() == n_families


def test_each_edit_of_a_100_cell_notebook_reaches_the_panel_once_after_the_debounce(
    lab: _lab.LabServer, page: Any
) -> None:
    """The measured step of ``benchmarks/panel_latency.py`` on a few edits (the benchmark
    reports the figures; here a generous bound, so a loaded machine does not fail it)."""
    import panel_latency

    n_cells = 100
    panel_latency.generate(lab.root / "forecast.ipynb", n_cells)
    notebook = json.loads((lab.root / "forecast.ipynb").read_text(encoding="utf-8"))
    _, expected = lab.api("POST", "nb2prod/lint", {"path": "forecast.ipynb", "notebook": notebook})
    debounce = float(lab.setting(_lab.PLUGIN_ID, "debounceMs"))
    assert debounce == 500  # the schema's default: no setting of the user's leaks into the test server

    open_with_panel(page, lab, "forecast.ipynb", n_cells)
    assert panel_pairs(page) == pairs(expected["findings"])
    runs = panel_latency.time_edits(page, n_cells, edits=3)
    assert [r["cell"] for r in runs] == [2, 51, 100]
    for run in runs:
        assert run["requests"] == 1, run  # one keystroke, one lint request, after the debounce
        assert run["request_start_ms"] >= debounce, run
        assert debounce <= run["painted_ms"] < debounce + 3000, run
        assert run["server_ms"] is not None, run


def cell_source(page: Any, index: int) -> str:
    """The source of cell ``index`` (0-based) as the live notebook model has it."""
    return page.evaluate(
        """i => {
            const el = document.querySelectorAll(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')[i];
            return Array.from(el.querySelectorAll('.cm-line')).map(l => l.textContent).join('\\n');
        }""",
        index,
    )


def wait_codes(page: Any, present: set[str], absent: set[str], after: int, timeout_ms: float = 20_000) -> int:
    """Wait for a lint newer than ``after`` that lists ``present`` and none of ``absent``."""
    page.wait_for_function(
        """([id, after, present, absent]) => {
            const p = document.getElementById(id);
            if (Number(p.dataset.lintVersion) <= after || p.dataset.state !== 'idle') return false;
            const codes = Array.from(p.querySelectorAll('li.nb2prod-finding')).map(e => e.dataset.code);
            return present.every(c => codes.includes(c)) && !absent.some(c => codes.includes(c));
        }""",
        arg=[_lab.PANEL_ID, after, sorted(present), sorted(absent)],
        timeout=timeout_ms,
    )
    return _lab.lint_version(page)


def test_fix_one_finding_undo_it_then_fix_all_safe_and_save(lab: _lab.LabServer, page: Any, tmp_path: Path) -> None:
    path = lab.root / "fixing" / "fix.ipynb"
    requirements = path.parent / "requirements.txt"
    saved = path.read_bytes()
    expected = cli_lint(path)
    fixes = {f["code"]: f["fix"] for f in expected["findings"]}
    assert {c for c, fix in fixes.items() if fix and fix["applicability"] == "safe"} == SAFE_FIXED
    version = open_with_panel(page, lab, "fixing/fix.ipynb", len(FIXABLE))
    assert panel_pairs(page) == pairs(expected["findings"])
    original = cell_source(page, 1)
    assert original == "import random\nimport numpy as np"
    # Only fixable findings have a Fix button; the header offers the safe ones at once.
    rows = page.locator(f"{_lab.PANEL} li.nb2prod-finding")
    with_button = rows.filter(has=page.locator("button.nb2prod-fix-button"))
    assert sorted(with_button.evaluate_all("els => els.map(e => e.dataset.code)")) == sorted(
        c for c, fix in fixes.items() if fix
    )
    fix_all = page.locator(f"{_lab.PANEL} button.nb2prod-fix-all")
    assert fix_all.inner_text().strip() == f"Fix all safe ({len(SAFE_FIXED)})"

    # Fix on NB102: the seed goes in right after the import, the finding goes away, unsaved.
    page.locator(f"{_lab.PANEL} li.nb2prod-finding[data-code='NB102'] button.nb2prod-fix-button").click()
    version = wait_codes(page, {"NB101"}, {"NB102"}, version)
    assert cell_source(page, 1) == "import random\nimport numpy as np\nnp.random.seed(0)"
    assert cell_source(page, 2) == "noise = np.random.rand(10)\npick = random.random()"
    note = page.locator(f"{_lab.PANEL} .nb2prod-fix-note")
    assert note.inner_text().startswith("Fixed NB102") and note.get_attribute("data-error") == "false"
    assert path.read_bytes() == saved  # the live model changed, not the file
    assert page.locator(".lm-DockPanel .lm-TabBar-tab.jp-mod-current.jp-mod-dirty").count() == 1
    save_screenshot(page, tmp_path, FIX_SCREENSHOT_COPY)

    # Ctrl+Z in the fixed cell takes the fix back, in one step (the fix changed one cell:
    # it is a step of that cell's undo history, as typing there would be).
    _lab.cells(page).nth(1).locator(".cm-content").click()
    page.keyboard.press("Control+z")
    page.wait_for_function(
        "([i, text]) => !document.querySelectorAll("
        "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')[i].innerText.includes(text)",
        arg=[1, "np.random.seed(0)"],
        timeout=10_000,
    )
    assert cell_source(page, 1) == original
    version = wait_codes(page, {"NB101", "NB102"}, set(), version)
    assert panel_pairs(page) == pairs(expected["findings"])

    # Fix all safe: both generators seeded, the empty cell deleted, requirements.txt
    # written beside the notebook (the one file the server writes), the notebook unsaved.
    fix_all.click()
    version = wait_codes(page, set(), SAFE_FIXED, version)
    assert _lab.cells(page).count() == len(FIXABLE) - 1
    source = cell_source(page, 1)
    assert "random.seed(0)" in source and "np.random.seed(0)" in source
    assert note.inner_text().startswith("Fixed ")
    assert path.read_bytes() == saved
    assert requirements.read_text(encoding="utf-8").startswith("numpy==")
    # A fix of several cells is one step of the notebook's undo: Z in command mode.
    _lab.cells(page).nth(0).locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")
    page.keyboard.press("z")
    page.wait_for_function(
        "n => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell').length === n",
        arg=len(FIXABLE),
        timeout=10_000,
    )
    assert cell_source(page, 1) == original
    version = wait_codes(page, {"NB101", "NB102", "NB703"}, {"NB203"}, version)

    # Again, and save: the file on disk lints as fixed.
    fix_all.click()
    version = wait_codes(page, set(), SAFE_FIXED, version)
    _lab.cells(page).nth(1).locator(".jp-InputPrompt").click()
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 20
    while path.read_bytes() == saved:
        assert time.monotonic() < deadline, "the notebook was not saved"
        time.sleep(0.2)
    time.sleep(0.5)
    after = cli_lint(path)
    codes = {f["code"] for f in after["findings"]}
    assert not codes & SAFE_FIXED, codes
    assert panel_pairs(page) == pairs(after["findings"])
    assert after["score"]["total"] > expected["score"]["total"]
