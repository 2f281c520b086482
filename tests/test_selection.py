"""The select/ignore algorithm, as a table (like flake8's decision-engine tests)."""

from __future__ import annotations

import pytest

from nb2prod.selection import SelectorError, expand, resolve

CODES = ["NB101", "NB102", "NB111", "NB201", "NB301", "NB701", "NB702"]
NAMES = {c: f"rule-{c.lower()}" for c in CODES}


@pytest.mark.parametrize(
    ("select", "ignore", "expected"),
    [
        (["ALL"], [], CODES),
        ([], [], []),
        (["NB1"], [], ["NB101", "NB102", "NB111"]),
        (["NB10"], [], ["NB101", "NB102"]),
        (["NB101"], [], ["NB101"]),
        (["ALL"], ["NB1"], ["NB201", "NB301", "NB701", "NB702"]),
        # longer prefix wins, whichever side it is on
        (["NB1"], ["NB10"], ["NB111"]),
        (["NB101"], ["NB1"], ["NB101"]),
        (["NB10", "NB7"], ["NB1", "NB702"], ["NB101", "NB102", "NB701"]),
        # same specificity: ignore wins
        (["NB101"], ["NB101"], []),
        (["NB1"], ["NB1"], []),
        (["ALL"], ["ALL"], []),
        # ALL is the least specific selector
        (["NB7"], ["ALL"], ["NB701", "NB702"]),
        (["ALL"], ["NB70", "NB7"], CODES[:5]),
        # selectors that match nothing change nothing
        (["NB1", "NB9"], [], ["NB101", "NB102", "NB111"]),
    ],
)
def test_resolve_table(select: list[str], ignore: list[str], expected: list[str]) -> None:
    sel = [expand(s, NAMES) if s != "NB9" else "NB9" for s in select]
    ign = [expand(s, NAMES) for s in ignore]
    assert sorted(resolve(CODES, sel, ign)) == sorted(expected)


@pytest.mark.parametrize(
    ("selector", "prefix"),
    [
        ("ALL", ""),
        ("all", ""),
        ("NB1", "NB1"),
        ("nb10", "NB10"),
        ("NB101", "NB101"),
        ("rule-nb702", "NB702"),
        ("reproducibility", "NB1"),
        ("structure", "NB7"),
    ],
)
def test_expand(selector: str, prefix: str) -> None:
    assert expand(selector, NAMES) == prefix


@pytest.mark.parametrize("selector", ["", "NB9", "NB1011", "E501", "no-such-rule"])
def test_expand_rejects_unknown(selector: str) -> None:
    with pytest.raises(SelectorError):
        expand(selector, NAMES)
