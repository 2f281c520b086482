"""Facts about one notebook, computed once and shared by all rules.

Rules never walk syntax trees of their own when a fact here serves: every code cell is
walked once (:meth:`Analysis._walk`) to collect imports, calls (with names resolved
through the notebook's imports, ``np.random.rand`` -> ``numpy.random.rand``), string
literals and top-level definitions. Expensive facts (pyflakes) are computed on first use,
so they cost nothing when the rules that need them are not selected.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from nb2prod import _lazyre
from nb2prod._ast import iter_nodes
from nb2prod._ast import walk as walk_nodes
from nb2prod.notebook import Cell, Notebook

__all__ = [
    "Analysis",
    "CallFact",
    "ImportFact",
    "StringFact",
    "Definition",
    "NameProblem",
    "IPYTHON_NAMES",
    "RuleOptions",
]

T = TypeVar("T")


class RuleOptions(Protocol):
    """What the analysis reads of the configuration (a :class:`nb2prod.config.Settings`):
    the rule options. A protocol, so that the analysis, which every rule imports, does
    not import the configuration, which imports the rule registry."""

    @property
    def options(self) -> Mapping[str, Any]: ...


# Names the IPython kernel defines in every notebook's namespace.
IPYTHON_NAMES = frozenset(
    {"get_ipython", "display", "In", "Out", "exit", "quit", "_", "__", "___",
     "_i", "_ii", "_iii", "_ih", "_oh", "_dh", "__session__"}
)
_HISTORY_NAME = _lazyre.compile(r"^_(i|ii|iii)?\d+$")


@dataclass(frozen=True)
class ImportFact:
    cell: Cell
    node: ast.Import | ast.ImportFrom
    module: str  # the imported module, absolute dotted ('' for relative imports)
    level: int  # >0 for relative imports
    offset: int  # add to node lines to get cell lines

    @property
    def top(self) -> str:
        return self.module.split(".", 1)[0]


@dataclass(frozen=True)
class CallFact:
    cell: Cell
    node: ast.Call
    qualname: str | None  # e.g. "numpy.random.seed"; None when the callee is not a dotted name
    local_name: str | None  # the dotted name as written, e.g. "np.random.seed"
    offset: int

    @cached_property
    def keywords(self) -> dict[str, ast.expr]:
        return {k.arg: k.value for k in self.node.keywords if k.arg is not None}

    @property
    def has_star_kwargs(self) -> bool:
        return any(k.arg is None for k in self.node.keywords)


@dataclass(frozen=True)
class StringFact:
    cell: Cell
    node: ast.Constant
    value: str
    offset: int


@dataclass(frozen=True)
class Definition:
    cell: Cell
    line: int


@dataclass(frozen=True)
class NameProblem:
    """A pyflakes message mapped back to its cell."""

    kind: str  # "undefined" | "unused-import"
    name: str
    cell: Cell
    node: ast.AST
    offset: int
    in_function: bool


@dataclass
class _CellFacts:
    imports: list[ImportFact] = field(default_factory=list)
    calls: list[ast.Call] = field(default_factory=list)
    strings: list[ast.Constant] = field(default_factory=list)


def dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for Name/Attribute chains, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class Analysis:
    """The shared, lazily computed facts of one notebook under one configuration."""

    def __init__(
        self, nb: Notebook, settings: RuleOptions | None = None, enabled: frozenset[str] | None = None
    ) -> None:
        self.nb = nb
        self.settings = settings
        # The rules that run on this notebook (None: all). Rules that hand a case over
        # to another rule check that the other one runs.
        self.enabled = enabled
        # Things the user should know that are not findings (shown as notes).
        self.notices: list[str] = []
        self._derived: dict[Callable[[Analysis], object], object] = {}
        self._nodes: dict[int, list[ast.AST]] = {}
        self._nodes_of: dict[tuple[int, tuple[type[ast.AST], ...]], list[ast.AST]] = {}

    def fact(self, compute: Callable[[Analysis], T]) -> T:
        """A derived fact of this notebook: ``compute(self)`` the first time it is asked
        for, the same value after. Rule families keep the facts that only they read
        here (keyed by the function that computes them), so a fact several rules share is
        computed once and lives exactly as long as the analysis."""
        if compute not in self._derived:
            self._derived[compute] = compute(self)
        return cast(T, self._derived[compute])

    def runs(self, code: str) -> bool:
        return self.enabled is None or code in self.enabled

    @property
    def path(self) -> Path | None:
        return self.nb.path

    def option(self, name: str, default: Any) -> Any:
        if self.settings is None:
            return default
        return self.settings.options.get(name, default)

    # -- cells -----------------------------------------------------------------------
    @cached_property
    def code_cells(self) -> list[Cell]:
        """Code cells in notebook order (all of them, parsed or not)."""
        return [c for c in self.nb.cells if c.is_code]

    @cached_property
    def parsed_cells(self) -> list[Cell]:
        """Code cells whose Python parsed (after IPython transforms)."""
        if not self.nb.is_python:
            return []
        return [c for c in self.code_cells if c.parsed.tree is not None]

    def cells_tagged(self, tag: str) -> list[Cell]:
        return [c for c in self.nb.cells if tag in c.nb2prod_tags]

    # -- one walk over every tree --------------------------------------------------------
    @cached_property
    def _facts(self) -> dict[int, _CellFacts]:
        return {c.index: self._walk(c) for c in self.parsed_cells}

    def _walk(self, cell: Cell) -> _CellFacts:
        parsed = cell.parsed
        tree = parsed.tree
        assert tree is not None
        off = parsed.line_offset
        facts = _CellFacts()
        calls, strings, imports = facts.calls, facts.strings, facts.imports
        Call, Constant, Import, ImportFrom = ast.Call, ast.Constant, ast.Import, ast.ImportFrom
        for node in iter_nodes(tree):
            t = type(node)
            if t is Call:
                calls.append(node)  # type: ignore[arg-type]
            elif t is Constant:
                if type(node.value) is str:  # type: ignore[attr-defined]
                    strings.append(node)  # type: ignore[arg-type]
            elif t is Import:
                for alias in node.names:  # type: ignore[attr-defined]
                    imports.append(ImportFact(cell, node, alias.name, 0, off))  # type: ignore[arg-type]
            elif t is ImportFrom:
                imports.append(
                    ImportFact(cell, node, node.module or "", node.level or 0, off)  # type: ignore[arg-type,attr-defined]
                )
        return facts

    def nodes(self, cell: Cell) -> list[ast.AST]:
        """Every node of a parsed cell's tree, in the order of :func:`nb2prod._ast.walk`
        (``ast.walk``'s), listed once per notebook for all the rules that scan whole trees."""
        found = self._nodes.get(cell.index)
        if found is None:
            assert cell.parsed.tree is not None
            found = self._nodes[cell.index] = list(walk_nodes(cell.parsed.tree))
        return found

    def nodes_of(self, cell: Cell, *types: type[ast.AST]) -> list[ast.AST]:
        """The nodes of :meth:`nodes` of exactly these classes, in the same order (each
        list computed once: a rule asks for the same classes of every cell)."""
        key = (cell.index, types)
        found = self._nodes_of.get(key)
        if found is None:
            wanted = frozenset(types)
            found = self._nodes_of[key] = [n for n in self.nodes(cell) if n.__class__ in wanted]
        return found

    @cached_property
    def imports(self) -> list[ImportFact]:
        return [i for c in self.parsed_cells for i in self._facts[c.index].imports]

    @cached_property
    def aliases(self) -> dict[str, str]:
        """Local name -> qualified name, from every import in the notebook."""
        table: dict[str, str] = {}
        for imp in self.imports:
            node = imp.node
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        table[a.asname] = a.name
                    else:
                        top = a.name.split(".", 1)[0]
                        table[top] = top
            elif imp.level == 0 and imp.module:
                for a in node.names:
                    if a.name != "*":
                        table[a.asname or a.name] = f"{imp.module}.{a.name}"
        return table

    def qualify(self, dotted: str | None) -> str | None:
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        base = self.aliases.get(head)
        if base is None:
            return None
        return f"{base}.{rest}" if rest else base

    @cached_property
    def calls(self) -> list[CallFact]:
        """Every call in notebook order (cell, then position)."""
        out: list[CallFact] = []
        for c in self.parsed_cells:
            facts = self._facts[c.index]
            off = c.parsed.line_offset
            cell_calls = []
            for node in facts.calls:
                local = dotted_name(node.func)
                cell_calls.append(CallFact(c, node, self.qualify(local), local, off))
            cell_calls.sort(key=lambda f: (f.node.lineno, f.node.col_offset))
            out.extend(cell_calls)
        return out

    def calls_to(self, *qualnames: str) -> Iterator[CallFact]:
        wanted = set(qualnames)
        return (c for c in self.calls if c.qualname in wanted)

    @cached_property
    def strings(self) -> list[StringFact]:
        return [
            StringFact(c, node, node.value, c.parsed.line_offset)  # type: ignore[arg-type]
            for c in self.parsed_cells
            for node in self._facts[c.index].strings
        ]

    # -- definitions and names ---------------------------------------------------------
    @cached_property
    def module_definitions(self) -> dict[str, Definition]:
        """Name -> first top-level definition (assignment, def, class, import, for...)."""
        defs: dict[str, Definition] = {}
        # The statements of the name analyses: with what magics bind (`%time x = f()`,
        # `%%capture out`), see ParsedCode.name_body.
        for c in self.code_cells if self.nb.is_python else ():
            off = c.parsed.line_offset
            names = ast.Module(body=c.parsed.name_body, type_ignores=[])
            for name, line in _top_level_bindings(names, ":=" in c.source):
                defs.setdefault(name, Definition(c, line + off))
        return defs

    @cached_property
    def functions(self) -> dict[str, tuple[Cell, ast.FunctionDef | ast.AsyncFunctionDef]]:
        """Top-level function definitions by name (the last definition wins, as at run time)."""
        found: dict[str, tuple[Cell, ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        for c in self.parsed_cells:
            for stmt in c.parsed.tree.body:  # type: ignore[union-attr]
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[stmt.name] = (c, stmt)
        return found

    @cached_property
    def dynamic_namespace_from(self) -> int | None:
        """Index of the first cell after which names may appear unseen (%run, %load, %store -r)."""
        for c in self.code_cells if self.nb.is_python else ():
            for m in c.parsed.magics:
                if m.kind == "line" and (
                    m.name in {"run", "load", "load_ext", "ipytest"} or (m.name == "store" and "-r" in m.args)
                ):
                    return c.index
        return None

    @cached_property
    def name_problems(self) -> list[NameProblem]:
        """Undefined names and unused imports over the whole notebook, via pyflakes.

        The cells are checked as one module, top to bottom, so a name read in cell 3 and
        first assigned in cell 5 is undefined at cell 3, as a fresh top-down run would find.
        """
        if not self.parsed_cells:
            return []
        from nb2prod import _pyflakes

        body: list[ast.stmt] = []
        stmt_cell: dict[int, Cell] = {}
        for c in self.code_cells:  # with what magics run and bind: ParsedCode.name_body
            for stmt in c.parsed.name_body:
                body.append(stmt)
                stmt_cell[id(stmt)] = c
        module = ast.Module(body=body, type_ignores=[])
        problems: list[NameProblem] = []
        try:
            found = list(_pyflakes.check(module, IPYTHON_NAMES))
        except RecursionError:
            self.notices.append("code too deeply nested for pyflakes: undefined names and unused imports not checked")
            return []
        for kind, name, node, top, in_function in found:
            if kind == "undefined" and _HISTORY_NAME.match(name):
                continue
            cell = stmt_cell.get(id(top))
            if cell is None:
                continue
            off = cell.parsed.line_offset
            problems.append(NameProblem(kind, name, cell, node, off, in_function))
        return problems


def _top_level_bindings(tree: ast.Module, walrus: bool = True) -> Iterator[tuple[str, int]]:
    """Names bound at module level, with their lines, in order.

    Descends into compound statements (if/for/while/try/with) but not into function,
    class or lambda bodies, whose names are local.
    """
    stack: list[ast.stmt] = list(reversed(tree.body))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield stmt.name, stmt.lineno
            continue
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for a in stmt.names:
                if a.name != "*":
                    yield (a.asname or a.name.split(".", 1)[0]), stmt.lineno
            continue
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
            targets = [stmt.target]
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            targets = [stmt.target]
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            targets = [i.optional_vars for i in stmt.items if i.optional_vars is not None]
        for t in targets:
            if type(t) is ast.Name:
                yield t.id, stmt.lineno
                continue
            for n in walk_nodes(t):
                if isinstance(n, ast.Name):
                    yield n.id, stmt.lineno
        # Walrus at module level binds too (only looked for when the cell has `:=`).
        if walrus and isinstance(stmt, (ast.Expr, ast.Assign, ast.If, ast.While)):
            expr = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else stmt.test
            for n in walk_nodes(expr):
                if isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name):
                    yield n.target.id, stmt.lineno
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            for h in stmt.handlers:  # type: ignore[attr-defined]
                if h.name:
                    yield h.name, h.lineno
        children: list[ast.stmt] = []
        for attr in ("body", "orelse", "finalbody"):
            children.extend(getattr(stmt, attr, []) or [])
        for h in getattr(stmt, "handlers", []) or []:
            children.extend(h.body)
        if isinstance(stmt, ast.Match):
            for case in stmt.cases:
                children.extend(case.body)
        stack.extend(reversed(children))
