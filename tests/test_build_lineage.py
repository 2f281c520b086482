"""Data lineage (issue 16): the files a notebook reads while the build runs it, in the lock and
the model card, and what changed since the previous build of the same output folder."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat import v4

from nb2prod.cli import main
from nb2prod.converter import BuildOptions, Event, build
from nb2prod.converter.lineage import (
    Read,
    cell_numbers,
    changed_names,
    data_changes,
    data_files,
    previous_data,
    project_root,
    system_dirs,
)
from nb2prod.converter.records import DataFile, Lock, NotebookRef
from nb2prod.kernel_runner import CELL_RAISED, RAN, RunOptions, Step, run_cells

ROOT = Path(__file__).resolve().parent.parent
META = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
        "language_info": {"name": "python", "version": "3.11"}}

CSV = "sepal,petal,label\n" + "".join(f"{1 + i % 7}.{i % 10},{2 + i % 5}.{i % 3},{'ab'[i % 2]}\n" for i in range(40))

# Cell 1 Markdown; code cells 2.. (the lineage names the cell that opened a file first).
CELLS: list[tuple[str, list[str] | None]] = [
    ("# Lineage\nA classifier trained on a CSV file of the project.", None),
    ("import numpy as np\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression", ["serve"]),
    ("df = pd.read_csv('data/train.csv')", None),
    ("with open('notes.txt') as fh:\n    notes = fh.read()\nweights = np.loadtxt('data/weights.txt')", None),
    ("df.to_csv('scratch.csv', index=False)\nagain = pd.read_csv('scratch.csv')", None),  # an output read back
    ("model = LogisticRegression().fit(df[['sepal', 'petal']] * weights, df['label'])", None),
    ("def predict(sepal: float, petal: float) -> str:\n"
     "    return str(model.predict(pd.DataFrame([[sepal, petal]], columns=['sepal', 'petal']))[0])", ["predict"]),
    ("example = {'sepal': 2.0, 'petal': 3.0}", ["example"]),
]


def project(tmp_path: Path) -> Path:
    """A project folder: the notebook, its data under data/, a note beside the notebook."""
    folder = tmp_path / "proj"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "train.csv").write_text(CSV, encoding="utf-8")
    (folder / "data" / "weights.txt").write_text("1.0 0.5\n", encoding="utf-8")
    (folder / "notes.txt").write_text("trained on the March sample\n", encoding="utf-8")
    book = v4.new_notebook(metadata=META)
    for source, tags in CELLS:
        if tags is None and source.startswith("#"):
            book.cells.append(v4.new_markdown_cell(source))
        else:
            book.cells.append(v4.new_code_cell(source, metadata={"tags": tags or []}))
    nbformat.write(book, folder / "train.ipynb")
    return folder


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lock_of(out: Path) -> dict[str, Any]:
    locks = list(out.glob("*/nb2prod.lock.json"))
    assert len(locks) == 1, locks
    return json.loads(locks[0].read_text(encoding="utf-8"))


def run_build(notebook: Path, out: Path, force: bool = False) -> tuple[Any, list[Event]]:
    events: list[Event] = []
    result = build(BuildOptions(notebook=notebook, output=out, force=force), events.append)
    return result, events


# --- a real build -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any, list[Event]]:
    folder = project(tmp_path_factory.mktemp("lineage"))
    out = folder.parent / "svc"
    result, events = run_build(folder / "train.ipynb", out)
    return folder, out, result, events


@pytest.mark.slow
@pytest.mark.kernel
def test_the_lock_records_each_file_read(built: tuple[Path, Path, Any, list[Event]]) -> None:
    folder, out, result, _ = built
    lock = lock_of(out)
    data = {d["path"]: d for d in lock["data"]}
    assert sorted(data) == ["data/train.csv", "data/weights.txt", "notes.txt"], data
    for name, cell in (("data/train.csv", 3), ("data/weights.txt", 4), ("notes.txt", 4)):
        path = folder / name
        assert data[name] == {"path": name, "bytes": path.stat().st_size, "sha256": sha(path), "cell": cell}
    # scratch.csv: written by the notebook, then read: an output, not data
    assert lock["data_outputs"] == ["scratch.csv"]
    # the notebook itself, the modules it imported, the build's own files: none of them
    assert result.data_changes == []
    assert Lock.from_dict(lock).data == result.lineage.data


@pytest.mark.slow
@pytest.mark.kernel
def test_the_model_card_lists_the_files(built: tuple[Path, Path, Any, list[Event]]) -> None:
    folder, out, _, _ = built
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    training = card.split("## Training data", 1)[1].split("\n## ", 1)[0]
    path = folder / "data" / "train.csv"
    assert f"| `data/train.csv` | {path.stat().st_size} | `{sha(path)}` | 3 |" in training, training
    assert "| `notes.txt` |" in training and "| `data/weights.txt` |" in training
    assert "scratch.csv" in training  # named as an output the notebook read back


@pytest.mark.slow
@pytest.mark.kernel
def test_a_changed_byte_is_reported_on_rebuild(built: tuple[Path, Path, Any, list[Event]]) -> None:
    folder, out, _, _ = built
    before = {d["path"]: d["sha256"] for d in lock_of(out)["data"]}
    # unchanged data: no change line
    result, events = run_build(folder / "train.ipynb", out, force=True)
    assert result.data_changes == []
    assert not [e for e in events if "since the previous build" in e.message]
    # one byte of the CSV changed: one line naming it, with both sha256s
    csv = folder / "data" / "train.csv"
    text = csv.read_bytes()
    csv.write_bytes(text[:-2] + (b"a" if text[-2:-1] == b"b" else b"b") + text[-1:])
    result, events = run_build(folder / "train.ipynb", out, force=True)
    new = sha(csv)
    expected = (f"data changed since the previous build: data/train.csv "
                f"(sha256 {before['data/train.csv'][:12]}.. -> {new[:12]}..)")
    assert result.data_changes == [expected]
    assert [e.message for e in events if e.status == "progress" and "previous build" in e.message] == [expected]
    capture_done = [e for e in events if e.stage == "capture" and e.status == "done"]
    assert "changed since the previous build: data/train.csv" in capture_done[0].message
    assert {d["path"]: d["sha256"] for d in lock_of(out)["data"]}["data/train.csv"] == new


@pytest.mark.slow
@pytest.mark.kernel
def test_the_cli_says_which_file_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = project(tmp_path)
    out = tmp_path / "svc"
    assert main(["build", str(folder / "train.ipynb"), "-o", str(out)]) == 0
    capsys.readouterr()
    (folder / "notes.txt").write_text("trained on the April sample\n", encoding="utf-8")
    assert main(["build", str(folder / "train.ipynb"), "-o", str(out), "--force"]) == 0
    err = capsys.readouterr().err
    assert "changed since the previous build: notes.txt" in err, err
    assert "data/train.csv" not in err


# --- the filtering, without a kernel --------------------------------------------------------


def test_filtering_keeps_data_and_leaves_out_code_tools_and_outputs(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "data").mkdir(parents=True)
    (root / "pkg").mkdir()
    files = {name: root / name for name in ("data/a.csv", "data/b.bin", "out.csv", "pkg/cfg.json", "again.txt")}
    for i, path in enumerate(files.values()):
        path.write_bytes(b"x" * (i + 1))
    prefix = tmp_path / "venv"
    (prefix / "lib" / "site-packages").mkdir(parents=True)
    installed = prefix / "lib" / "site-packages" / "sklearn_data.csv"
    installed.write_text("1,2\n")
    outside = tmp_path / "shared" / "big.parquet"
    outside.parent.mkdir()
    outside.write_bytes(b"PAR1")
    proc = "/proc/self/status"
    reads = [
        Read(str(files["data/a.csv"]), False, 2),
        Read(str(files["data/a.csv"]), False, 3),  # read again later: the first cell is kept
        Read(str(installed), False, 2),  # under the kernel's sys.prefix
        Read(proc, False, 2),
        Read(str(root / "data"), False, 2),  # a folder (os.open of a directory)
        Read(str(files["out.csv"]), True, 3), Read(str(files["out.csv"]), False, 4),  # written, then read
        Read(str(files["again.txt"]), False, 3), Read(str(files["again.txt"]), True, 4),  # read, then rewritten
        Read(str(root / "pkg" / ".." / "pkg" / "cfg.json"), False, 4),  # named with ..
        Read(str(outside), False, 4),
        Read(str(root / "gone.csv"), False, 4),
        Read(str(files["data/b.bin"]), False, 9),  # the capture step's count: not a notebook cell
        Read(str(files["data/b.bin"]), False, None),
    ]
    cells = {2: 3, 3: 5, 4: None}
    found = data_files(reads, root=root, excluded=[prefix, Path("/proc")], cells=cells)
    by_path = {d.path: d for d in found.data}
    assert list(by_path) == ["again.txt", "data/a.csv", "pkg/cfg.json", str(outside)]
    assert by_path["data/a.csv"] == DataFile("data/a.csv", 1, hashlib.sha256(b"x").hexdigest(), 3)
    assert by_path["again.txt"].modified and not by_path["data/a.csv"].modified
    assert by_path["pkg/cfg.json"].cell is None  # a build-added step's count
    assert by_path[str(outside)].outside_project and by_path[str(outside)].sha256 == sha(outside)
    assert found.outputs == ["out.csv"]
    assert found.missing == ["gone.csv"]
    # without cell numbers (a kernel without IPython) every read counts, with no cell
    assert "data/b.bin" in {d.path for d in data_files(reads, root=root, excluded=[prefix]).data}


def test_the_lock_leaves_out_false_flags_and_reads_back(tmp_path: Path) -> None:
    lock = Lock(nb2prod_version="1", built_at="t", notebook=NotebookRef("n.ipynb", "s"), python="3.11",
                parameters={}, seeds=[], lint_score=None, artifacts=[], packages={}, requirements=[], examples=0,
                data=[DataFile("a.csv", 3, "ab", 2), DataFile("/x/b.csv", 1, "cd", None, outside_project=True)])
    data = lock.to_dict()
    assert data["data"] == [{"path": "a.csv", "bytes": 3, "sha256": "ab", "cell": 2},
                            {"path": "/x/b.csv", "bytes": 1, "sha256": "cd", "cell": None, "outside_project": True}]
    assert "data_outputs" not in data
    assert Lock.from_json(lock.to_json()) == lock


def test_cell_numbers_skip_blank_cells() -> None:
    # the setup ran as count 1; nbclient sends no blank cell, so the kernel does not count it
    assert cell_numbers(["a = 1", "  \n", "b = 2", "p = 3"], [2, 3, 4, None], 1) == {2: 2, 3: 4, 4: None}
    assert cell_numbers(["a = 1"], [2], None) is None


def test_changes_against_the_previous_lineage() -> None:
    now = [DataFile("a.csv", 1, "1" * 64, 2), DataFile("new.csv", 1, "2" * 64, 3)]
    before = [{"path": "a.csv", "sha256": "0" * 64}, {"path": "old.csv", "sha256": "3" * 64}]
    assert data_changes(before, now) == [
        f"data changed since the previous build: a.csv (sha256 {'0' * 12}.. -> {'1' * 12}..)",
        f"data file new since the previous build: new.csv (sha256 {'2' * 12}..)",
        "data file no longer read since the previous build: old.csv",
    ]
    assert data_changes(None, now) == []  # no previous build, or one without lineage
    assert data_changes([{"path": "a.csv", "sha256": "1" * 64}], now[:1]) == []


def test_previous_data_reads_the_replaced_lock(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    lock = tmp_path / "pkg" / "nb2prod.lock.json"
    assert previous_data(tmp_path, "pkg") is None
    lock.write_text(json.dumps({"nb2prod_version": "1"}))
    assert previous_data(tmp_path, "pkg") is None  # an older build: no lineage recorded
    lock.write_text(json.dumps({"nb2prod_version": "1", "data": [{"path": "a.csv", "sha256": "x"}, 3]}))
    assert previous_data(tmp_path, "pkg") == [{"path": "a.csv", "sha256": "x"}]
    assert previous_data(tmp_path, "other") == [{"path": "a.csv", "sha256": "x"}]  # renamed package


def test_project_root_and_system_dirs(tmp_path: Path) -> None:
    nb = tmp_path / "repo" / "notebooks" / "train.ipynb"
    assert project_root(nb, tmp_path / "repo") == tmp_path / "repo"
    assert project_root(nb, None) == tmp_path / "repo" / "notebooks"
    assert project_root(nb, tmp_path / "elsewhere") == tmp_path / "repo" / "notebooks"
    dirs = system_dirs({"tool_dirs": [sys.prefix]})
    assert Path(sys.prefix) in dirs and Path("/proc") in dirs and Path("/dev") in dirs
    assert Path(os.path.expanduser("~")) not in dirs  # data in the home folder is data



@pytest.mark.slow
@pytest.mark.kernel
def test_the_runner_runs_setup_steps_unseen(tmp_path: Path) -> None:
    """``run_cells(before=...)``: the build's hook runs first, in the same kernel, outside the
    positions and cells the caller sees, unless it is what stops the run."""
    started: list[tuple[int, str]] = []
    run = run_cells([Step("assert hooked == 1", 2), Step("b = 2", 3)], RunOptions(), kernel="python3", cwd=tmp_path,
                    before=[Step("hooked = 1", label="setup")], on_cell_start=lambda i, s: started.append((i, s.name)))
    assert run.outcome == RAN, run.message
    assert started == [(0, "cell 2"), (1, "cell 3")]
    assert [c.index for c in run.cells] == [2, 3]
    failed = run_cells([Step("a = 1", 2)], RunOptions(), kernel="python3", cwd=tmp_path,
                       before=[Step("1 / 0", label="setup")])
    assert failed.outcome == CELL_RAISED and failed.failed_step == "setup" and failed.failed_cell is None
    assert failed.cells[-1].error is not None and failed.cells[-1].error[0] == "ZeroDivisionError"


def test_many_changes_are_cut_short() -> None:
    now = [DataFile(f"img/{i:04}.png", 1, f"{i:064}", 2) for i in range(120)]
    lines = data_changes([], now, limit=50)
    assert len(lines) == 51 and lines[-1].startswith("data: 70 more file(s) changed, new or no longer read")
    assert changed_names(lines) == "img/0000.png, img/0001.png, img/0002.png, img/0003.png, img/0004.png and more"
    assert changed_names(lines[:2]) == "img/0000.png, img/0001.png"


def test_the_card_lists_at_most_its_rows() -> None:
    from nb2prod.converter.model_card import DATA_ROWS, _data_files

    lock = Lock(nb2prod_version="1", built_at="t", notebook=NotebookRef("n.ipynb", "s"), python="3.11",
                parameters={}, seeds=[], lint_score=None, artifacts=[], packages={}, requirements=[], examples=0,
                data=[DataFile(f"img/{i}.png", 1, "ab", 2) for i in range(DATA_ROWS + 3)]
                + [DataFile("/srv/x|y.csv", 1, "cd", None, outside_project=True, modified=True)],
                data_outputs=["out.csv"])
    found = _data_files(lock)
    assert len(found["files"]) == DATA_ROWS and found["more_files"] == 4
    assert found["files"][0] == {"path": "`img/0.png`", "bytes": "1", "sha256": "ab", "cell": "2", "note": ""}
    assert found["outputs"] == ["`out.csv`"] and found["more_outputs"] == 0
    last = _data_files(Lock(**{**lock.__dict__, "data": lock.data[-1:]}))["files"][0]
    assert last["path"] == "`/srv/x\\|y.csv`" and last["cell"] == ""
    assert last["note"] == ("outside the project; the notebook wrote it after reading it: the sha256 is of the file "
                            "the run left")
