"""The ahead-of-time schema validators (nb2prod._nbschema, written by tools/gen_nbschema.py)
against fastjsonschema compiling the same schema parts at run time."""

from __future__ import annotations

import copy
import importlib.util
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nb2prod._nbschema import validator
from nb2prod._nbschema.index import FASTJSONSCHEMA_VERSION, PARTS

fastjsonschema = pytest.importorskip("fastjsonschema")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
_spec = importlib.util.spec_from_file_location("gen_nbschema", ROOT / "tools" / "gen_nbschema.py")
assert _spec and _spec.loader
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

_runtime: dict[tuple[int, str], Any] = {}


def _message(validate: Any, value: Any) -> str | None:
    try:
        validate(value)
    except Exception as exc:
        return f"{type(exc).__name__.replace('JsonSchema', '')}: {getattr(exc, 'message', exc)}"
    return None


def _both(minor: int, part: str, value: Any) -> tuple[str | None, str | None]:
    key = (minor, part)
    if key not in _runtime:
        _runtime[key] = fastjsonschema.compile(gen.schema_part(gen.load_schema(minor), part))
    return _message(validator(minor, part), value), _message(_runtime[key], value)


def test_every_minor_and_part_has_a_validator() -> None:
    assert sorted(PARTS) == list(gen.MINORS)
    for minor in gen.MINORS:
        assert tuple(PARTS[minor]) == gen.PARTS
        for part in gen.PARTS:
            assert callable(validator(minor, part))


def test_generated_code_imports_no_fastjsonschema() -> None:
    code = ("import sys; from nb2prod._nbschema import validator; "
            "[validator(m, p) for m in range(6) for p in ('notebook', 'code_cell', 'stream')]; "
            "print(sorted(m for m in sys.modules if m.startswith('fastjsonschema')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


@pytest.mark.skipif(fastjsonschema.VERSION != FASTJSONSCHEMA_VERSION,
                    reason=f"generated with fastjsonschema {FASTJSONSCHEMA_VERSION}, "
                           f"{fastjsonschema.VERSION} installed (the equivalence tests still run)")
def test_generated_files_are_up_to_date() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_nbschema.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr + "run: python tools/gen_nbschema.py"


def _parts(nb: dict[str, Any]) -> list[tuple[str, Any]]:
    """The values nb2prod.notebook validates, as it splits them."""
    top = dict(nb)
    cells = top.get("cells")
    top["cells"] = []
    found: list[tuple[str, Any]] = [("notebook", top)]
    for cell in cells if isinstance(cells, list) else []:
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        if kind not in ("code", "markdown", "raw"):
            continue
        outputs = cell.get("outputs") if kind == "code" else None
        found.append((f"{kind}_cell", {**cell, "outputs": []} if isinstance(outputs, list) else cell))
        for out in outputs if isinstance(outputs, list) else []:
            otype = out.get("output_type") if isinstance(out, dict) else None
            if otype in ("execute_result", "display_data", "stream", "error"):
                found.append((otype, out))
    return found


_ODD_VALUES: list[Any] = [None, True, 0, -1, 1.5, "", "x", [], ["x"], {}, {"x": 1}, [1, None]]


def _mutate(value: Any, rng: random.Random) -> Any:
    """``value`` with one random change somewhere inside: a key dropped, added or retyped."""
    value = copy.deepcopy(value)
    node = value
    for _ in range(rng.randint(0, 3)):
        if isinstance(node, dict):
            children = list(node.items())
        else:
            children = list(enumerate(node)) if isinstance(node, list) else []
        children = [(k, v) for k, v in children if isinstance(v, (dict, list))]
        if not children:
            break
        node = rng.choice(children)[1]
    if isinstance(node, dict):
        roll = rng.random()
        if node and roll < 0.35:
            node.pop(rng.choice(list(node)))
        elif roll < 0.5:
            node[rng.choice(["extra", "id", "metadata", "execution_count", "name", "text"])] = rng.choice(_ODD_VALUES)
        elif node:
            node[rng.choice(list(node))] = rng.choice(_ODD_VALUES)
    elif isinstance(node, list):
        if node and rng.random() < 0.5:
            node[rng.randrange(len(node))] = rng.choice(_ODD_VALUES)
        else:
            node.append(rng.choice(_ODD_VALUES))
    return value


def _notebooks() -> list[Path]:
    paths = sorted((ROOT / "examples").rglob("*.ipynb")) + sorted((ROOT / "tests" / "fixtures").rglob("*.ipynb"))
    if CORPUS.is_dir():
        paths += sorted(CORPUS.rglob("*.ipynb"))
    return paths


def test_same_messages_as_fastjsonschema_on_real_and_mutated_notebooks() -> None:
    rng = random.Random(15)
    compared = failing = 0
    for path in _notebooks():
        try:
            nb = json.loads(path.read_bytes())
        except ValueError:
            continue
        if not isinstance(nb, dict) or nb.get("nbformat") != 4:
            continue
        minor = nb.get("nbformat_minor")
        minor = min(max(minor, 0), 5) if isinstance(minor, int) else 4
        for part, value in _parts(nb):
            for candidate in [value] + [_mutate(value, rng) for _ in range(3)]:
                ours, theirs = _both(minor, part, candidate)
                assert ours == theirs, (path, minor, part, candidate)
                compared += 1
                failing += ours is not None
    assert compared > 1000 and failing > 100, (compared, failing)


@pytest.mark.parametrize("minor", list(range(6)))
def test_same_messages_for_every_part_of_every_minor(minor: int) -> None:
    rng = random.Random(minor)
    base: dict[str, Any] = {
        "notebook": {"nbformat": 4, "nbformat_minor": minor, "metadata": {}, "cells": []},
        "code_cell": {"cell_type": "code", "id": "abc", "metadata": {}, "source": "x", "outputs": [],
                      "execution_count": 1},
        "markdown_cell": {"cell_type": "markdown", "id": "abc", "metadata": {}, "source": ["# t"]},
        "raw_cell": {"cell_type": "raw", "id": "abc", "metadata": {"format": "text/plain"}, "source": ""},
        "execute_result": {"output_type": "execute_result", "execution_count": 2, "data": {"text/plain": "1"},
                           "metadata": {}},
        "display_data": {"output_type": "display_data", "data": {"image/png": "aGk="}, "metadata": {}},
        "stream": {"output_type": "stream", "name": "stdout", "text": ["a\n"]},
        "error": {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["t"]},
    }
    for part, value in base.items():
        for candidate in [value] + [_mutate(value, rng) for _ in range(60)]:
            ours, theirs = _both(minor, part, candidate)
            assert ours == theirs, (minor, part, candidate)
