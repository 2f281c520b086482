"""Analyse a tagged notebook into a build plan, before anything runs.

The ``predict`` function's signature gives the request schema; the free names of the
``predict`` and ``serve`` code that are neither imported nor defined there are the
artifacts (DESIGN 5); the imports of that code give the service's dependencies.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

from nb2prod import _pyflakes
from nb2prod.analysis import IPYTHON_NAMES, Analysis
from nb2prod.converter.errors import BuildError
from nb2prod.converter.resolve import ARTIFACT, DEFINITION, Resolution, imported_tops, resolve
from nb2prod.notebook import Cell, Notebook

__all__ = ["Field", "BuildPlan", "make_plan", "parse_parameter"]

_EXPORT_TAGS = ("serve", "predict")


@dataclass(frozen=True)
class Field:
    name: str
    annotation: str
    required: bool
    default: Any = None
    default_repr: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "annotation": self.annotation,
            "required": self.required,
            "default": self.default,
            "default_repr": self.default_repr,
        }


@dataclass
class BuildPlan:
    nb: Notebook
    predict_cell: Cell
    fields: list[Field]
    return_annotation: str
    serve_cells: list[Cell]
    parameters_cell: Cell | None
    parameters: dict[str, Any]
    example_cells: list[Cell]
    reference_cells: list[Cell]
    test_cells: list[Cell]
    skip_cells: list[Cell]
    artifacts: list[str]
    artifact_cells: dict[str, int]
    export_modules: list[str]  # top-level modules imported by exported code
    exported_test_cells: list[Cell] = field(default_factory=list)
    notebook_only_tests: dict[int, list[str]] = field(default_factory=dict)  # cell -> training names used
    seeds: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""
    description: str = ""
    owner: str | None = None  # `-p owner=...`: MODEL_CARD.md's owner (a build parameter, see BUILD_PARAMETERS)
    # Top-level functions and classes the notebook defines outside `skip` cells: what an artifact's
    # pickle may name from `__main__` and the service can still load (its source is exported).
    notebook_definitions: list[str] = field(default_factory=list)
    resolution: Resolution | None = field(default=None, repr=False)  # what the service needs, and from where
    serving_cell: int = 0  # the last predict/serve cell: the bindings above it reach the serving code
    rebound: list[str] = field(default_factory=list)  # names bound again below serving_cell (see resolve)
    predict_batch: bool = False  # a predict or serve cell defines the vectorised `predict_batch(frame)`

    @property
    def exported_cells(self) -> list[Cell]:
        return [*self.serve_cells, self.predict_cell]


def _fail(message: str) -> BuildError:
    return BuildError(message)


def _literal(node: ast.expr | None) -> tuple[bool, Any]:
    if node is None:
        return False, None
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False, None
    return True, value


def _predict_function(cell: Cell) -> ast.FunctionDef:
    tree = cell.parsed.tree
    if tree is None:
        err = cell.parsed.syntax_error
        raise _fail(f"cell {cell.index} (tagged `predict`) does not parse: {err.message if err else 'syntax error'}")
    functions = [s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "predict"]
    if not functions:
        assigned = any(
            isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "predict" for t in s.targets)
            for s in tree.body
        )
        if assigned:
            raise _fail(f"cell {cell.index}: `predict` is assigned, not defined with `def predict(...)`")
        raise _fail(f"cell {cell.index} is tagged `predict` but defines no function `predict`")
    fn = functions[-1]
    if isinstance(fn, ast.AsyncFunctionDef):
        raise _fail(f"cell {cell.index}: `predict` must be a plain function, not `async def`")
    return fn


def _has_predict_batch(cells: list[Cell]) -> bool:
    """Whether the exported cells define `predict_batch`, the vectorised `predict` (docs/templates.md): a
    function taking the frame as its one required argument (a `def` of another shape is a BuildError)."""
    found = False
    for cell in cells:
        tree = cell.parsed.tree
        for stmt in tree.body if tree is not None else []:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == "predict_batch":
                if isinstance(stmt, ast.AsyncFunctionDef):
                    raise _fail(f"cell {cell.index}: `predict_batch` must be a plain function, not `async def`")
                args = stmt.args
                positional = [*args.posonlyargs, *args.args]
                required = len(positional) - len(args.defaults)
                required_keywords = sum(default is None for default in args.kw_defaults)
                if not (positional or args.vararg) or required > 1 or required_keywords:
                    raise _fail(f"cell {cell.index}: `predict_batch` must take one argument, the DataFrame of "
                                f"the rows (one column per argument of `predict`): `def predict_batch(frame)`")
                found = True
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                if any(isinstance(t, ast.Name) and t.id == "predict_batch" for t in targets):
                    found = True
    return found


def _fields(fn: ast.FunctionDef, cell: Cell) -> list[Field]:
    args = fn.args
    if args.vararg or args.kwarg:
        raise _fail(f"cell {cell.index}: `predict` takes *args/**kwargs; name each input so it can become a field")
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = [*zip(positional, defaults, strict=True), *zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    if not pairs:
        raise _fail(f"cell {cell.index}: `predict` takes no inputs; its parameters become the request fields")
    out: list[Field] = []
    for arg, default in pairs:
        annotation = _schema_annotation(arg.annotation, arg.arg, cell) if arg.annotation is not None else "Any"
        if default is None:
            out.append(Field(arg.arg, annotation, True))
            continue
        ok, value = _literal(default)
        if not ok:
            raise _fail(
                f"cell {cell.index}: the default of `{arg.arg}` ({ast.unparse(default)}) is not a literal value"
            )
        out.append(Field(arg.arg, annotation, False, value, ast.unparse(default)))
    return out


# What the generated schema.py can resolve (docs/templates.md): builtins, and these names
# from `typing`, which it imports when an annotation uses them.
SCHEMA_TYPING_NAMES = ("Any", "Dict", "List", "Literal", "Optional", "Set", "Tuple", "Union")
SCHEMA_BUILTINS = ("str", "int", "float", "bool", "bytes", "list", "dict", "set", "frozenset", "tuple", "None")
# The return annotations the template types the response with; any other is served as `Any`.
RESPONSE_TYPES = ("str", "int", "float", "bool", "list", "dict")


class _TypingPrefix(ast.NodeTransformer):
    """``typing.Optional[str]`` -> ``Optional[str]`` (schema.py imports the bare names)."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == "typing" and node.attr in SCHEMA_TYPING_NAMES:
            return ast.copy_location(ast.Name(id=node.attr, ctx=node.ctx), node)
        return self.generic_visit(node)


def _unsupported_part(node: ast.expr) -> ast.expr | None:
    """The first part of an annotation schema.py cannot resolve, or None."""
    if isinstance(node, ast.Name):
        return None if node.id in SCHEMA_TYPING_NAMES or node.id in SCHEMA_BUILTINS else node
    if isinstance(node, ast.Constant):
        return None if node.value is None else node
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _unsupported_part(node.left) or _unsupported_part(node.right)
    if isinstance(node, ast.Subscript):
        if isinstance(node.value, ast.Name) and node.value.id == "Literal":
            values = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            ok = all(isinstance(v, ast.Constant) and isinstance(v.value, (str, int, bool, type(None))) for v in values)
            return None if ok else node
        head = _unsupported_part(node.value)
        if head is not None:
            return head
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for item in items:
            if isinstance(item, ast.Constant) and item.value is Ellipsis:  # tuple[int, ...]
                continue
            bad = _unsupported_part(item)
            if bad is not None:
                return bad
        return None
    return node


def _schema_annotation(node: ast.expr, name: str, cell: Cell) -> str:
    """The annotation of parameter ``name`` as schema.py can use it. Raises BuildError."""
    fixed = _TypingPrefix().visit(copy.deepcopy(node))
    bad = _unsupported_part(fixed)
    if bad is not None:
        shown = ast.unparse(node)
        part = ast.unparse(bad)
        detail = "" if part == shown else f" (`{part}`)"
        raise _fail(
            f"cell {cell.index}: the annotation of `{name}` is `{shown}`{detail}, which the request schema cannot "
            f"use: annotate with builtins ({', '.join(t for t in SCHEMA_BUILTINS)}) and, from typing, "
            f"{', '.join(SCHEMA_TYPING_NAMES)} (e.g. `list[float]`, `Optional[str]`, `Literal['a', 'b']`), "
            "and convert inside `predict`"
        )
    return ast.unparse(fixed)


def _return_annotation(fn: ast.FunctionDef) -> str:
    if fn.returns is None:
        return "Any"
    fixed = _TypingPrefix().visit(copy.deepcopy(fn.returns))
    return ast.unparse(fixed)


def _import_time_reads(stmts: list[ast.stmt], artifacts: set[str]) -> str | None:
    """An artifact that ``stmts`` read when they run at import, not inside a function."""
    if not artifacts:
        return None
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if found:
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # decorators and defaults run at import; the body and annotations do not need to
            for child in [*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
                visit(child)
            return
        if isinstance(node, ast.Lambda):
            for child in [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
                visit(child)
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in artifacts:
            found.append(node.id)
            return
        for inner in ast.iter_child_nodes(node):
            visit(inner)

    for stmt in stmts:
        visit(stmt)
    return found[0] if found else None


def _training_code_problem(cell: Cell) -> str | None:
    """Python that cannot run inside train.py's ``run_training()`` function."""
    tree = cell.parsed.tree
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            return "uses `import *`, which cannot run inside train.py's function: import the names you use"
        if isinstance(node, ast.Global):
            return (f"declares `global {', '.join(node.names)}`, which means something else inside train.py's "
                    "function: pass values as arguments and return them instead")
    for stmt in tree.body:
        if isinstance(stmt, ast.Nonlocal):
            return "uses `nonlocal` outside a function"
    return None


def _free_names(cells: list[Cell]) -> list[str]:
    """Names the code of ``cells`` reads but neither imports nor defines, in order."""
    body: list[ast.stmt] = []
    for c in cells:
        if c.parsed.tree is None:
            err = c.parsed.syntax_error
            raise _fail(f"cell {c.index} does not parse: {err.message if err else 'syntax error'}")
        if c.parsed.magics:
            m = c.parsed.magics[0]
            shown = f"%{m.name}" if m.kind in ("line", "cell") else "!shell command"
            raise _fail(f"cell {c.index} is exported to the service but uses IPython syntax ({shown}) on line {m.line}")
        body.extend(c.parsed.tree.body)
    names: list[str] = []
    for kind, name, _node, _top, _in_function in _pyflakes.check(ast.Module(body=body, type_ignores=[]), IPYTHON_NAMES):
        if kind == "undefined" and name not in names:
            names.append(name)
    return names


def _title(nb: Notebook) -> tuple[str, str]:
    for cell in nb.cells:
        if cell.cell_type != "markdown" or not cell.source.strip():
            continue
        lines = cell.source.strip().splitlines()
        m = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", lines[0])
        if not m:
            return "", ""
        rest = "\n".join(lines[1:]).strip().split("\n\n")[0]
        return m.group(1).strip(), " ".join(rest.split())
    return "", ""


def parse_parameter(text: str) -> tuple[str, Any]:
    """``name=value`` from the command line; the value is a Python literal, else a string."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise _fail(f"-p {text!r}: expected name=value")
    try:
        value = ast.literal_eval(raw.strip())
    except (ValueError, SyntaxError):
        value = raw
    return name, value


def _parameters(cell: Cell | None) -> dict[str, Any]:
    if cell is None or cell.parsed.tree is None:
        return {}
    values: dict[str, Any] = {}
    for stmt in cell.parsed.tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            ok, value = _literal(stmt.value)
            if ok:
                values[stmt.targets[0].id] = value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            ok, value = _literal(stmt.value)
            if ok:
                values[stmt.target.id] = value
    return values


_SEED_CALLS = {
    "random.seed", "numpy.random.seed", "numpy.random.default_rng", "numpy.random.RandomState",
    "torch.manual_seed", "tensorflow.random.set_seed", "tensorflow.keras.utils.set_random_seed",
    "keras.utils.set_random_seed", "lightning.seed_everything", "pytorch_lightning.seed_everything",
    "transformers.set_seed",
}


def _seeds(analysis: Analysis, skipped: set[int]) -> list[dict[str, Any]]:
    seeds: list[dict[str, Any]] = []
    for call in analysis.calls:
        if call.cell.index in skipped:
            continue
        if call.qualname in _SEED_CALLS and call.node.args:
            ok, value = _literal(call.node.args[0])
            seeds.append({"call": call.local_name, "value": value if ok else ast.unparse(call.node.args[0]),
                          "cell": call.cell.index})
        elif "random_state" in call.keywords:
            ok, value = _literal(call.keywords["random_state"])
            seeds.append({"call": f"{call.local_name}(random_state=...)",
                          "value": value if ok else ast.unparse(call.keywords["random_state"]),
                          "cell": call.cell.index})
    return seeds


# `-p` names the build takes for itself when the parameters cell does not assign them.
BUILD_PARAMETERS = ("owner",)


def _owner(overrides: dict[str, Any]) -> str | None:
    """``-p owner=...``: who answers for the model (MODEL_CARD.md)."""
    if "owner" not in overrides:
        return None
    value = overrides["owner"]
    owner = " ".join(str(value).split()) if value is not None else ""
    if not owner:
        raise _fail("-p owner=...: give the owner's name, e.g. -p owner='Jane Doe <jane@example.com>'")
    return owner


def _same_kind(original: Any, value: Any) -> bool:
    """Whether ``-p`` gives a value of the kind the parameters cell has (ints may become
    floats and back; ``None`` in the cell accepts anything)."""
    if original is None or type(original) is type(value):
        return True
    numbers = (int, float)
    return (
        not isinstance(original, bool)
        and not isinstance(value, bool)
        and isinstance(original, numbers)
        and isinstance(value, numbers)
    )


def make_plan(nb: Notebook, overrides: dict[str, Any] | None = None) -> BuildPlan:
    """Check the tags and derive what the build needs. Raises :class:`BuildError`."""
    if not nb.is_python:
        raise _fail(f"the notebook's kernel language is {nb.language!r}; nb2prod builds Python notebooks")
    analysis = Analysis(nb)

    def tagged(tag: str) -> list[Cell]:
        return [c for c in nb.cells if c.is_code and tag in c.nb2prod_tags]

    skip_cells = tagged("skip")
    skipped = {c.index for c in skip_cells}
    predict_cells = [c for c in tagged("predict") if c.index not in skipped]
    if not predict_cells:
        raise _fail("no cell is tagged `predict`: tag the cell that defines `def predict(...)` "
                    "(metadata tag `predict`, or a first line `# nb2prod: predict`)")
    if len(predict_cells) > 1:
        raise _fail(f"{len(predict_cells)} cells are tagged `predict` (cells "
                    f"{', '.join(str(c.index) for c in predict_cells)}); keep one")
    predict_cell = predict_cells[0]
    fn = _predict_function(predict_cell)
    fields = _fields(fn, predict_cell)
    serve_cells = [c for c in tagged("serve") if c.index not in skipped and c is not predict_cell]

    param_cells = [c for c in tagged("parameters") if c.index not in skipped]
    parameters_cell = param_cells[0] if param_cells else None
    parameters = _parameters(parameters_cell)
    owner = _owner(overrides or {})
    for name, value in (overrides or {}).items():
        if name in BUILD_PARAMETERS and name not in parameters:
            continue  # for the build itself, not injected into the notebook
        if parameters_cell is None:
            raise _fail(f"-p {name}=...: the notebook has no cell tagged `parameters`")
        if name not in parameters:
            known = ", ".join(sorted(parameters)) or "none"
            raise _fail(f"-p {name}=...: the parameters cell (cell {parameters_cell.index}) "
                        f"assigns no `{name}` (it has: {known})")
        if not _same_kind(parameters[name], value):
            raise _fail(f"-p {name}={value!r}: the parameters cell (cell {parameters_cell.index}) sets `{name}` "
                        f"to {type(parameters[name]).__name__} {parameters[name]!r}; give a value of that type")
        parameters[name] = value

    exported = sorted([*serve_cells, predict_cell], key=lambda c: c.index)
    free = _free_names(exported)
    resolution = resolve(nb, exported, skipped, [(name, _reader(name, exported, predict_cell)) for name in free])
    artifacts = resolution.artifacts
    artifact_cells = {n.name: n.cell for n in resolution.of_kind(ARTIFACT)}
    _check_import_time(exported, predict_cell, resolution)

    not_trained = skipped | {c.index for c in [*tagged("test"), *tagged("example")]}
    for c in nb.cells:
        if not c.is_code or c.index in not_trained or not c.source.strip():
            continue
        problem = _training_code_problem(c)
        if problem is not None:
            kind = "predict cell" if c is predict_cell else "serve cell" if c in serve_cells else "training cell"
            raise _fail(f"{kind} {c.index} {problem}")

    export_modules = exported_modules(resolution)

    test_cells = [c for c in tagged("test") if c.index not in skipped]
    exported_names = ({n for c in exported for n, _ in _bindings(c)} | set(resolution.needs)
                      | {"example", "examples"})
    exported_tests: list[Cell] = []
    notebook_only: dict[int, list[str]] = {}
    for c in test_cells:
        if c.parsed.tree is None or c.parsed.magics:
            notebook_only[c.index] = ["(IPython syntax)"]
            continue
        needs = [n for n in _free_names([c]) if n not in exported_names]
        if needs:
            notebook_only[c.index] = needs
        else:
            exported_tests.append(c)

    title, description = _title(nb)
    return BuildPlan(
        nb=nb,
        predict_cell=predict_cell,
        fields=fields,
        return_annotation=_return_annotation(fn),
        serve_cells=serve_cells,
        parameters_cell=parameters_cell,
        parameters=parameters,
        example_cells=[c for c in tagged("example") if c.index not in skipped],
        reference_cells=[c for c in tagged("reference") if c.index not in skipped],
        test_cells=test_cells,
        skip_cells=skip_cells,
        artifacts=artifacts,
        artifact_cells=artifact_cells,
        export_modules=export_modules,
        exported_test_cells=exported_tests,
        notebook_only_tests=notebook_only,
        seeds=_seeds(analysis, skipped),
        title=title,
        description=description,
        owner=owner,
        notebook_definitions=resolution.definitions,
        resolution=resolution,
        serving_cell=resolution.serving_cell,
        rebound=resolution.rebound,
        predict_batch=_has_predict_batch(exported),
    )


def _bindings(cell: Cell) -> list[tuple[str, int]]:
    from nb2prod.analysis import _top_level_bindings

    tree = cell.parsed.tree
    return list(_top_level_bindings(tree)) if tree is not None else []


def _reader(name: str, exported: list[Cell], predict_cell: Cell) -> str:
    """Which exported cell reads ``name`` (for messages): ``predict`` or ``serve cell N``."""
    for cell in [predict_cell, *exported]:
        tree = cell.parsed.tree
        if tree is not None and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(tree)):
            return "`predict`" if cell is predict_cell else f"serve cell {cell.index}"
    return "`predict`"


def _check_import_time(exported: list[Cell], predict_cell: Cell, resolution: Resolution) -> None:
    """The service imports its code before it loads the artifacts: no exported statement
    may read one at import time (a decorator, a default, a class body...)."""
    artifacts = set(resolution.artifacts)
    for c in exported:
        read = _import_time_reads(c.parsed.tree.body if c.parsed.tree is not None else [], artifacts)
        if read is not None:
            tag = "predict" if c is predict_cell else "serve"
            raise _fail(f"{tag} cell {c.index} reads `{read}` at import time; the service loads artifacts after "
                        "importing the code: read it inside a function, or compute it in the training cells")
    for need in resolution.of_kind(DEFINITION):
        stmt = ast.parse(need.code).body
        read = _import_time_reads(stmt, artifacts)
        if read is not None:
            raise _fail(f"`{need.name}` (cell {need.cell}), which {need.reader} uses, reads `{read}` when it is "
                        "defined (in a decorator, a default value or a class body); the service defines it before "
                        "the artifacts are loaded: read it inside the function instead")


def exported_modules(resolution: Resolution) -> list[str]:
    """The top-level modules the service's code imports (at any depth: a module imported
    inside a function counts), in order."""
    trees: list[ast.AST] = [c.parsed.tree for c in resolution.exported if c.parsed.tree is not None]
    trees += [ast.parse(n.code) for n in resolution.exported_statements()]
    return imported_tops(trees)
