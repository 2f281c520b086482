"""Rule documentation is complete: every docstring has the ruff-style sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from nb2prod.diagnostics import FAMILIES
from nb2prod.rules import DOC_SECTIONS, REGISTRY

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.parametrize("code", list(REGISTRY))
def test_rule_docstring_has_every_section(code: str) -> None:
    rule = REGISTRY[code]
    sections = rule.doc_sections()
    assert list(sections) == list(DOC_SECTIONS), f"{code}: sections must be exactly {DOC_SECTIONS}"
    assert all(sections[s].strip() for s in DOC_SECTIONS), f"{code}: empty section"
    assert "```" in sections["Example"] and "```" in sections["Use instead"]
    assert rule.summary and not rule.summary.endswith(".")


def test_readme_documents_every_family_and_format() -> None:
    text = README.read_text(encoding="utf-8")
    for fam in FAMILIES:
        assert f"{fam.prefix}xx" in text, fam.prefix
    for fmt in ("text", "json", "sarif", "github", "junit"):
        assert f"`{fmt}`" in text
    for word in ("per-file-ignores", "extend-select", "# noqa", "nb2prod:ignore", "--fail-on"):
        assert word in text
