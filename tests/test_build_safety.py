"""The build never loses what a user owns, and refuses what cannot work before running."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from nb2prod.converter import BuildError, BuildOptions, build
from nb2prod.converter.pipeline import project_names

pytestmark = [pytest.mark.slow, pytest.mark.kernel]  # the tests run builds, in a kernel
META = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
        "language_info": {"name": "python", "version": "3.11"}}


def _notebook(folder: Path, *extra: tuple[str, list[str]]) -> Path:
    book = v4.new_notebook(metadata=META)
    book.cells = [
        v4.new_markdown_cell("# Doubler"),
        v4.new_code_cell("factor = 2.0"),
        v4.new_code_cell("def predict(x: float) -> float:\n    return factor * x", metadata={"tags": ["predict"]}),
        v4.new_code_cell("example = {'x': 1.5}", metadata={"tags": ["example"]}),
        *[v4.new_code_cell(src, metadata={"tags": tags}) for src, tags in extra],
    ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "train.ipynb"
    nbformat.write(book, path)
    return path


def test_force_never_replaces_the_folder_holding_the_notebook(tmp_path: Path) -> None:
    nb = _notebook(tmp_path / "proj")
    (tmp_path / "proj" / "data.csv").write_text("important")
    with pytest.raises(BuildError, match="holds the notebook itself"):
        build(BuildOptions(nb, tmp_path / "proj", force=True, gate=False))
    with pytest.raises(BuildError, match="holds the notebook itself"):
        build(BuildOptions(nb, tmp_path, force=True, gate=False))
    assert (tmp_path / "proj" / "data.csv").read_text() == "important"
    assert nb.is_file()


def test_force_never_replaces_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = _notebook(tmp_path / "nbs")
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("mine")
    monkeypatch.chdir(work)
    with pytest.raises(BuildError, match="current folder"):
        build(BuildOptions(nb, Path("."), force=True, gate=False))
    assert (work / "keep.txt").read_text() == "mine"


def test_a_missing_local_template_fails_before_the_notebook_runs(tmp_path: Path) -> None:
    nb = _notebook(tmp_path)
    events = []
    with pytest.raises(BuildError, match="no cookiecutter.json"):
        build(BuildOptions(nb, tmp_path / "svc", template=str(tmp_path / "nope"), gate=False), events.append)
    assert "execute" not in {e.stage for e in events}


def test_force_replaces_a_previous_build_completely(tmp_path: Path) -> None:
    nb = _notebook(tmp_path)
    out = tmp_path / "svc"
    build(BuildOptions(nb, out, gate=False))
    (out / "stale.txt").write_text("from before")
    build(BuildOptions(nb, out, force=True, gate=False))
    assert not (out / "stale.txt").exists()
    assert (out / "svc" / "model.py").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["svc", "train.ipynb"]


def test_notebook_only_tests_are_reported(tmp_path: Path) -> None:
    nb = _notebook(tmp_path, ("score = 0.97", []), ("assert score > 0.9", ["test"]),
                   ("assert predict(**example) == 3.0", ["test"]))
    result = build(BuildOptions(nb, tmp_path / "svc", gate=False))
    assert result.plan.notebook_only_tests == {6: ["score"]}
    tests = (tmp_path / "svc" / "tests" / "test_notebook.py").read_text()
    assert "predict(**example) == 3.0" in tests and "score > 0.9" not in tests


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("iris-service", ("iris-service", "iris_service")),
        ("Ürün-Servis", ("urun-servis", "urun_servis")),
        ("2024 model", ("service-2024-model", "service_2024_model")),
        ("pandas", ("pandas-service", "pandas_service")),
        ("json", ("json-service", "json_service")),
    ],
)
def test_project_names(folder: str, expected: tuple[str, str]) -> None:
    assert project_names(Path(os.sep, "tmp", folder)) == expected
