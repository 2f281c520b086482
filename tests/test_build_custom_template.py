"""`--template`: any cookiecutter template that honours the documented context keys."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from nb2prod.converter import BuildError, BuildOptions, build
from nb2prod.converter.pipeline import default_template

META = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
        "language_info": {"name": "python", "version": "3.11"}}


def _notebook(tmp_path: Path) -> Path:
    book = v4.new_notebook(metadata=META)
    book.cells = [
        v4.new_markdown_cell("# Doubler\nMultiplies by a learned factor."),
        v4.new_code_cell("factor = 2.0"),
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
    with pytest.raises(BuildError, match="rendered no folder named 'svc'"):
        template = str(_template(tmp_path, package_folder=False))
        build(BuildOptions(_notebook(tmp_path), out, template=template, gate=False))
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doubler.ipynb", "tpl"]


def test_a_missing_template_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="template"):
        build(BuildOptions(_notebook(tmp_path), tmp_path / "svc", template=str(tmp_path / "nope"), gate=False))
    assert not (tmp_path / "svc").exists()
