"""What the service needs, found by reaching binding (DESIGN 5).

Each free name of the ``predict`` and ``serve`` code is traced to the top-level binding
that reaches it in a top-down run: the last one above the serving code (the last
``predict`` or ``serve`` cell), outside ``skip`` cells; a name bound only below it, the
last binding in the notebook. What that binding is decides what the service gets:

- an import: the same import statement (one alias of a multi-name import; a ``try`` /
  ``if`` block made only of imports and literal fallbacks, as it is);
- a function or class definition: its source, and in turn what it needs;
- a literal constant (numbers, strings, and lists, tuples, dicts and sets of them) that
  nothing mutates: the assignment;
- anything computed: an artifact, read out of the executed kernel.

Everything is static: nothing here runs notebook code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nb2prod import _pyflakes
from nb2prod.analysis import IPYTHON_NAMES, _top_level_bindings
from nb2prod.converter.errors import BuildError
from nb2prod.notebook import Cell, Notebook

__all__ = ["IMPORT", "DEFINITION", "CONSTANT", "ARTIFACT", "Need", "Resolution", "resolve"]

IMPORT, DEFINITION, CONSTANT, ARTIFACT = "import", "definition", "constant", "artifact"
_COMPUTED, _DELETED = "computed", "deleted"

# Calls that change a list, dict or set in place: a literal that meets one is not a constant.
_MUTATORS = frozenset({
    "append", "extend", "insert", "remove", "pop", "clear", "update", "setdefault", "add", "discard",
    "sort", "reverse", "popitem", "difference_update", "intersection_update", "symmetric_difference_update",
    "shuffle",
})
# Statements an import block may hold besides imports (`try: import x` / `except ImportError: x = None`).
_BLOCK_STATEMENTS = (ast.Import, ast.ImportFrom, ast.Pass, ast.Raise)


@dataclass(frozen=True)
class _Binding:
    name: str
    cell: Cell
    position: int  # index of the top-level statement in the cell
    stmt: ast.stmt | None  # None for a name a cell magic binds (`%%capture out`)
    kind: str  # IMPORT, DEFINITION, CONSTANT, _COMPUTED, _DELETED
    alias: int | None = None  # which alias of an import statement


@dataclass(frozen=True)
class Need:
    """A name the service needs, and where it comes from."""

    name: str
    kind: str  # IMPORT, DEFINITION, CONSTANT or ARTIFACT
    cell: int
    line: int  # in the cell, 1-based
    reader: str  # who reads it first: "predict", "serve cell 3", "`clean` (cell 4)"
    code: str = ""  # the statement the service gets (not for artifacts)
    position: int = 0
    alias: int | None = None


@dataclass
class Resolution:
    """The result of :func:`resolve`: what goes where, in notebook order."""

    notebook: Notebook
    exported: list[Cell]
    serving_cell: int  # the last exported cell: bindings above it reach the serving code
    needs: dict[str, Need] = field(default_factory=dict)  # in the order they were found
    rebound: list[str] = field(default_factory=list)  # reached from above, bound again below the serving cell
    definitions: list[str] = field(default_factory=list)  # top-level defs/classes (outside skip cells)
    _index: _Index | None = field(default=None, repr=False)

    def of_kind(self, kind: str) -> list[Need]:
        return sorted((n for n in self.needs.values() if n.kind == kind), key=lambda n: (n.cell, n.position))

    @property
    def artifacts(self) -> list[str]:
        return [n.name for n in self.of_kind(ARTIFACT)]

    def add(self, names: Iterable[str], reader: str) -> list[str]:
        """Resolve more names after the run (the notebook classes an artifact's pickle names);
        the new artifacts they need, which the run did not capture (normally none)."""
        assert self._index is not None
        before = set(self.artifacts)
        _Resolver(self, self._index).run([(name, reader) for name in names])
        return [a for a in self.artifacts if a not in before]

    def exported_statements(self) -> list[Need]:
        """The imports, definitions and constants, in notebook order."""
        return sorted((n for n in self.needs.values() if n.kind != ARTIFACT),
                      key=lambda n: (n.cell, n.position, n.alias or 0))

    def statements(self) -> list[tuple[int, int, str]]:
        """(cell, position, code) of what the service's code gets from other cells, in
        notebook order; the aliases one import statement gives are joined again."""
        merged: dict[tuple[int, int], list[Need]] = {}
        for need in self.exported_statements():
            merged.setdefault((need.cell, need.position), []).append(need)
        out = []
        for (cell, position), needs in merged.items():
            if len(needs) > 1 and all(n.alias is not None for n in needs):
                first = needs[0]
                head = first.code.split(" import ", 1)[0] + " import" if first.code.startswith("from ") else "import"
                names = [n.code.split(" import ", 1)[1] if n.code.startswith("from ") else n.code[len("import "):]
                         for n in needs]
                out.append((cell, position, f"{head} {', '.join(names)}"))
            else:
                out.extend((cell, position, n.code) for n in needs)
        return out

    def summary(self) -> str:
        """One line: what went where."""
        parts = []
        for kind, label in ((IMPORT, "imports"), (DEFINITION, "definitions"), (CONSTANT, "constants"),
                            (ARTIFACT, "artifacts")):
            items = self.of_kind(kind)
            if items:
                parts.append(f"{label} " + ", ".join(f"{n.name} (cell {n.cell})" for n in items))
        return "; ".join(parts) or "nothing from other cells"


class _Index:
    """Every top-level binding of the notebook's code cells, by name, in notebook order."""

    def __init__(self, nb: Notebook, skipped: set[int]) -> None:
        self.nb = nb
        self.by_name: dict[str, list[_Binding]] = {}
        self.in_skip: dict[str, list[int]] = {}
        self.star_imports: list[tuple[int, str]] = []  # (cell, module)
        cells = [c for c in nb.cells if c.is_code and c.parsed.tree is not None]
        for cell in cells:
            for binding in _cell_bindings(cell):
                if cell.index in skipped:
                    self.in_skip.setdefault(binding.name, []).append(cell.index)
                else:
                    self.by_name.setdefault(binding.name, []).append(binding)
            if cell.index not in skipped:
                for stmt in cell.parsed.tree.body:  # type: ignore[union-attr]
                    if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
                        self.star_imports.append((cell.index, "." * stmt.level + (stmt.module or "")))
        self.mutated = _mutated_names([c for c in cells if c.index not in skipped])

    def reaching(self, name: str, serving_cell: int) -> tuple[_Binding | None, bool]:
        """The binding of ``name`` that reaches the serving code, and whether a cell below
        the serving cell binds it again."""
        events = self.by_name.get(name, [])
        above = [b for b in events if b.cell.index <= serving_cell]
        below = [b for b in events if b.cell.index > serving_cell]
        if above:
            return above[-1], bool(below)
        return (below[-1] if below else None), False


def _literal(node: ast.expr | None) -> bool:
    if node is None:
        return False
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _is_import_block(stmt: ast.stmt) -> bool:
    """``try: import x`` / ``except ImportError: x = None`` and the like: imports, literal
    fallbacks and ``raise``, in ``if`` / ``try`` blocks."""
    if isinstance(stmt, _BLOCK_STATEMENTS):
        return True
    if isinstance(stmt, ast.Assign):
        return all(isinstance(t, ast.Name) for t in stmt.targets) and _literal(stmt.value)
    if isinstance(stmt, ast.Expr):
        return isinstance(stmt.value, ast.Constant)
    if isinstance(stmt, ast.If):
        return all(_is_import_block(s) for s in [*stmt.body, *stmt.orelse])
    if isinstance(stmt, ast.Try):
        inner = [*stmt.body, *stmt.orelse, *stmt.finalbody, *(s for h in stmt.handlers for s in h.body)]
        has_import = any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(stmt))
        return has_import and all(_is_import_block(s) for s in inner)
    return False


def _line_magic_code(stmt: ast.stmt) -> str | None:
    """The Python of ``%time X = f()`` (transformed into ``get_ipython().run_line_magic(...)``)."""
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return None
    call = stmt.value
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "run_line_magic" and len(call.args) >= 2):
        return None
    name, code = call.args[0], call.args[1]
    if isinstance(name, ast.Constant) and name.value == "time" and isinstance(code, ast.Constant):
        return code.value if isinstance(code.value, str) else None
    return None


def _cell_bindings(cell: Cell) -> Iterator[_Binding]:
    tree = cell.parsed.tree
    assert tree is not None
    magic = cell.parsed.cell_magic
    if magic is not None and magic.name == "capture" and magic.args and magic.args.split()[0].isidentifier():
        yield _Binding(magic.args.split()[0], cell, -1, None, _COMPUTED)
    for position, stmt in enumerate(tree.body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for i, alias in enumerate(stmt.names):
                if alias.name != "*":
                    yield _Binding(alias.asname or alias.name.split(".", 1)[0], cell, position, stmt, IMPORT, i)
            continue
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield _Binding(stmt.name, cell, position, stmt, DEFINITION)
            continue
        if isinstance(stmt, ast.Delete):
            for gone in stmt.targets:
                if isinstance(gone, ast.Name):
                    yield _Binding(gone.id, cell, position, stmt, _DELETED)
            continue
        target: str | None = None
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, value = stmt.targets[0].id, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            target, value = stmt.target.id, stmt.value
        if target is not None and _literal(value):
            yield _Binding(target, cell, position, stmt, CONSTANT)
            continue
        if target is not None and isinstance(value, ast.Lambda):  # `clean = lambda s: s.strip()`: a definition
            yield _Binding(target, cell, position, stmt, DEFINITION)
            continue
        code = _line_magic_code(stmt)
        if code is not None:
            try:
                inner = ast.parse(code)
            except SyntaxError:
                continue
            for name, _line in _top_level_bindings(inner):
                yield _Binding(name, cell, position, stmt, _COMPUTED)
            continue
        kind = IMPORT if isinstance(stmt, (ast.If, ast.Try)) and _is_import_block(stmt) else _COMPUTED
        for name, _line in _top_level_bindings(ast.Module(body=[stmt], type_ignores=[]), ":=" in cell.source):
            yield _Binding(name, cell, position, stmt, kind)


def _mutated_names(cells: list[Cell]) -> set[str]:
    """Names changed in place somewhere (``X.append(...)``, ``X[k] = v``, ``del X[k]``,
    ``random.shuffle(X)``): a literal bound to one of them is not a constant."""
    found: set[str] = set()
    for cell in cells:
        for node in ast.walk(cell.parsed.tree):  # type: ignore[arg-type]
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Attribute) and func.attr in _MUTATORS and isinstance(func.value, ast.Name):
                    found.add(func.value.id)
                name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                if name in _MUTATORS:
                    found.update(a.id for a in node.args if isinstance(a, ast.Name))
            elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, (ast.Store, ast.Del)):
                if isinstance(node.value, ast.Name):
                    found.add(node.value.id)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript):
                if isinstance(node.target.value, ast.Name):
                    found.add(node.target.value.id)
    return found


def statement_lines(stmt: ast.stmt) -> tuple[int, int]:
    """The first and last line of a top-level statement in its tree, decorators included."""
    decorators = getattr(stmt, "decorator_list", None) or []
    first = min([stmt.lineno, *(d.lineno for d in decorators)])
    return first, stmt.end_lineno or stmt.lineno


def _statement_code(cell: Cell, stmt: ast.stmt) -> str:
    first, last = statement_lines(stmt)
    lines = cell.parsed.code.splitlines()
    return "\n".join(lines[first - 1:last])


def _import_code(binding: _Binding) -> str:
    stmt = binding.stmt
    if isinstance(stmt, ast.Import):
        alias = stmt.names[binding.alias or 0]
        return f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
    if isinstance(stmt, ast.ImportFrom):
        alias = stmt.names[binding.alias or 0]
        module = "." * stmt.level + (stmt.module or "")
        return f"from {module} import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
    assert stmt is not None
    return _statement_code(binding.cell, stmt)


def free_names(stmts: list[ast.stmt]) -> list[str]:
    """Names the statements read but neither import nor define, in order of appearance."""
    names: list[str] = []
    for kind, name, _node, _top, _in_function in _pyflakes.check(ast.Module(body=stmts, type_ignores=[]),
                                                                  IPYTHON_NAMES):
        if kind == "undefined" and name not in names:
            names.append(name)
    return names


def imported_tops(trees: Iterable[ast.AST]) -> list[str]:
    """The top-level modules that ``trees`` import, at any depth (a module imported inside a
    function counts), in order of first appearance; relative imports left out."""
    tops: list[str] = []
    for tree in trees:
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".", 1)[0]
                if top not in tops:
                    tops.append(top)
    return tops


def _local_module(nb: Notebook, module: str) -> Path | None:
    """The file of a module beside the notebook (which the notebook's kernel imports, and no
    package installs in the service), or None."""
    if nb.path is None or not module or module.startswith("."):
        return None
    top = module.split(".", 1)[0]
    folder = nb.path.parent
    for candidate in (folder / f"{top}.py", folder / top / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_module(stmt: ast.stmt | None, alias: int | None) -> str:
    if isinstance(stmt, ast.Import):
        return stmt.names[alias or 0].name
    if isinstance(stmt, ast.ImportFrom):
        return "." * stmt.level + (stmt.module or "")
    return ""


class _Resolver:
    def __init__(self, resolution: Resolution, index: _Index) -> None:
        self.r = resolution
        self.index = index

    def run(self, work: list[tuple[str, str]]) -> None:
        work = list(work)
        while work:
            name, reader = work.pop(0)
            if name in self.r.needs:
                continue
            binding, rebound = self.index.reaching(name, self.r.serving_cell)
            if binding is None:
                raise self._unbound(name, reader)
            if binding.cell.index in {c.index for c in self.r.exported}:
                continue  # the serving code binds it itself
            if binding.kind == _DELETED:
                raise BuildError(
                    f"{reader} reads `{name}`, which cell {binding.cell.index} deletes (`del {name}`) before the "
                    "serving code: the service would not have it; keep the value (or compute it inside the function)"
                )
            if rebound:
                self.r.rebound.append(name)
            line = (binding.stmt.lineno if binding.stmt is not None else 1) + binding.cell.parsed.line_offset

            def need(kind: str, code: str = "", b: _Binding = binding, line: int = line, reader: str = reader) -> Need:
                return Need(b.name, kind, b.cell.index, line, reader, code, b.position, b.alias)

            if binding.kind == IMPORT:
                module = _imported_module(binding.stmt, binding.alias)
                local = _local_module(self.r.notebook, module)
                if local is not None:
                    raise BuildError(
                        f"{reader} uses `{name}`, imported in cell {binding.cell.index} from `{module}`, which is "
                        f"{local.name} beside the notebook: the service cannot install it; make it an installable "
                        "package, or move the code it needs into the notebook"
                    )
                self.r.needs[name] = need(IMPORT, _import_code(binding))
            elif binding.kind == DEFINITION:
                assert binding.stmt is not None
                code = _statement_code(binding.cell, binding.stmt)
                if "get_ipython()" in code:
                    raise BuildError(f"{reader} uses `{name}` (cell {binding.cell.index}), whose definition uses "
                                     "IPython syntax (a % magic or ! command), which the service cannot run")
                self.r.needs[name] = need(DEFINITION, code)
                kind = "class" if isinstance(binding.stmt, ast.ClassDef) else "function"
                label = f"{kind} `{name}` (cell {binding.cell.index})"
                work.extend((inner, label) for inner in free_names([binding.stmt]))
            elif binding.kind == CONSTANT and name not in self.index.mutated:
                assert binding.stmt is not None
                self.r.needs[name] = need(CONSTANT, _statement_code(binding.cell, binding.stmt))
            else:
                self.r.needs[name] = need(ARTIFACT)

    def _unbound(self, name: str, reader: str) -> BuildError:
        skip = self.index.in_skip.get(name)
        if skip:
            cells = ", ".join(str(c) for c in sorted(set(skip)))
            return BuildError(
                f"{reader} needs `{name}`, which only a `skip` cell binds (cell {cells}): the build never runs "
                "skip cells; bind it in a cell that runs, or remove the `skip` tag"
            )
        stars = [(c, m) for c, m in self.index.star_imports if c <= self.r.serving_cell]
        if stars:
            cell, module = stars[-1]
            return BuildError(
                f"{reader} needs `{name}`, which no cell binds by name; `from {module} import *` in cell {cell} "
                f"may: import it by name (`from {module} import {name}`)"
            )
        return BuildError(f"{reader} needs `{name}`, which no cell defines")


def resolve(nb: Notebook, exported: list[Cell], skipped: set[int], roots: list[tuple[str, str]]) -> Resolution:
    """Resolve ``roots`` ((name, reader) pairs: the free names of the exported cells).
    Raises :class:`BuildError` for a name the service cannot get."""
    index = _Index(nb, skipped)
    serving_cell = max(c.index for c in exported)
    resolution = Resolution(nb, list(exported), serving_cell, _index=index)
    definitions = []
    for name, events in index.by_name.items():
        if events[-1].kind == DEFINITION and not isinstance(events[-1].stmt, ast.Assign):  # a lambda has no name
            definitions.append((events[-1].cell.index, events[-1].position, name))
    resolution.definitions = [name for _c, _p, name in sorted(definitions)]
    _Resolver(resolution, index).run(roots)
    return resolution
