"""The build as a hostile user tries it (issue 10): symbolic links that alias the output,
``--force`` on folders nb2prod never made, folders that cannot be written, builds that
run at once in one process, secrets in what the build prints, odd file names, and cells
that stop or kill their own process. Each test is the reproduction of a defect, asserting
the outcome a user is owed: their files intact, one clear line, nothing half-written."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from nb2prod.converter import BuildError, BuildOptions, Event, build
from nb2prod.converter.pipeline import LOCK_FILE, built_by_nb2prod
from nb2prod.labserver.jobs import _close_thread_loop as close_thread_loop

pytestmark = [pytest.mark.slow, pytest.mark.kernel]  # most tests run a build, in a kernel
META = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
        "language_info": {"name": "python", "version": "3.11"}}
TOKEN = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5"  # a GitHub token's shape, planted in notebooks


def notebook(path: Path, training: str = "factor = 2.0", predict: str | None = None,
             example: str = "example = {'x': 1.5}") -> Path:
    book = v4.new_notebook(metadata=META)
    book.cells = [
        v4.new_markdown_cell("# Doubler"),
        v4.new_code_cell(training),
        v4.new_code_cell(predict or "def predict(x: float) -> float:\n    return 2.0 * x",
                         metadata={"tags": ["predict"]}),
        v4.new_code_cell(example, metadata={"tags": ["example"]}),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, path)
    return path


def cli(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nb2prod", "build", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "NO_COLOR": "1", **(env or {})})


def error_line(r: subprocess.CompletedProcess[str]) -> str:
    """The run failed with exit 2 and ended on one error line (and no traceback)."""
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stdout + r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("nb2prod: error: "), r.stderr
    return last


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# -- 1. data loss through symbolic links; --force only over a build's own project ----------------


def test_a_symlink_alias_of_the_output_never_deletes_the_notebook(tmp_path: Path) -> None:
    """``nb2prod build link_to_proj/train.ipynb -o proj --force`` with ``link_to_proj -> proj``
    deleted the notebook and every file beside it (exit 0)."""
    notebook(tmp_path / "proj" / "train.ipynb")
    (tmp_path / "proj" / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "link_to_proj").symlink_to("proj", target_is_directory=True)
    before = tree(tmp_path / "proj")
    last = error_line(cli(tmp_path, "link_to_proj/train.ipynb", "-o", "proj", "--force"))
    assert "holds the notebook itself" in last
    last = error_line(cli(tmp_path, "proj/train.ipynb", "-o", "link_to_proj", "--force"))
    assert "holds the notebook itself" in last
    assert tree(tmp_path / "proj") == before
    assert sorted(os.listdir(tmp_path)) == ["link_to_proj", "proj"]  # no staging folder left


def test_a_symlinked_parent_of_the_output_is_resolved_too(tmp_path: Path) -> None:
    nb = notebook(tmp_path / "work" / "proj" / "train.ipynb")
    (tmp_path / "alias").symlink_to("work", target_is_directory=True)
    with pytest.raises(BuildError, match="holds the notebook itself"):
        build(BuildOptions(nb, tmp_path / "alias" / "proj", force=True, gate=False))
    with pytest.raises(BuildError, match="holds the notebook itself"):
        build(BuildOptions(nb, tmp_path / "alias" / "proj" / ".." / "proj", force=True, gate=False))
    assert nb.is_file()


def test_the_current_folder_is_refused_through_a_symlink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = notebook(tmp_path / "nbs" / "train.ipynb")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "keep.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "here").symlink_to("work", target_is_directory=True)
    monkeypatch.chdir(tmp_path / "work")
    with pytest.raises(BuildError, match="current folder"):
        build(BuildOptions(nb, tmp_path / "here", force=True, gate=False))
    assert (tmp_path / "work" / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_force_refuses_a_folder_no_build_made(tmp_path: Path) -> None:
    """Nothing stopped ``-o ~ --force``: a home folder is a non-empty folder like any other."""
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".bashrc").write_text("export X=1", encoding="utf-8")
    # A package-looking folder whose lock is not nb2prod's does not count either.
    (home / "pkg").mkdir()
    (home / "pkg" / LOCK_FILE).write_text('{"something": "else"}', encoding="utf-8")
    nb = notebook(tmp_path / "nbs" / "train.ipynb")
    before = tree(home)
    r = cli(tmp_path, "nbs/train.ipynb", "-o", str(home), "--force")
    last = error_line(r)
    assert "no nb2prod build made it" in last and "--force only replaces a project an earlier build wrote" in last
    assert tree(home) == before
    assert not built_by_nb2prod(home)
    assert nb.is_file()


def test_force_replaces_an_earlier_build_even_from_a_custom_template_without_a_lock(tmp_path: Path) -> None:
    template = tmp_path / "tpl"
    (template / "{{cookiecutter.project_name}}" / "{{cookiecutter.package_name}}").mkdir(parents=True)
    (template / "cookiecutter.json").write_text('{"project_name": "x", "package_name": "x"}', encoding="utf-8")
    (template / "{{cookiecutter.project_name}}" / "{{cookiecutter.package_name}}" / "__init__.py").write_text("")
    nb = notebook(tmp_path / "train.ipynb")
    out = tmp_path / "svc"
    build(BuildOptions(nb, out, template=str(template), gate=False))
    assert built_by_nb2prod(out)  # the build wrote the lock the template did not render
    (out / "stale.txt").write_text("x", encoding="utf-8")
    build(BuildOptions(nb, out, template=str(template), gate=False, force=True))
    assert not (out / "stale.txt").exists()


# -- 7. an output folder that cannot be written ------------------------------------------------


def test_an_output_under_proc_is_one_line(tmp_path: Path) -> None:
    notebook(tmp_path / "train.ipynb")
    last = error_line(cli(tmp_path, "train.ipynb", "-o", "/proc/nb2prod-service"))
    assert "/proc" in last


def test_a_parent_that_cannot_be_written_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root, chmod does not stop writes: the refusal is simulated where the build writes first."""
    nb = notebook(tmp_path / "train.ipynb")

    def refuse(*args: object, **kwargs: object) -> str:
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path))

    monkeypatch.setattr("nb2prod.converter.pipeline.tempfile.mkdtemp", refuse)
    with pytest.raises(BuildError, match=r"^cannot write in .*: Permission denied$"):
        build(BuildOptions(nb, tmp_path / "svc", gate=False))


def test_a_disk_that_fills_up_while_writing_is_one_line_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = notebook(tmp_path / "train.ipynb")
    real_replace = os.replace

    def full(src: object, dst: object) -> None:
        if Path(str(dst)).name == "svc":
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr("nb2prod.converter.pipeline.os.replace", full)
    with pytest.raises(BuildError, match="cannot write the project: .*svc: No space left on device"):
        build(BuildOptions(nb, tmp_path / "svc", gate=False))
    assert sorted(os.listdir(tmp_path)) == ["train.ipynb"]


# -- 8. builds at once in one process ----------------------------------------------------------


def test_rendering_never_changes_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cookiecutter changes the process's cwd while it renders; with builds in threads (the
    Jupyter server) that broke the other builds' relative paths. The render runs elsewhere."""
    nb = notebook(tmp_path / "train.ipynb")

    def no_chdir(path: object) -> None:
        raise AssertionError(f"the build changed the working directory to {path}")

    monkeypatch.setattr(os, "chdir", no_chdir)
    result = build(BuildOptions(nb, tmp_path / "svc", gate=False))
    assert (result.output / result.package_name / "model.py").is_file()


def test_two_builds_at_once_in_one_process_both_succeed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("a", "b"):
        notebook(tmp_path / name / "train.ipynb")
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:  # relative paths, as the bug needed
            build(BuildOptions(Path(name) / "train.ipynb", Path(f"{name}-svc"), gate=False))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            close_thread_loop()  # as the server's build threads do: the kernel client leaves one open

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    for name in ("a", "b"):
        assert (tmp_path / f"{name}-svc" / f"{name}_svc" / "model.py").is_file()


# -- 5. what the build prints is masked ---------------------------------------------------------


def test_a_token_in_a_cells_exception_is_masked(tmp_path: Path) -> None:
    notebook(tmp_path / "train.ipynb", training=(
        "import os\n"
        "token = os.environ['NB2PROD_TEST_TOKEN']\n"
        "raise RuntimeError(f'401 Unauthorized for {token}')"
    ))
    r = cli(tmp_path, "train.ipynb", "-o", "svc", "--no-gate", env={"NB2PROD_TEST_TOKEN": TOKEN})
    last = error_line(r)
    assert "cell 2 raised RuntimeError: 401 Unauthorized for ghp_" in last
    assert TOKEN not in r.stdout + r.stderr
    assert TOKEN[4:12] not in r.stdout + r.stderr


def test_a_token_in_predicts_exception_is_masked_in_events_and_error(tmp_path: Path) -> None:
    nb = notebook(tmp_path / "train.ipynb", training=f"token = {TOKEN!r}  # noqa: NB6", predict=(
        "def predict(x: float) -> float:\n    raise PermissionError('denied for ' + token)"
    ))
    events: list[Event] = []
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(nb, tmp_path / "svc", gate=False), events.append)
    message = str(caught.value)
    assert message.startswith("example 1: predict(**example) raised PermissionError: denied for ghp_")
    shown = " ".join([message, *(e.message for e in events)])
    assert TOKEN not in shown and TOKEN[4:12] not in shown


# -- 10. control characters in names ------------------------------------------------------------


def test_a_newline_in_the_notebooks_name_stays_on_one_line(tmp_path: Path) -> None:
    name = "evil\n::error file=README.md::pwned.ipynb"
    book = v4.new_notebook(metadata=META)
    book.cells = [v4.new_code_cell("x = 1")]  # no predict cell: the build stops with an error naming the file
    nbformat.write(book, tmp_path / name)
    r = cli(tmp_path, name, "-o", "svc", "--no-gate")
    last = error_line(r)
    assert "evil\\n::error file=README.md::pwned.ipynb" in last
    assert not any(line.startswith("::") for line in r.stderr.splitlines() + r.stdout.splitlines())


# -- 11. what a cell or predict did, said as it happened ------------------------------------------


def test_sys_exit_in_a_training_cell(tmp_path: Path) -> None:
    notebook(tmp_path / "train.ipynb", training="import sys\nsys.exit(3)")
    last = error_line(cli(tmp_path, "train.ipynb", "-o", "svc", "--no-gate"))
    assert "cell 2 called sys.exit(3)" in last
    assert sorted(os.listdir(tmp_path)) == ["train.ipynb"]


def test_sys_exit_in_predict_is_not_the_capture_steps(tmp_path: Path) -> None:
    nb = notebook(tmp_path / "train.ipynb", predict="import sys\ndef predict(x: float) -> float:\n    sys.exit(4)")
    with pytest.raises(BuildError, match=r"^example 1: predict\(\*\*example\) called sys.exit\(4\)") as caught:
        build(BuildOptions(nb, tmp_path / "svc", gate=False))
    assert "capture step" not in str(caught.value)


def test_an_answer_that_is_not_json_is_not_a_failed_call(tmp_path: Path) -> None:
    nb = notebook(tmp_path / "train.ipynb", predict="def predict(x: float):\n    return object()")
    with pytest.raises(BuildError, match=r"^example 1: predict\(\*\*example\) returned a value of type `object`, "
                                         r"which cannot be sent as JSON"):
        build(BuildOptions(nb, tmp_path / "svc", gate=False))


def test_an_example_that_is_not_json_is_named_as_such(tmp_path: Path) -> None:
    nb = notebook(tmp_path / "train.ipynb", predict="def predict(x) -> float:\n    return 1.0",
                  example="example = {'x': {1, 2}}")
    with pytest.raises(BuildError, match=r"^example 1: its input cannot be recorded as JSON"):
        build(BuildOptions(nb, tmp_path / "svc", gate=False))


def test_a_cell_that_kills_its_parent_process_does_not_kill_the_build(tmp_path: Path) -> None:
    """``os.kill(os.getppid(), SIGKILL)`` killed nb2prod itself (exit 137, a staging folder
    left behind). The kernel runs under a process of its own, which is what dies."""
    notebook(tmp_path / "train.ipynb", training="import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")
    last = error_line(cli(tmp_path, "train.ipynb", "-o", "svc", "--no-gate"))
    assert "the kernel died while running cell 2" in last
    assert sorted(os.listdir(tmp_path)) == ["train.ipynb"]


# -- 4. what the build reads: only a regular file -------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_the_notebook_must_be_a_regular_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "x.ipynb"
    if kind == "fifo":
        os.mkfifo(path)  # reading it would block forever
    elif kind == "device":
        path.symlink_to("/dev/zero")  # reading it would fill the memory
    else:
        path.mkdir()
    last = error_line(cli(tmp_path, "x.ipynb", "-o", "svc"))
    assert last.startswith("nb2prod: error: x.ipynb: cannot read the notebook: ")
    assert last.count("x.ipynb") == 1
    assert not (tmp_path / "svc").exists()
