"""The lint cache: the same reports as without it, and never a stale one."""

from __future__ import annotations

import builtins
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from pathlib import Path as _Path

import pytest
from _notebooks import code, md, write

from nb2prod.cache import CACHE_DIR_NAME, Cache
from nb2prod.config import Overrides
from nb2prod.engine import RunResult, lint_paths
from nb2prod.formats import FormatContext, render

ROOT = _Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def _reports(run: RunResult, cwd: Path) -> dict[str, str]:
    ctx = FormatContext(cwd=cwd)
    return {fmt: render(fmt, run, ctx) for fmt in ("json", "text", "sarif", "github", "junit")}


def _lint(paths: list[Path], cache: Cache | None, overrides: Overrides = Overrides(), jobs: int = 1) -> RunResult:
    return lint_paths(paths, overrides, jobs=jobs, cache=cache)


def _notebooks() -> list[Path]:
    found = sorted((ROOT / "examples").rglob("*.ipynb"))
    found += sorted((ROOT / "tests" / "rules" / "fixtures").rglob("*.ipynb"))
    if CORPUS.is_dir():
        found += sorted(CORPUS.rglob("*.ipynb"))
    return found


def test_cached_reports_are_the_reports(tmp_path: Path) -> None:
    """Every format, for every example, rule fixture and corpus notebook: the same without the
    cache, on the run that fills it, and on the run that reads it (in one process and with
    --jobs workers writing)."""
    paths = _notebooks()
    run = _lint(paths, None)
    plain = _reports(run, ROOT)
    cache = Cache(tmp_path / "cache")
    assert _reports(_lint(paths, cache, jobs=2), ROOT) == plain
    warm = Cache(tmp_path / "cache")
    assert _reports(_lint(paths, warm), ROOT) == plain
    # Only complete results are kept: a file that cannot be read is read (and reported) again.
    unreadable = sum(1 for nb in run.notebooks if nb.error or nb.internal_errors)
    assert cache.misses == len(paths) and warm.misses == unreadable and warm.hits == len(paths) - unreadable


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True)
    write(root / "nb" / "train.ipynb", md("# Train"),
          code("import pandas as pd\nimport helpers\nfrom sklearn.linear_model import LogisticRegression"),
          code("df = pd.read_csv('../data/train.csv')\nmodel = LogisticRegression().fit(df, df.y)"),
          code("secret = open('/home/alice/token.txt').read()"), ids="c{}")
    return root


def _mutations(root: Path) -> list[tuple[str, object]]:
    nb = root / "nb"
    return [
        ("requirements.txt appears", lambda: (nb / "requirements.txt").write_text("pandas\n")),
        ("requirements.txt pins",
         lambda: (nb / "requirements.txt").write_text("pandas==2.2.2\nscikit-learn==1.5.0\n")),
        ("the project's module appears", lambda: (nb / "helpers.py").write_text("X = 1\n")),
        ("the data file appears",
         lambda: ((root / "data").mkdir(), (root / "data" / "train.csv").write_text("y\n1\n"))),
        ("pyproject ignores a rule",
         lambda: (root / "pyproject.toml").write_text('[tool.nb2prod]\nignore = ["NB5"]\n')),
        ("pyproject selects one family",
         lambda: (root / "pyproject.toml").write_text('[tool.nb2prod]\nselect = ["NB2"]\n')),
        ("pyproject goes", lambda: (root / "pyproject.toml").unlink()),
        ("the module goes", lambda: (nb / "helpers.py").unlink()),
        ("requirements.txt goes", lambda: (nb / "requirements.txt").unlink()),
        ("a folder of requirements appears", lambda: ((nb / "requirements").mkdir(),
                                                     (nb / "requirements" / "base.txt").write_text("pandas\n"))),
        ("the notebook changes",
         lambda: write(nb / "train.ipynb", md("# Train"), code("import numpy as np"), ids="c{}")),
    ]


def test_a_change_the_findings_depend_on_is_never_missed(tmp_path: Path) -> None:
    """After each change to what the rules read (dependency files, the project's modules, a
    data file, the configuration, the notebook), the cached lint equals a fresh one."""
    root = _project(tmp_path)
    notebook = root / "nb" / "train.ipynb"
    cache_dir = tmp_path / "cache"
    _lint([notebook], Cache(cache_dir))
    changed = 0
    before = _reports(_lint([notebook], None), root)["json"]
    for what, mutate in _mutations(root):
        mutate()
        fresh = _reports(_lint([notebook], None), root)["json"]
        cache = Cache(cache_dir)
        assert _reports(_lint([notebook], cache), root)["json"] == fresh, what
        assert cache.misses == 1 or fresh == before, what
        again = Cache(cache_dir)
        assert _reports(_lint([notebook], again), root)["json"] == fresh and again.hits == 1, what
        changed += fresh != before
        before = fresh
    assert changed >= 8  # the test has teeth: most of these changes change the findings


def test_a_folder_that_only_changed_its_mtime_still_hits(tmp_path: Path) -> None:
    root = _project(tmp_path)
    notebook = root / "nb" / "train.ipynb"
    _lint([notebook], Cache(tmp_path / "cache"))
    tmp = root / "nb" / ".~train.ipynb"
    tmp.write_text("x")  # an editor's temporary file, gone again
    tmp.unlink()
    os.utime(root / "nb", None)
    cache = Cache(tmp_path / "cache")
    _lint([notebook], cache)
    assert cache.hits == 1


def test_a_broken_or_foreign_cache_is_a_miss(tmp_path: Path) -> None:
    root = _project(tmp_path)
    notebook = root / "nb" / "train.ipynb"
    fresh = _reports(_lint([notebook], None), root)
    cache = Cache(tmp_path / "cache")
    _lint([notebook], cache)
    [entry] = (tmp_path / "cache").rglob("*.json")
    good = entry.read_text(encoding="utf-8")
    data = json.loads(good)
    hostile = [
        "", "{", "[]", "null", '{"key": "other"}', json.dumps({**data, "deps": "x"}),
        json.dumps({**data, "result": {"findings": [{"code": 1}]}}),
        json.dumps({**data, "result": {**data["result"], "findings": [{"fix": {"edits": [["evil", 1]]}}]}}),
        "\udcff".encode("utf-8", "surrogateescape").decode("latin-1"),
    ]
    for text in hostile:
        entry.write_text(text, encoding="utf-8")
        c = Cache(tmp_path / "cache")
        assert _reports(_lint([notebook], c), root) == fresh, text[:40]
        assert c.misses == 1
    entry.unlink()
    entry.mkdir()  # a folder where the entry should be: neither read nor written
    assert _reports(_lint([notebook], Cache(tmp_path / "cache")), root) == fresh


def test_an_unwritable_cache_is_no_cache(tmp_path: Path) -> None:
    root = _project(tmp_path)
    notebook = root / "nb" / "train.ipynb"
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = Cache(blocker / "cache")
    assert _reports(_lint([notebook], cache), root) == _reports(_lint([notebook], None), root)


def test_tracing_ends_with_the_lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file-system functions are the real ones again after a lint, also one that failed."""
    real = (os.stat, os.lstat, os.scandir, os.listdir, os.open, io.open, builtins.open)
    cache = Cache(tmp_path / "cache")

    def boom() -> None:
        os.stat(tmp_path)
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        cache.lint_file(boom, "k")  # type: ignore[arg-type]
    assert (os.stat, os.lstat, os.scandir, os.listdir, os.open, io.open, builtins.open) == real


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("NB2PROD_CACHE_DIR", "NB2PROD_NO_CACHE")}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "nb2prod", "lint", *args], cwd=cwd, capture_output=True, text=True,
                          env=full, timeout=120)


@pytest.mark.slow  # the CLI in subprocesses
def test_the_command_line_cache(tmp_path: Path) -> None:
    root = _project(tmp_path)
    nb = "nb/train.ipynb"
    first = _cli(nb, "--format", "json", cwd=root)
    cache_dir = root / CACHE_DIR_NAME
    assert cache_dir.is_dir() and (cache_dir / "CACHEDIR.TAG").is_file()
    assert (cache_dir / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    second = _cli(nb, "--format", "json", cwd=root)
    assert (first.returncode, first.stdout) == (second.returncode, second.stdout)
    # --no-cache and NB2PROD_NO_CACHE write nothing; NB2PROD_CACHE_DIR moves it.
    for args, env in ((["--no-cache"], None), ([], {"NB2PROD_NO_CACHE": "1"})):
        other = tmp_path / "other"
        write(other / "x.ipynb", code("import os"))
        (other / ".git").mkdir(exist_ok=True)
        _cli("x.ipynb", *args, cwd=other, env=env)
        assert not (other / CACHE_DIR_NAME).exists()
    moved = tmp_path / "moved"
    _cli("x.ipynb", cwd=tmp_path / "other", env={"NB2PROD_CACHE_DIR": str(moved)})
    assert any(moved.rglob("*.json")) and not (tmp_path / "other" / CACHE_DIR_NAME).exists()
    # After --fix rewrote the notebook, the cached lint is the fresh one.
    _cli(nb, "--fix", "--unsafe-fixes", cwd=root)
    after = _cli(nb, "--format", "json", cwd=root)
    assert after.stdout == _cli(nb, "--format", "json", "--no-cache", cwd=root).stdout != first.stdout
