"""The report dictionaries built without dataclasses.asdict are asdict's."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from nb2prod.engine import lint_paths

ROOT = Path(__file__).resolve().parents[1]


def test_finding_and_score_dicts_are_asdicts() -> None:
    paths = sorted((ROOT / "examples").rglob("*.ipynb")) + sorted((ROOT / "tests" / "fixtures").glob("*.ipynb"))
    run = lint_paths(paths)
    findings = run.findings
    assert len(findings) > 20
    for f in findings:
        expected = asdict(f)
        expected["severity"] = f.severity.label
        expected.pop("redact")
        got = f.to_dict()
        expected["family"], expected["fix"] = got["family"], got["fix"]
        assert got == expected
        assert list(got) == list(expected)
    for nb in run.notebooks:
        if nb.score is not None:
            assert nb.score.to_dict()["families"] == [asdict(fam) for fam in nb.score.families]
