"""The static rule table (nb2prod.rule_index) that configuration reads without importing the rules."""

from __future__ import annotations

import subprocess
import sys

from nb2prod.rule_index import RULE_NAMES, _generate
from nb2prod.rules import REGISTRY


def test_index_is_the_registry() -> None:
    assert RULE_NAMES == {code: rule.name for code, rule in REGISTRY.items()}
    assert list(RULE_NAMES) == list(REGISTRY)  # code order, as the registry


def test_index_file_is_regenerated_as_is() -> None:
    with open(sys.modules["nb2prod.rule_index"].__file__, encoding="utf-8") as fh:
        assert _generate() == fh.read(), "run: python -m nb2prod.rule_index"


def test_resolving_a_selection_imports_no_rule() -> None:
    code = ("import sys; from pathlib import Path; from nb2prod.config import settings_for, Overrides; "
            "s = settings_for(Path('x.ipynb'), Overrides(select=('NB1', 'unseeded-python-random'))); "
            "assert 'NB101' in s.enabled(None); print(sorted(m for m in sys.modules if m.startswith('nb2prod.rules')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
