"""AST helpers shared by the parser, the analysis and the rules."""

from __future__ import annotations

import ast
from collections.abc import Iterator

__all__ = ["iter_nodes", "walk", "walk_parents"]


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


def walk(tree: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``tree`` in the order ``ast.walk`` gives them (breadth first, fields in
    order), without the ``Load``/``Store``/``Del`` context singletons, and about twice as
    fast: for rules whose result depends on the order (the last binding of a name wins).
    tests/test_ast_walk.py compares it with ``ast.walk``."""
    todo: list[ast.AST] = [tree]
    push, AST = todo.append, ast.AST
    i = 0
    while i < len(todo):
        node = todo[i]
        i += 1
        yield node
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif name != "ctx" and isinstance(value, AST):
                push(value)


def walk_parents(tree: ast.AST, parent: dict[int, ast.AST]) -> list[ast.AST]:
    """The nodes of :func:`walk`, as a list, recording each node's parent in ``parent``
    (``id(child) -> node``, as ``ast.iter_child_nodes`` pairs them)."""
    todo: list[ast.AST] = [tree]
    push, AST = todo.append, ast.AST
    i = 0
    while i < len(todo):
        node = todo[i]
        i += 1
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        parent[id(item)] = node
                        push(item)
            elif name != "ctx" and isinstance(value, AST):
                parent[id(value)] = node
                push(value)
    return todo
