"""`nb2prod lint --fix --unsafe-fixes` over a copy of the real-notebook corpus (issue 14):
no crash, every written notebook valid nbformat, a second fix changes nothing. The same
run as `benchmarks/fix_corpus.py`, whose figures are in benchmarks/README.md."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}"),
]


def _benchmark():
    spec = importlib.util.spec_from_file_location("fix_corpus", ROOT / "benchmarks" / "fix_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_fixing_the_corpus_keeps_every_notebook_valid_and_a_second_fix_changes_nothing(tmp_path, capsys, unsafe):
    args = [str(CORPUS), "--keep", str(tmp_path), "--json", str(tmp_path / "figures.json")] + (["--unsafe"] * unsafe)
    code = _benchmark().main(args)
    out = capsys.readouterr().out
    assert code == 0, out
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert not figures["problems"]
    assert figures["states"].get("crashed", 0) == 0
    assert sum(figures["fixed"].values()) > 100  # the fixes do something on real notebooks
    assert sum(figures["after"].values()) < sum(figures["before"].values())
