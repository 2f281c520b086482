"""AST helpers shared by the parser, the analysis and the rules."""

from __future__ import annotations

import ast
from collections.abc import Iterator

__all__ = ["iter_nodes"]


def iter_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``tree`` (depth first), like ``ast.walk`` but about twice as fast:
    no generator per node, and the ``Load``/``Store`` context singletons are skipped."""
    stack: list[ast.AST] = [tree]
    pop, push, AST = stack.pop, stack.append, ast.AST
    while stack:
        node = pop()
        yield node
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif name != "ctx" and isinstance(value, AST):
                push(value)
