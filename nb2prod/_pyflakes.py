"""pyflakes, reporting the offending *node* (not just its line) so that findings can be
mapped back to the notebook cell that holds it.

Nothing is reported on the synthetic statements that stand for what magics bind
(:func:`nb2prod.code.is_synthetic`), and an import in the ``try`` of a ``try: import x /
except ImportError:`` is not unused: it checks that ``x`` is installed."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from typing import Any

from pyflakes import checker, messages

from nb2prod._ast import walk as walk_nodes
from nb2prod.code import is_synthetic

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
        if is_synthetic(top):
            return
        if kind == "unused-import" and self._checks_availability(node):
            return
        self.found.append((kind, name, node, top, in_function))

    def _checks_availability(self, node: ast.AST) -> bool:
        """``node`` is in the body of a ``try`` that handles ImportError (or everything), or
        in such a handler that imports again what the body tried (`except ImportError:
        %pip install x` then `import x`): installing a missing package, not using it."""
        child, parent = node, self._parents.get(node)
        while parent is not None:
            if isinstance(parent, ast.Try) and any(_catches_import_error(h) for h in parent.handlers):
                if child in parent.body:
                    return True
                if child in parent.handlers and _imported_modules(node) & {
                        m for stmt in parent.body for n in walk_nodes(stmt) for m in _imported_modules(n)}:
                    return True
            child, parent = parent, self._parents.get(parent)
        return False


def _imported_modules(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Import):
        return {a.name for a in node.names}
    if isinstance(node, ast.ImportFrom) and node.module:
        return {node.module}
    return set()


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    kind = handler.type
    if kind is None:
        return True
    names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    return any(
        (n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else "")
        in ("ImportError", "ModuleNotFoundError", "Exception", "BaseException")
        for n in names
    )


def check(module: ast.Module, builtins: Iterable[str]) -> Iterator[tuple[str, str, ast.AST, ast.AST, bool]]:
    """Yield (kind, name, node, top_level_statement, in_function) for undefined names
    and unused imports."""
    yield from _NodeChecker(module, builtins).found
