"""The linter's shortcuts around packaging give packaging's answers.

``deps.canonical`` is PEP 503 normalisation without importing packaging.utils, and
``deps.simple_requirement`` parses common requirement lines without importing packaging's
requirement parser. Wherever the shortcut answers, packaging must agree: same validity,
same name, same pins.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nb2prod import deps

packaging_requirements = pytest.importorskip("packaging.requirements")
packaging_utils = pytest.importorskip("packaging.utils")

ROOT = Path(__file__).resolve().parent.parent


def _packaging(text: str) -> tuple[str, bool] | None:
    try:
        req = packaging_requirements.Requirement(text)
    except packaging_requirements.InvalidRequirement:
        return None
    return deps.canonical(req.name), deps._pinned(req)


def _check(text: str) -> bool:
    simple = deps.simple_requirement(text)
    if simple is None:
        return False
    assert _packaging(text) == (deps.canonical(simple[0]), simple[1]), text
    return True


NAMES = st.from_regex(r"\A[A-Za-z0-9]([A-Za-z0-9._-]{0,12}[A-Za-z0-9])?\Z") | st.sampled_from(
    ["numpy", "scikit-learn", "Scikit_Learn", "zope.interface", "a", "a-", "-a", "a..b", "9", "x_y-z.W"])
VERSIONS = st.from_regex(r"\A[0-9]{1,3}(\.[0-9]{1,3}){0,3}((a|b|rc|c|alpha|beta|pre)[0-9]{0,2})?(\.?post[0-9]{0,2})?"
                         r"(\.?dev[0-9]{0,2})?(\.\*)?(\+[a-z0-9.]{1,5})?\Z") | st.sampled_from(
    ["1", "1.0", "1.*", "1.0.*", "01.2", "1.0a1", "1.0.post1.dev2", "v1.0", "1.0-1", "1.0_post1", "*", "", "abc"])
OPS = st.sampled_from(["==", "===", "!=", "<=", ">=", "<", ">", "~=", "=", "=>", "<>", "~"])
SPACE = st.sampled_from(["", " ", "  ", "\t"])


@st.composite
def requirement_lines(draw: st.DrawFn) -> str:
    text = draw(SPACE) + draw(NAMES) + draw(SPACE)
    if draw(st.booleans()):
        extras = draw(st.lists(NAMES, min_size=0, max_size=3))
        text += "[" + draw(st.sampled_from([",", ", ", " ,"])).join(extras) + "]" + draw(SPACE)
    specs = draw(st.lists(st.tuples(OPS, SPACE, VERSIONS), max_size=3))
    text += draw(st.sampled_from([",", ", ", " , "])).join(op + sp + v for op, sp, v in specs)
    if draw(st.integers(0, 9)) == 0:
        text += draw(st.sampled_from([" ; python_version < '3.12'", "; os_name == 'nt'", " @ https://x.org/a.whl", ",",
                                      " #x", "(>=1.0)"]))
    return text + draw(SPACE)


@settings(max_examples=800, derandomize=True, deadline=None)
@given(requirement_lines())
def test_simple_requirement_agrees_with_packaging(text: str) -> None:
    _check(text)


@given(st.text(st.sampled_from("aAzZ09-_.~"), min_size=1, max_size=20))
@settings(max_examples=500, derandomize=True, deadline=None)
def test_canonical_is_pep503(name: str) -> None:
    assert deps.canonical(name) == packaging_utils.canonicalize_name(name)


def test_common_lines_take_the_shortcut() -> None:
    lines = ["pandas", "numpy==1.26.4", "scikit-learn>=1.3,<2", "uvicorn[standard]~=0.29", "torch == 2.1.0",
             "tensorflow>=2.12.0rc1", "black==23.*", "six!=1.0.*", "Django>=4.2.post1,!=4.2.3", "mlflow===2.9.2"]
    for line in lines:
        assert _check(line), line
    assert deps.simple_requirement("numpy==1.26.4")[1] is True
    assert deps.simple_requirement("black==23.*")[1] is False
    assert deps.simple_requirement("pandas>=1.5")[1] is False
    # Markers, URLs and odd specifiers are packaging's to parse.
    for line in ["pandas; python_version<'3.12'", "pkg @ https://x.org/pkg.whl", "pkg (>=1.0)", "pkg>=1.0.*",
                 "pkg~=1", "pkg==1.0+local", "pkg>=v1"]:
        assert deps.simple_requirement(line) is None, line


def _requirement_lines_on_disk() -> list[str]:
    roots = [ROOT / "examples", ROOT / "tests", ROOT / "benchmarks" / "precision", ROOT.parent / "shared" / "corpus"]
    lines: list[str] = []
    for root in roots:
        if not root.is_dir():
            continue
        for path in root.rglob("*requirements*.txt"):
            for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
                raw = raw.split("#", 1)[0].strip()
                if raw and not raw.startswith("-"):
                    lines.append(raw)
    return lines


def test_requirement_files_in_the_repository_and_corpus() -> None:
    lines = _requirement_lines_on_disk()
    taken = sum(_check(line) for line in lines)
    assert lines and taken  # the shortcut is used on real files, and agreed with packaging on each
