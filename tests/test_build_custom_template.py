"""`--template`: any cookiecutter template that honours the documented context keys."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from nb2prod.converter import BuildError, BuildOptions, Event, build
from nb2prod.converter.pipeline import default_template
from nb2prod.converter.records import LOCK_FILE, FileRef, Lock, LockedArtifact, NotebookRef, read_lock, write_lock

pytestmark = [pytest.mark.slow, pytest.mark.kernel]  # the tests run builds, in a kernel
META = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
        "language_info": {"name": "python", "version": "3.11"}}


def _notebook(tmp_path: Path) -> Path:
    book = v4.new_notebook(metadata=META)
    book.cells = [
        v4.new_markdown_cell("# Doubler\nMultiplies by a learned factor."),
        v4.new_code_cell("factor = float('2.0')"),
        v4.new_code_cell("def predict(x: float, label: str = 'n') -> float:\n    return factor * x",
                         metadata={"tags": ["predict"]}),
        v4.new_code_cell("example = {'x': 1.5}", metadata={"tags": ["example"]}),
    ]
    path = tmp_path / "doubler.ipynb"
    nbformat.write(book, path)
    return path


def _template(tmp_path: Path, package_folder: bool = True) -> Path:
    """A minimal template: declares the contract's keys, renders a little of them."""
    keys = json.loads((default_template() / "cookiecutter.json").read_text())
    root = tmp_path / "tpl"
    project = root / "{{cookiecutter.project_name}}"
    inner = project / "{{cookiecutter.package_name}}" if package_folder else project / "src"
    inner.mkdir(parents=True)
    (root / "cookiecutter.json").write_text(json.dumps(keys))
    (inner / "contract.json").write_text(
        '{"fields": {{ cookiecutter._fields | jsonify }}, "examples": {{ cookiecutter._examples | jsonify }},'
        ' "artifacts": {{ cookiecutter._artifacts | jsonify }}, "title": "{{ cookiecutter.title }}"}'
    )
    (project / "model.py").write_text("{{ cookiecutter._model_code }}\n")
    return root


def test_a_custom_template_gets_the_documented_context(tmp_path: Path) -> None:
    out = tmp_path / "svc"
    result = build(BuildOptions(_notebook(tmp_path), out, template=str(_template(tmp_path)), gate=False))
    contract = json.loads((out / "svc" / "contract.json").read_text())
    assert contract["title"] == "Doubler"
    assert [f["name"] for f in contract["fields"]] == ["x", "label"]
    assert contract["fields"][1] == {"name": "label", "annotation": "str", "required": False, "default": "n",
                                     "default_repr": "'n'"}
    assert contract["examples"] == [{"input": {"x": 1.5}, "output": 3.0}]
    assert [a["name"] for a in contract["artifacts"]] == ["factor"]
    # the build copies the artifacts into <package>/artifacts/ of whatever was rendered
    assert (out / "svc" / "artifacts" / contract["artifacts"][0]["file"]).is_file()
    assert "# --- notebook cell 3 (predict) ---" in (out / "model.py").read_text()
    assert result.package_name == "svc"


def test_a_template_without_the_package_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "svc"
    events: list[Event] = []
    with pytest.raises(BuildError, match="rendered no folder named 'svc'"):
        template = str(_template(tmp_path, package_folder=False))
        build(BuildOptions(_notebook(tmp_path), out, template=template, gate=False), events.append)
    assert not out.exists()
    assert (events[-1].stage, events[-1].status) == ("render", "failed")  # the stage ends, as every other one
    assert "rendered no folder named 'svc'" in events[-1].message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doubler.ipynb", "tpl"]


def test_a_missing_template_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="template"):
        build(BuildOptions(_notebook(tmp_path), tmp_path / "svc", template=str(tmp_path / "nope"), gate=False))
    assert not (tmp_path / "svc").exists()


# --- the lock: one record, one serialiser, written by the build whatever the template ---


def _a_lock(profile: FileRef | None) -> Lock:
    return Lock(
        nb2prod_version="0.1.0", built_at="2024-05-01T12:00:00+00:00", notebook=NotebookRef("nb.ipynb", "ab" * 32),
        python="3.11.7", parameters={"C": 0.5, "label": "ü"}, seeds=[{"call": "np.random.seed", "value": 3, "cell": 2}],
        lint_score=None,
        artifacts=[LockedArtifact("model", "model.joblib", "joblib", "cd" * 32, "sklearn.pipeline.Pipeline", [],
                                  1234, 4)],
        packages={"numpy": "2.0.0"}, requirements=["numpy==2.0.0"], examples=1, profile=profile,
    )


@pytest.mark.parametrize("profile", [FileRef("profile.json", "ef" * 32), None])
def test_the_lock_round_trips_through_its_serialiser(tmp_path: Path, profile: FileRef | None) -> None:
    lock = _a_lock(profile)
    text = lock.to_json()
    assert Lock.from_json(text) == lock
    assert text.endswith("}\n") and json.loads(text) == lock.to_dict()
    assert list(json.loads(text)) == sorted(json.loads(text))  # sorted keys: a stable file
    assert ("profile" in json.loads(text)) is (profile is not None)
    assert read_lock(write_lock(tmp_path / LOCK_FILE, lock)) == lock
    assert (tmp_path / LOCK_FILE).read_text(encoding="utf-8") == text


def test_the_build_writes_its_lock_over_whatever_the_template_rendered(tmp_path: Path) -> None:
    template = _template(tmp_path)
    package = template / "{{cookiecutter.project_name}}" / "{{cookiecutter.package_name}}"
    (package / LOCK_FILE).write_text('{"a lock": "of the template\'s own"}')
    (package / "context-lock.json").write_text("{{ cookiecutter._lock | jsonify }}")
    out = tmp_path / "svc"
    build(BuildOptions(_notebook(tmp_path), out, template=str(template), gate=False))
    written = (out / "svc" / LOCK_FILE).read_text(encoding="utf-8")
    lock = Lock.from_json(written)
    assert lock.to_json() == written
    # the template's `_lock` is the same record: the file is its serialisation
    assert Lock.from_dict(json.loads((out / "svc" / "context-lock.json").read_text())).to_json() == written
    assert [(a.name, a.cell) for a in lock.artifacts] == [("factor", 2)]  # 1-based, as lint reports cells
    assert lock.notebook.name == "doubler.ipynb" and lock.examples == 1 and lock.profile is None
