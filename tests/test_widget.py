"""nb2prod.widget: the readiness widget, built without a front end."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets
import pytest
from _notebooks import code, md, write
from IPython.core.interactiveshell import InteractiveShell

import nb2prod.widget as nbw
from nb2prod.engine import lint_file


def write_notebook(path: Path, *sources: str) -> Path:
    """A titled notebook whose code cells ran in order."""
    return write(path, md("# Churn model"), *(code(s, count=i) for i, s in enumerate(sources, start=1)))


MESSY = ("import os\nimport numpy as np", "noise = np.random.rand(10)", "data = open('/Users/alice/data.csv').read()")


def walk(widget: widgets.Widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def html_of(widget: widgets.Widget) -> str:
    return "\n".join(w.value for w in walk(widget) if isinstance(w, widgets.HTML))


def group(widget: nbw.ReadinessWidget, title: str) -> str:
    """The HTML of the findings group whose heading starts with ``title``."""
    for box in widget.findings.children:
        if isinstance(box, widgets.VBox) and title in box.children[0].value:
            return html_of(box)
    raise AssertionError(f"no group {title!r}")


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "churn.ipynb", *MESSY)


def test_the_widget_shows_the_score_families_and_grouped_findings(messy: Path) -> None:
    w = nbw.readiness(messy)
    assert isinstance(w, widgets.VBox)
    expected = lint_file(messy)
    assert w.result is not None and w.result.score == expected.score
    assert w.bar.value == expected.score.total == 80
    assert w.bar.bar_style == "success"
    assert ">80</span>/100" in w.heading.value
    # One row per family: its title, a bar out of its weight, the score.
    assert len(w.families.children) == 7
    repro = w.families.children[0]
    assert repro.children[0].value == "Reproducibility"
    assert (repro.children[1].value, repro.children[1].max) == (10.0, 20)
    assert repro.children[1].bar_style == "warning"
    assert repro.children[2].value == "10/20 · 1 finding"
    # Findings by severity, errors first, each with code, name, cell and message.
    headings = [box.children[0].value for box in w.findings.children]
    assert ["Errors (1)" in headings[0], "Warnings (4)" in headings[1]] == [True, True]
    assert len(headings) == 2
    errors = group(w, "Errors")
    assert "NB102" in errors and "unseeded-numpy-random" in errors and "cell 3:1:9" in errors
    assert "`np.random.rand` draws from numpy&#x27;s global random state" in errors
    warnings_html = group(w, "Warnings")
    for rule in ("NB401", "NB702", "NB203", "NB501"):
        assert rule in warnings_html
        assert rule not in errors
    assert "cell 4:1:14" in warnings_html
    assert "1 error, 4 warnings, 0 info" in w.status.value
    assert w.button.description == "Re-lint" and not w.button.disabled


def test_text_and_html_fallbacks(messy: Path) -> None:
    w = nbw.readiness(str(messy))
    bundle = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    text = bundle["text/plain"]
    assert text.splitlines()[0].startswith(f"nb2prod readiness 80/100 for {messy}")
    assert "  cell 3:1:9: NB102 [error] unseeded-numpy-random: " in text
    assert len(text.splitlines()) == 6
    assert "NB501" in bundle["text/html"] and "Readiness 80/100" in bundle["text/html"]


def test_everything_from_the_notebook_is_escaped(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "<b>bold<i>.ipynb",
                 "data = open('/home/alice/<script>alert(1)</script>.csv').read()")
    w = nbw.readiness(path)
    shown = html_of(w)
    assert "NB501" in shown
    assert "<script>" not in shown and "<b>bold<i>" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "&lt;b&gt;bold&lt;i&gt;.ipynb" in shown
    assert "<script>" not in w._repr_mimebundle_()["text/html"]


def test_relint_picks_up_a_change_of_the_file(messy: Path) -> None:
    w = nbw.readiness(messy)
    assert "NB102" in html_of(w.findings)
    write_notebook(messy, "import numpy as np\nrng = np.random.default_rng(0)", "noise = rng.random(10)",
          "data = open('/Users/alice/data.csv').read()")
    w.button.click()
    assert "NB102" not in html_of(w.findings)
    assert "Errors" not in html_of(w.findings)
    assert w.result is not None and w.bar.value == w.result.score.total > 80
    assert w.button.description == "Re-lint" and not w.button.disabled


def test_a_file_that_breaks_shows_its_error(messy: Path) -> None:
    w = nbw.readiness(messy)
    messy.write_text("{not json", encoding="utf-8")
    w.relint()
    assert "could not lint" in w.heading.value and "churn.ipynb" in w.heading.value
    assert w.families.children == () and w.findings.children == ()
    assert w.bar.layout.visibility == "hidden"
    assert w.text().startswith(f"nb2prod could not lint {messy}: ")
    messy.unlink()
    w.relint()
    assert "could not lint" in w.heading.value


def test_a_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such notebook"):
        nbw.readiness(tmp_path / "nope.ipynb")


@pytest.fixture
def no_frontend(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setattr(InteractiveShell, "_instance", None)


def test_the_current_notebook_from_jupyter_servers_session_variable(
    messy: Path, monkeypatch: pytest.MonkeyPatch, no_frontend
) -> None:
    monkeypatch.setenv("JPY_SESSION_NAME", str(messy))
    w = nbw.readiness()
    assert w.path == messy
    assert "NB102" in html_of(w)
    # A session path relative to the server root: the kernel runs in the notebook's folder.
    monkeypatch.chdir(messy.parent)
    monkeypatch.setenv("JPY_SESSION_NAME", f"projects/{messy.name}")
    assert nbw.current_notebook() == messy.parent / messy.name


def test_the_current_notebook_in_vs_code(messy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         no_frontend) -> None:
    shell = InteractiveShell.instance()
    monkeypatch.setitem(shell.user_ns, "__vsc_ipynb_file__", str(messy))
    other = write_notebook(tmp_path / "other.ipynb", "x = 1")
    monkeypatch.setenv("JPY_SESSION_NAME", str(other))  # VS Code's own answer wins
    assert nbw.current_notebook() == messy


@pytest.mark.parametrize(
    ("session", "message"),
    [
        (None, "cannot tell which notebook this kernel runs"),
        ("console-1.py", "which is not a notebook"),
        ("/nowhere/gone.ipynb", "is not there any more"),
    ],
)
def test_without_a_notebook_to_find_a_path_is_asked_for(monkeypatch: pytest.MonkeyPatch, no_frontend,
                                                        session: str | None, message: str) -> None:
    if session is not None:
        monkeypatch.setenv("JPY_SESSION_NAME", session)
    with pytest.raises(ValueError, match=message) as info:
        nbw.readiness()
    assert "nb2prod.widget.readiness('analysis.ipynb')" in str(info.value)


def test_fix_safe_previews_the_diff_then_writes_the_fixes(messy: Path) -> None:
    w = nbw.readiness(messy)
    saved = messy.read_bytes()
    assert "NB102" in html_of(w.findings)
    assert w.fix_box.layout.display == "none"

    w.fix_button.click()
    # A preview only: nothing written yet, the diff of the seeded import cell shown, escaped.
    assert messy.read_bytes() == saved and not (messy.parent / "requirements.txt").exists()
    assert w.fix_box.layout.display is None and w.apply_button.layout.display is None
    shown = w.fix_diff.value
    assert "churn.ipynb:cell 2" in shown and "+np.random.seed(0)" in shown
    assert "NB102" in shown and "fixed</b>" in shown
    assert w.pending is not None and w.pending.fixed["NB102"] == 1

    w.apply_button.click()
    assert messy.read_bytes() != saved
    after = lint_file(messy)
    assert "NB102" not in {f.code for f in after.findings}
    assert w.result is not None and w.result.score == after.score
    assert "NB102" not in html_of(w.findings)
    assert w.fix_box.layout.display == "none" and w.pending is None
    assert "fixed and written" in w.status.value
    # Fixed twice equals once: nothing left to fix safely.
    w.fix_button.click()
    assert w.pending is None and "Nothing to fix" in w.fix_diff.value
    assert w.apply_button.layout.display == "none"


def test_fix_safe_writes_nothing_when_the_file_changed_after_the_preview(messy: Path) -> None:
    w = nbw.readiness(messy)
    w.fix_button.click()
    assert w.pending is not None
    # The user saved the notebook again meanwhile.
    write_notebook(messy, *MESSY, "extra = 1")
    edited = messy.read_bytes()
    assert w.apply_fixes() is False
    assert messy.read_bytes() == edited
    assert not (messy.parent / "requirements.txt").exists()
    assert "Not written" in w.fix_diff.value and "churn.ipynb" in w.fix_diff.value
    w.cancel_button.click()
    assert w.fix_box.layout.display == "none"
