"""nb2prod._ast.walk is ast.walk (same nodes, same order) without the context singletons."""

from __future__ import annotations

import ast
from pathlib import Path as _Path

from nb2prod._ast import iter_nodes, walk, walk_parents

ROOT = _Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def _trees() -> list[ast.AST]:
    sources = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "nb2prod").rglob("*.py"))]
    sources.append("x: int = (y := [a for a in b if a]) or {k: v async for k, v in c}\nmatch p:\n case [1, *r]: pass\n")
    trees = [ast.parse(s) for s in sources]
    if CORPUS.is_dir():
        import json

        for path in sorted(CORPUS.rglob("*.ipynb"))[:80]:
            try:
                cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
            except ValueError:
                continue
            for cell in cells:
                src = cell.get("source", "")
                try:
                    trees.append(ast.parse("".join(src) if isinstance(src, list) else src))
                except (SyntaxError, ValueError):
                    pass
    return trees


def _no_ctx(nodes: list[ast.AST]) -> list[ast.AST]:
    return [n for n in nodes if not isinstance(n, ast.expr_context)]


def test_walk_is_ast_walk_in_order() -> None:
    trees = _trees()
    assert len(trees) > 50
    for tree in trees:
        assert list(walk(tree)) == _no_ctx(list(ast.walk(tree)))
        parent: dict[int, ast.AST] = {}
        assert walk_parents(tree, parent) == list(walk(tree))
        expected = {id(c): n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)
                    if not isinstance(c, ast.expr_context)}
        assert parent == expected
        # iter_nodes: the same nodes, in another order
        assert sorted(map(id, iter_nodes(tree))) == sorted(map(id, walk(tree)))


def test_walk_of_a_subtree() -> None:
    tree = ast.parse("def f(a):\n    return g(a) + 1\n")
    fn = tree.body[0]
    assert [type(n).__name__ for n in walk(fn)] == [type(n).__name__ for n in _no_ctx(list(ast.walk(fn)))]
