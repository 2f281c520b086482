"""The fixes of NB101-NB106 and NB109: seed where the library is imported, pass a seed.

- A global seed goes right after the first top-level import of the library that runs
  before the first draw, in that import's cell, indented like it; never before the
  import (a first cell that runs before ``import numpy`` must not call ``np.random``),
  and only when the notebook sets no seed for that library anywhere (moving an existing
  seed is the user's call).
- ``random_state=`` / a generator's seed is the notebook's own seed variable when it
  has one (``SEED = 42`` at the top level, bound once, before the call), else ``0``.
- Safe, except for a call inside a loop or a comprehension: there a fixed seed makes
  every iteration draw the same numbers (repeated splits to measure variance would all
  be one split), which changes what the code means, so that fix is unsafe.

Every edit is checked against the cell's source text: a line that IPython's transforms
changed is not edited.
"""

from __future__ import annotations

import ast

from nb2prod import _lazyre
from nb2prod.analysis import Analysis, CallFact
from nb2prod.fixes.model import Applicability, Fix, SourceEdit
from nb2prod.fixes.text import indent_of, line_end, newline_of, node_span
from nb2prod.notebook import Cell

__all__ = ["seed_fix", "random_state_fix", "generator_seed_fix", "seed_name"]

_SEED_NAME = _lazyre.compile(r"(?i)^_?(?:global_|random_|rand_|rng_|np_|torch_|tf_)?(?:seed|random_state)(?:_value)?$")

# library -> (qualified module the import must bind, seed call written with {m} and {seed})
_SEED_CALLS: dict[str, tuple[tuple[str, str], ...]] = {
    "python": (("random", "{m}.seed({seed})"),),
    "numpy": (("numpy", "{m}.random.seed({seed})"), ("numpy.random", "{m}.seed({seed})")),
    "torch": (("torch", "{m}.manual_seed({seed})"),),
    "tensorflow": (("tensorflow", "{m}.keras.utils.set_random_seed({seed})"),
                   ("keras", "{m}.utils.set_random_seed({seed})"),
                   ("tensorflow.keras", "{m}.utils.set_random_seed({seed})")),
}

_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _segment_matches(cell: Cell, node: ast.AST, span: tuple[int, int]) -> bool:
    parsed = cell.parsed
    want = ast.get_source_segment(parsed.code, node)
    return want is not None and cell.source[span[0]: span[1]] == want


def _int_constant(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _seed_bindings(nb: Analysis) -> dict[str, list[tuple[int, int, bool]]]:
    """Every binding of a seed-like name: (cell, line, whether it is a top-level
    ``NAME = <int>``). Computed once per lint (``nb.fact``), shared by every fix."""
    found: dict[str, list[tuple[int, int, bool]]] = {}
    for cell in nb.parsed_cells:
        tree = cell.parsed.tree
        if tree is None:
            continue
        top_level = {id(stmt) for stmt in tree.body}
        for node in nb.nodes_of(cell, ast.Assign, ast.AnnAssign, ast.AugAssign):
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                targets, value = [node.target], node.value
            for t in targets:
                if isinstance(t, ast.Name) and _SEED_NAME.match(t.id):
                    ok = (id(node) in top_level and value is not None and _int_constant(value)
                          and not isinstance(node, ast.AugAssign))
                    found.setdefault(t.id, []).append((cell.index, t.lineno + cell.parsed.line_offset, ok))
    return found


def seed_name(nb: Analysis, before: tuple[int, int]) -> str:
    """The notebook's seed variable bound (once, to an integer) before (cell, line), else ``"0"``."""
    for name, bindings in nb.fact(_seed_bindings).items():
        if len(bindings) == 1 and bindings[0][2] and bindings[0][:2] < before:
            return name
    return "0"


def _inside_loop(tree: ast.Module, target: ast.AST) -> bool:
    """Whether ``target`` is inside a loop or comprehension of ``tree``."""

    def walk(node: ast.AST, looping: bool) -> bool | None:
        if node is target:
            return looping
        here = looping or isinstance(node, _LOOPS)
        for child in ast.iter_child_nodes(node):
            found = walk(child, here)
            if found is not None:
                return found
        return None

    return bool(walk(tree, False))


def _applicability(call: CallFact) -> Applicability:
    tree = call.cell.parsed.tree
    return Applicability.UNSAFE if tree is not None and _inside_loop(tree, call.node) else Applicability.SAFE


def seed_fix(nb: Analysis, library: str, first_draw: tuple[int, ...], label: str) -> Fix | None:
    """Seed ``library`` right after its first top-level import that runs before ``first_draw``
    (a scan position: cell index, tree line, ...)."""
    for imp in sorted(nb.imports, key=lambda i: (i.cell.index, i.node.lineno, i.node.col_offset)):
        cell = imp.cell
        tree = cell.parsed.tree
        if tree is None or imp.node not in tree.body or imp.level or "skip" in cell.nb2prod_tags:
            continue
        end_line = imp.node.end_lineno or imp.node.lineno
        if (cell.index, end_line) >= tuple(first_draw[:2]):
            return None  # the first import that could be seeded runs too late
        alias = _binding(imp.node, library)
        if alias is None:
            continue
        module, pattern = alias
        source = cell.source
        line = end_line + imp.offset
        span = node_span(source, imp.node, imp.offset)
        if span is None or not _segment_matches(cell, imp.node, span):
            return None
        rest = source[span[1]: line_end(source, line)].strip()
        if rest and not rest.startswith("#"):
            return None  # `import numpy as np; x = ...`: the line goes on
        seed = seed_name(nb, (cell.index, line + 1))
        call = pattern.format(m=module, seed=seed)
        at = line_end(source, line)
        text = newline_of(source) + indent_of(source, imp.node.lineno + imp.offset) + call
        where = f"after `{ast.get_source_segment(cell.parsed.code, imp.node)}` in cell {cell.index}"
        return Fix(
            f"call `{call}` {where}, before `{label}` draws",
            (SourceEdit(cell.index, cell.id, at, at, text),),
        )
    return None


def _binding(node: ast.Import | ast.ImportFrom, library: str) -> tuple[str, str] | None:
    """(local name, seed call pattern) when ``node`` binds a module of ``library``."""
    wanted = dict(_SEED_CALLS[library])
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.asname and a.name in wanted:
                return a.asname, wanted[a.name]
            if not a.asname and a.name.split(".", 1)[0] in wanted:
                top = a.name.split(".", 1)[0]
                return top, wanted[top]
    elif node.module:
        for a in node.names:
            q = f"{node.module}.{a.name}"
            if q in wanted:
                return a.asname or a.name, wanted[q]
    return None


def random_state_fix(nb: Analysis, call: CallFact, keyword: str = "random_state") -> Fix | None:
    """``keyword=<seed>`` added to ``call`` (or its ``None`` replaced)."""
    cell, node = call.cell, call.node
    source = cell.source
    span = node_span(source, node, call.offset)
    if span is None or not _segment_matches(cell, node, span):
        return None
    seed = seed_name(nb, (cell.index, node.lineno + call.offset))
    for kw in node.keywords:
        if kw.arg == keyword:
            value_span = node_span(source, kw.value, call.offset)
            if value_span is None or source[value_span[0]: value_span[1]] != "None":
                return None
            edit = SourceEdit(cell.index, cell.id, value_span[0], value_span[1], seed)
            return Fix(f"pass `{keyword}={seed}`", (edit,), _applicability(call))
    parts: list[ast.AST] = [*node.args, *node.keywords]
    if parts:
        last = max(parts, key=lambda p: (p.end_lineno or 0, p.end_col_offset or 0))  # type: ignore[attr-defined]
        last_span = node_span(source, last, call.offset)
        if last_span is None:
            return None
        edit = SourceEdit(cell.index, cell.id, last_span[1], last_span[1], f", {keyword}={seed}")
    else:
        close = span[1] - 1
        if source[close] != ")" or source[span[0]: close].rstrip().endswith(","):
            return None
        edit = SourceEdit(cell.index, cell.id, close, close, f"{keyword}={seed}")
    return Fix(f"pass `{keyword}={seed}`", (edit,), _applicability(call))


def generator_seed_fix(nb: Analysis, call: CallFact) -> Fix | None:
    """A seed as the first argument of an unseeded generator (``default_rng()``)."""
    cell, node = call.cell, call.node
    source = cell.source
    span = node_span(source, node, call.offset)
    if span is None or not _segment_matches(cell, node, span) or node.keywords:
        return None
    seed = seed_name(nb, (cell.index, node.lineno + call.offset))
    if node.args:
        first = node.args[0]
        first_span = node_span(source, first, call.offset)
        if first_span is None or source[first_span[0]: first_span[1]] != "None":
            return None
        edit = SourceEdit(cell.index, cell.id, first_span[0], first_span[1], seed)
    else:
        close = span[1] - 1
        if source[close] != ")":
            return None
        edit = SourceEdit(cell.index, cell.id, close, close, seed)
    return Fix(f"pass the seed `{seed}`", (edit,), _applicability(call))
