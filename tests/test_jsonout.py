"""nb2prod.jsonout.dumps is json.dumps(indent=2, ensure_ascii=False), byte for byte."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from nb2prod.jsonout import dumps

_scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text()
            | st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 10**40, "\u2028", "\ud800", "\x00\x1f\"\\/"]))
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=40,
)


@settings(max_examples=800, deadline=None)
@given(_values, st.sampled_from([1, 2, 4]))
def test_same_text_as_json(value: Any, indent: int) -> None:
    assert dumps(value, indent) == json.dumps(value, indent=indent, ensure_ascii=False)


def test_what_it_does_not_encode_itself_is_json_dumps_s() -> None:
    for value in [{1: "a", None: 2, False: 3, 2.5: 4}, [{"k": {(1): [1]}}], [[[[[]]]]] * 3]:
        assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)
    deep: list[Any] = []
    node = deep
    for _ in range(900):
        node.append([])
        node = node[0]
    assert dumps(deep) == json.dumps(deep, indent=2, ensure_ascii=False)
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    for bad in (cyclic, {"x": object()}, {"x": {1, 2}}):
        try:
            json.dumps(bad, indent=2)
        except (TypeError, ValueError) as exc:
            expected: type[Exception] = type(exc)
        try:
            dumps(bad)
        except expected:
            continue
        raise AssertionError(f"no {expected.__name__} for {bad!r}")
