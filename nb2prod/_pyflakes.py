"""pyflakes, reporting the offending *node* (not just its line) so that findings can be
mapped back to the notebook cell that holds it."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from typing import Any

from pyflakes import checker, messages

_KINDS = {messages.UndefinedName: "undefined", messages.UnusedImport: "unused-import"}


class _NodeChecker(checker.Checker):
    # pyflakes' own map from each node to its parent, which its stubs do not declare.
    _parents: dict[ast.AST, ast.AST]

    def __init__(self, tree: ast.Module, builtins: Iterable[str]) -> None:
        self.found: list[tuple[str, str, ast.AST, ast.AST, bool]] = []
        super().__init__(tree, filename="<notebook>", builtins=set(builtins), withDoctest=False)

    def report(self, messageClass: Any, *args: Any, **kwargs: Any) -> None:
        kind = _KINDS.get(messageClass)
        if kind is None:
            return
        node, name = args[0], args[1]
        in_function = any(isinstance(s, checker.FunctionScope) for s in self.scopeStack)
        # Climb to the top-level statement holding the node: it tells the cell.
        top, parents, root = node, self._parents, self.root
        while True:
            parent = parents.get(top)
            if parent is None or parent is root:
                break
            top = parent
        self.found.append((kind, name, node, top, in_function))


def check(module: ast.Module, builtins: Iterable[str]) -> Iterator[tuple[str, str, ast.AST, ast.AST, bool]]:
    """Yield (kind, name, node, top_level_statement, in_function) for undefined names
    and unused imports."""
    yield from _NodeChecker(module, builtins).found
