"""MODEL_CARD.md: metrics from the build's run, git lineage, the owner, and a real build of the iris example."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat import v4

from nb2prod.cli import main
from nb2prod.config import Settings
from nb2prod.converter.errors import BuildError
from nb2prod.converter.execute import execution_notebook
from nb2prod.converter.model_card import (
    NO_REFERENCE,
    cell_text,
    collect_metrics,
    git_lineage,
    metric_cells,
    model_card,
    parse_metrics,
    resolve_owner,
    summarize_metrics,
)
from nb2prod.converter.pipeline import _train_code
from nb2prod.converter.plan import Field, make_plan
from nb2prod.converter.records import Lock, ModelCard, NotebookRef
from nb2prod.engine import lint_notebook
from nb2prod.notebook import read_notebook

pytestmark = [pytest.mark.slow, pytest.mark.kernel]  # builds the iris example and notebooks, in a kernel
ROOT = Path(__file__).resolve().parent.parent
IRIS = ROOT / "examples" / "iris" / "train.ipynb"
META = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
        "language_info": {"name": "python", "version": "3.11"}}
HAS_GIT = shutil.which("git") is not None
needs_git = pytest.mark.skipif(not HAS_GIT, reason="git is not installed")


def write(tmp_path: Path, *cells: Any, name: str = "train.ipynb") -> Path:
    """A notebook from cells: a str is Markdown, a (source, metadata) pair is code."""
    book = v4.new_notebook(metadata=META)
    for cell in cells:
        if isinstance(cell, str):
            book.cells.append(v4.new_markdown_cell(cell))
        else:
            source, metadata = cell
            book.cells.append(v4.new_code_cell(source, metadata=metadata))
    path = tmp_path / name
    nbformat.write(book, path)
    return path


PREDICT = ("def predict(x: float) -> float:\n    return model * x", {"tags": ["predict"]})


# --- metrics ------------------------------------------------------------------------------


def test_metric_lines_are_parsed_as_printed() -> None:
    text = (
        "Fitting 5 folds...\n"
        "accuracy: 0.973\n"
        "f1 = 0.95\n"
        "Test accuracy: 97.3%\n"
        "loss: 0.25, val_loss: 0.31\n"
        "\x1b[32mroc auc: 0.991\x1b[0m\n"
        "r2 = -1.5e-3\n"
        "rows: 1,000\n"  # a thousands separator is not a number here
        "epoch 3/10\n"
        "time: 12:30\n"
        "score: nan\n"
        "3 = 3\n"
        "progress: 10%\rprogress: 100%\n"
    )
    assert parse_metrics(text) == [
        ("accuracy", 0.973, "0.973"),
        ("f1", 0.95, "0.95"),
        ("Test accuracy", 97.3, "97.3%"),
        ("loss", 0.25, "0.25"),
        ("val_loss", 0.31, "0.31"),
        ("roc auc", 0.991, "0.991"),
        ("r2", -0.0015, "-1.5e-3"),
        ("progress", 100.0, "100%"),
    ]


def test_results_repeated_names_and_raw_text() -> None:
    why = "tagged `metrics`"
    report = summarize_metrics([
        {"cell": 4, "reason": why, "pieces": [("stream", "loss: 0.9\nloss: 0.5\nloss: 0.2\n")]},
        {"cell": 6, "reason": why, "pieces": [("result", "{'precision': 0.8, 'label': 'x', 'ok': True}")]},
        {"cell": 7, "reason": why, "pieces": [("result", "0.9736842105263158")], "expression": "accuracy"},
        {"cell": 8, "reason": why, "pieces": [("result", "0.5")]},  # no name to give it
        {"cell": 9, "reason": why, "pieces": [("stream", "x" * 5000)]},
    ])
    values = {m["name"]: m for m in report["values"]}
    assert list(values) == ["loss", "precision", "accuracy"]
    assert values["loss"]["value"] == 0.2 and values["loss"]["times"] == 3 and values["loss"]["cell"] == 4
    assert values["precision"]["value"] == 0.8
    assert values["accuracy"]["printed"] == "0.9736842105263158" and values["accuracy"]["cell"] == 7
    assert report["outputs"][0]["text"] == "loss: 0.9\nloss: 0.5\nloss: 0.2"
    assert len(report["outputs"][4]["text"]) == 4000 and report["outputs"][4]["left_out"] == 1000


def test_which_cells_report_metrics(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "# Title",
        ("model = 2.0", {}),
        ("print('a: 1')", {"tags": ["metrics"]}),  # 3
        ("# nb2prod: metrics\nprint('b: 2')", {}),  # 4
        ("print('c: 3')", {"name": "Metrics"}),  # 5
        "## Evaluation\n\nHow good is it?",
        ("print('d: 4')", {}),  # 7
        ("print('e: 5')", {"tags": ["skip"]}),  # 8: never runs
        "Details\n-------",
        ("print('f: 6')", {}),  # 10: the nearest heading is "Details"
        "Metrics\n=======",
        ("print('g: 7')", {}),  # 12
        "```\n# Metrics in a code block are no heading\n```",
        ("print('h: 8')", {}),  # 14: still under the setext heading "Metrics"
        "## Serving",
        PREDICT,
    )
    cells = metric_cells(read_notebook(path))
    assert cells == {
        3: "tagged `metrics`",
        4: "tagged `metrics`",
        5: "named `metrics` in its metadata",
        7: "under the heading “Evaluation”",
        12: "under the heading “Metrics”",
        14: "under the heading “Metrics”",
    }


def test_metrics_come_from_the_builds_run_not_the_saved_outputs(tmp_path: Path) -> None:
    metrics = ("print(f'score: {score}')\nscore", {"tags": ["metrics"]})
    path = write(tmp_path, "# Model", ("model = 2.0\nscore = 0.5", {}), metrics, PREDICT)
    saved = nbformat.read(path, as_version=4)
    saved.cells[2].outputs = [v4.new_output("stream", name="stdout", text="score: 0.1\n")]  # stale, from an old run
    nbformat.write(saved, path)
    plan = make_plan(read_notebook(path))
    book, origin = execution_notebook(plan, tmp_path / "capture")
    ran = book.cells[origin.index(3)]
    ran.outputs = [
        v4.new_output("stream", name="stdout", text="score: "),
        v4.new_output("stream", name="stdout", text="0.5\n"),
        v4.new_output("stream", name="stderr", text="warning: 7: 7\n"),
        v4.new_output("execute_result", data={"text/plain": "0.5"}, execution_count=2),
    ]
    assert cell_text(ran.outputs) == [("stream", "score: 0.5\n"), ("result", "0.5")]
    report = collect_metrics(plan.nb, book, origin)
    assert [(m["name"], m["printed"], m["times"]) for m in report["values"]] == [("score", "0.5", 2)]
    assert report["outputs"] == [{"cell": 3, "reason": "tagged `metrics`", "text": "score: 0.5\n0.5", "left_out": 0}]


def test_metrics_tag_is_training_code_and_in_the_vocabulary(tmp_path: Path) -> None:
    path = write(tmp_path, "# Model", ("model = 2.0", {}), ("# nb2prod: metrics\nprint('m: 1')", {}),
                 ("print('n: 2')", {"tags": ["nb2prod:metrics"]}), ("print('o: 3')", {"tags": ["metrics", "skip"]}),
                 PREDICT)
    nb = read_notebook(path)
    plan = make_plan(nb)
    train = _train_code(plan)
    assert "print('m: 1')" in train and "print('n: 2')" in train and "print('o: 3')" not in train
    findings = lint_notebook(nb, Settings()).findings
    assert not [f for f in findings if f.code == "NB707"], findings
    assert [(f.code, f.cell) for f in findings if f.code == "NB711"] == [("NB711", 5)]
    assert main(["tags", "--format", "json"]) == 0


# --- lineage and owner --------------------------------------------------------------------


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No global or system git configuration, and no repository above tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, text=True).stdout.strip()


@needs_git
def test_git_lineage_commit_dirty_and_untracked(git_env: Path) -> None:
    repo = git_env / "repo"
    (repo / "notebooks").mkdir(parents=True)
    nb = write(repo / "notebooks", "# Model", PREDICT)
    (repo / "data.csv").write_text("x\n1\n")
    git(repo, "init", "-q")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.com", "add", ".")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "first")
    head = git(repo, "rev-parse", "HEAD")
    index = (repo / ".git" / "index").read_bytes()

    assert git_lineage(nb) == {"commit": head, "dirty": False, "notebook": "committed", "note": ""}
    (repo / "data.csv").write_text("x\n2\n")
    assert git_lineage(nb) == {"commit": head, "dirty": True, "notebook": "committed", "note": ""}
    nb.write_text(nb.read_text() + " ")
    assert git_lineage(nb)["notebook"] == "modified"
    other = write(repo / "notebooks", "# Other", PREDICT, name="new.ipynb")
    assert git_lineage(other) == {"commit": head, "dirty": True, "notebook": "untracked", "note": ""}
    assert (repo / ".git" / "index").read_bytes() == index, "the lineage must not write git's index"


@needs_git
def test_git_lineage_outside_a_repository_and_without_commits(git_env: Path) -> None:
    nb = write(git_env, "# Model", PREDICT)
    assert git_lineage(nb) == {"commit": None, "dirty": None, "notebook": None, "note": "not in a git repository"}
    (git_env / "fresh").mkdir()
    git(git_env / "fresh", "init", "-q")
    fresh = write(git_env / "fresh", "# Model", PREDICT)
    assert git_lineage(fresh)["note"] == "in a git repository without commits"


def test_git_lineage_without_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert git_lineage(write(tmp_path, "# Model", PREDICT))["note"] == "git is not installed"
    assert resolve_owner(None, tmp_path) == {"name": "unknown", "source": "no `-p owner` and no git user configured"}


@needs_git
def test_owner_precedence(git_env: Path) -> None:
    folder = git_env / "project"
    folder.mkdir()
    assert resolve_owner(None, folder)["name"] == "unknown"
    git(folder, "config", "--global", "user.email", "someone@example.com")
    assert resolve_owner(None, folder) == {"name": "someone@example.com", "source": "git config"}
    git(folder, "init", "-q")
    git(folder, "config", "user.name", "Repo  Owner")
    assert resolve_owner(None, folder) == {"name": "Repo Owner <someone@example.com>", "source": "git config"}
    assert resolve_owner("Jane Doe", folder) == {"name": "Jane Doe", "source": "`-p owner`"}
    assert resolve_owner("   ", folder)["source"] == "git config"


def test_owner_is_a_build_parameter_not_a_notebook_one(tmp_path: Path) -> None:
    no_parameters = read_notebook(write(tmp_path, "# Model", ("model = 2.0", {}), PREDICT, name="a.ipynb"))
    plan = make_plan(no_parameters, {"owner": "Jane Doe"})
    assert plan.owner == "Jane Doe" and plan.parameters == {}
    book, _ = execution_notebook(plan, tmp_path)
    assert not any("owner" in c.source for c in book.cells[:-1])

    with_parameters = read_notebook(write(tmp_path, "# Model", ("alpha = 1.0", {"tags": ["parameters"]}),
                                          ("model = alpha", {}), PREDICT, name="b.ipynb"))
    plan = make_plan(with_parameters, {"owner": "Jane Doe", "alpha": 2.0})
    assert plan.owner == "Jane Doe" and plan.parameters == {"alpha": 2.0}
    with pytest.raises(BuildError, match="assigns no `beta`"):
        make_plan(with_parameters, {"owner": "Jane Doe", "beta": 2.0})
    with pytest.raises(BuildError, match=re.escape("-p owner=...: give the owner's name")):
        make_plan(with_parameters, {"owner": "  "})

    own = read_notebook(write(tmp_path, "# Model", ("owner = 'team'", {"tags": ["parameters"]}),
                              ("model = 2.0", {}), PREDICT, name="c.ipynb"))
    plan = make_plan(own, {"owner": "Jane Doe"})
    assert plan.owner == "Jane Doe" and plan.parameters == {"owner": "Jane Doe"}  # the notebook's own parameter too


# --- the card data ------------------------------------------------------------------------


def lock(**changes: Any) -> Lock:
    parts: dict[str, Any] = {
        "nb2prod_version": "9.9.9", "built_at": "2024-05-01T12:00:00+00:00",
        "notebook": NotebookRef("nb.ipynb", "ab" * 32), "python": "3.11.7", "parameters": {"seed": 3},
        "seeds": [{"call": "np.random.seed", "value": "seed", "cell": 2}], "lint_score": None, "artifacts": [],
        "packages": {"numpy": "2.0.0", "pandas": "2.2.0"}, "requirements": ["numpy==2.0.0", "fastapi>=0.110"],
        "examples": 0,
    }
    parts.update(changes)
    return Lock(**parts)


def card_record(**changes: Any) -> ModelCard:
    parts: dict[str, Any] = {
        "title": "Costs in {{ region }}",
        "description": "",
        "purpose": "",
        "fields": [Field("n", "int | None", required=False, default=None, default_repr="None"),
                   Field("tag", "Any", required=True)],
        "return_annotation": "float",
        "examples": [],
        "lock": lock(),
        "profile": None,
        "metrics": {"values": [], "outputs": [], "cells": []},
        "owner": {"name": "unknown", "source": "no `-p owner` and no git user configured"},
        "git": {"commit": None, "note": "not in a git repository"},
    }
    parts.update(changes)
    return model_card(**parts)


def card(**changes: Any) -> dict[str, Any]:
    """The card as the template sees it (context key ``_model_card``)."""
    return card_record(**changes).to_dict()


def test_card_data_is_markdown_ready() -> None:
    data = card(imported=["numpy", "pandas"])
    assert data["title"] == "Costs in {{ region }}"
    assert data["inputs"][0] == {"name": "`n`", "type": "`int \\| None`", "required": "no", "default": "`None`",
                                 "seen": ""}
    assert data["training_data"]["note"] == NO_REFERENCE
    assert data["lineage"]["revision"] == "not in a git repository"
    assert data["lineage"]["seeds"] == [{"call": "`np.random.seed`", "value": "`seed` = `3`", "cell": "2"}]
    assert [p["name"] for p in data["versions"]["packages"]] == ["`numpy`", "`fastapi`", "`pandas`"]
    assert "the notebook has no metrics cell" in data["metrics_note"]
    assert any("`tag` has no type annotation" in item for item in data["limitations"])


def test_card_reads_the_typed_lock() -> None:
    """Versions and lineage come from the Lock's fields, not from a dict the template also gets."""
    record = card_record(lock=lock(lint_score=87, notebook=NotebookRef("train.ipynb", ""), python="3.12.1",
                                   packages={"numpy": "2.0.0", "pandas": "2.2.0", "scipy": "1.13.0"}))
    assert isinstance(record, ModelCard)
    assert record.lineage["lint_score"] == "87/100"
    assert record.lineage["notebook"] == "`train.ipynb`"
    assert record.lineage["sha256"] == "unknown"  # a notebook without a file has no sha256
    assert record.lineage["built_at"] == "2024-05-01T12:00:00+00:00"
    assert record.lineage["parameters"] == [{"name": "`seed`", "value": "`3`"}]
    assert record.versions["python"] == "3.12.1" and record.versions["nb2prod"] == "9.9.9"
    assert record.versions["recorded"] == 3
    assert record.versions["requirements"] == ["numpy==2.0.0", "fastapi>=0.110"]
    roles = {p["name"]: p["role"] for p in record.versions["packages"]}
    assert roles == {"`numpy`": "pinned: the model needs it",
                     "`fastapi`": "the web service (plays no part in the predictions)"}
    assert card(lock=lock(lint_score=None))["lineage"]["lint_score"] == "not measured"
    # to_dict keeps the documented keys, in the documented order
    assert list(record.to_dict()) == ["title", "description", "purpose", "owner", "inputs", "output", "example",
                                      "examples", "training_data", "metrics", "metric_outputs", "metrics_note",
                                      "versions", "lineage", "limitations"]


def test_card_without_seeds_says_so() -> None:
    data = card(lock=lock(seeds=[]))
    assert data["lineage"]["seeds"] == []
    assert any("sets no random seed" in item for item in data["limitations"])


def test_card_reads_the_reference_profile() -> None:
    profile = {
        "rows": 4, "source": "pandas.DataFrame",
        "features": {
            "tag": {"kind": "categorical", "count": 3, "missing": 1, "missing_rate": 0.25, "distinct": 2,
                    "frequencies": {"a|b": 2 / 3, "c": 1 / 3}, "other": 0.0},
            "n": {"kind": "numeric", "count": 4, "missing": 0, "missing_rate": 0.0, "min": 1, "max": 9.5,
                  "mean": 4.25, "std": 3.5},
        },
        "unprofiled": {"extra": "not a column of `reference` (predict has a default for it)"},
    }
    data = card(profile=profile)
    training = data["training_data"]
    assert training["available"] and training["rows"] == "4" and training["source"] == "`pandas.DataFrame`"
    assert training["numeric"] == [{"name": "`n`", "count": "4", "missing": "0%", "min": "1", "max": "9.5",
                                    "mean": "4.25", "std": "3.5"}]
    assert training["categorical"][0]["top"] == "`a\\|b` 66.7%, `c` 33.3%"
    assert training["categorical"][0]["missing"] == "25.0%"
    assert [f["seen"] for f in data["inputs"]] == ["1 to 9.5", "`a\\|b`, `c`"]
    assert any("`n` from 1 to 9.5" in item for item in data["limitations"])


# --- a real build -------------------------------------------------------------------------


def run_training() -> dict[str, Any]:
    """The example's training code run here, without nb2prod: its namespace, and what it printed."""
    book = nbformat.read(IRIS, as_version=4)
    namespace: dict[str, Any] = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for cell in book.cells:
            tags = set(cell.metadata.get("tags", []))
            if cell.cell_type == "code" and not tags & {"predict", "example", "test", "skip"}:
                exec(cell.source, namespace)
    namespace["printed"] = out.getvalue()
    return namespace


@pytest.fixture(scope="module")
def iris_card(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("card") / "iris-service"
    assert main(["build", str(IRIS), "-o", str(out), "-p", "owner=Jane Doe"]) == 0
    return out, (out / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_built_card_of_the_iris_example(iris_card: tuple[Path, str]) -> None:
    out, text = iris_card
    assert "{{" not in text and "{%" not in text
    assert text.startswith("# Model card: Iris species classifier\n")
    for name in ("sepal_length", "sepal_width", "petal_length", "petal_width"):
        assert re.search(rf"^\| `{name}` \| `float` \| yes \|", text, flags=re.MULTILINE), name

    ran = run_training()
    printed = re.fullmatch(r"accuracy: (\d\.\d{3})\n", ran["printed"])
    assert printed, ran["printed"]
    assert f"| accuracy | {printed.group(1)} | 8 |" in text
    assert f"```text\naccuracy: {printed.group(1)}\n```" in text

    sha = hashlib.sha256(IRIS.read_bytes()).hexdigest()
    assert f"| Notebook | `train.ipynb`, sha256 `{sha}` |" in text
    assert "| Owner | Jane Doe (`-p owner`) |" in text
    lock = json.loads((out / "iris_service" / "nb2prod.lock.json").read_text(encoding="utf-8"))
    assert "owner" not in lock["parameters"]
    assert "owner" not in (out / "iris_service" / "train.py").read_text(encoding="utf-8")

    rows = len(ran["X_train"])
    assert f"| `sepal_length` | {rows} | 0% | {ran['X_train'].sepal_length.min():.1f} |" in text

    if HAS_GIT:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=IRIS.parent, capture_output=True, text=True,
                              env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
        if head.returncode == 0:
            assert f"git commit `{head.stdout.strip()}`" in text
        else:
            assert "not in a git repository" in text or "git could not read the repository" in text


def test_notebook_text_reaches_the_card_as_written(tmp_path: Path) -> None:
    from nb2prod.converter.pipeline import BuildOptions, build

    printed = "```\\n{{ not jinja }} {% raw %}\\nloss = 0.5 | acc = 0.75"
    path = write(
        tmp_path,
        "# Costs in {{ region }}\n\nPer {% if %} region.",
        ("model = 2.0", {}),
        "## Evaluation",
        (f"print({printed!r}.replace('\\\\n', chr(10)))", {}),
        "## Serving",
        PREDICT,
        ("example = {'x': 1.5}", {"tags": ["example"]}),
    )
    build(BuildOptions(path, tmp_path / "svc", gate=False, parameters={"owner": "Ops | Team"}))
    text = (tmp_path / "svc" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert text.startswith("# Model card: Costs in {{ region }}\n\nPer {% if %} region.\n")
    assert "| loss | 0.5 | 4 |" in text and "| acc | 0.75 | 4 |" in text
    assert "````text\n```\n{{ not jinja }} {% raw %}\nloss = 0.5 | acc = 0.75\n````" in text
    assert "| Owner | Ops \\| Team (`-p owner`) |" in text
    assert "| `x` | `float` | yes |  |" in text
    assert '"prediction": 3.0' in text
    assert "*no `reference` cell: no training data summary.*" in text
