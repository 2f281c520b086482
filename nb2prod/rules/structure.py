"""NB7xx: structure and build. Clean code, a well-formed file, and tags that build."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from nb2prod import tags as tagmod
from nb2prod.analysis import Analysis
from nb2prod.code import PYTHON_BODY_CELL_MAGICS
from nb2prod.diagnostics import Finding, Severity
from nb2prod.rules._base import Rule, register
from nb2prod.rules.execution import NameFromHiddenState, UseBeforeDefinition
from nb2prod.suppression import Suppression


@register
class UndefinedName(Rule):
    """## What it does
    Finds names that are read but defined nowhere in the notebook (pyflakes).

    ## Why is this bad?
    The code raises `NameError` when it runs. In a notebook this is often a typo, or a
    name from a module that was never imported.

    ## Example
    ```python
    df = pd.read_csv("iris.csv")    # `pd` never imported
    ```

    ## Use instead
    ```python
    import pandas as pd
    df = pd.read_csv("iris.csv")
    ```

    ## Fix
    Define or import the name in a cell above its first use.
    """

    code = "NB701"
    name = "undefined-name"
    severity = Severity.ERROR
    summary = "A name is used but defined nowhere in the notebook"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        defs = nb.module_definitions
        dynamic = nb.dynamic_namespace_from
        for p in nb.name_problems:
            if p.kind != "undefined":
                continue
            d = defs.get(p.name)
            if d is not None:
                line = p.node.lineno + p.offset  # type: ignore[attr-defined]
                if (d.cell.index, d.line) <= (p.cell.index, line) or nb.runs(UseBeforeDefinition.code):
                    continue  # bound by a magic pyflakes cannot see, or NB304's case
            if dynamic is not None and p.cell.index >= dynamic:
                continue
            if (
                nb.runs(NameFromHiddenState.code)
                and not p.in_function
                and p.cell.execution_count is not None
                and not p.cell.has_error_output()
            ):
                continue  # NB305 reports it: it existed when the cell ran
            yield self.at(p.cell, f"undefined name `{p.name}`", node=p.node, offset=p.offset)


@register
class UnusedImport(Rule):
    """## What it does
    Finds imports that no cell uses (pyflakes, over the whole notebook).

    ## Why is this bad?
    Unused imports slow start-up, and when the service is built they become
    dependencies that must be installed for nothing.

    ## Example
    ```python
    import os
    import numpy as np
    x = np.zeros(3)
    ```

    ## Use instead
    ```python
    import numpy as np
    x = np.zeros(3)
    ```

    ## Fix
    Delete the import, or add `# noqa: NB702` if it is imported for a side effect.

    Not reported: names used only in a magic's Python (`%timeit np.sum(x)`); an import
    in the `try` of a `try: ... except ImportError` (it checks that the package is
    installed); and modules imported for what importing them does:
    `sklearn.experimental.enable_*` (enables experimental estimators),
    `mpl_toolkits.mplot3d` and its `Axes3D` (registers the `3d` projection),
    `hvplot.pandas` and the other `hvplot.*` modules, `swifter`, `pandas_profiling`,
    `ydata_profiling`, `janitor`, `sidetable`, `cufflinks`, `pandas_ta`, `pint_pandas`,
    `rioxarray`, `cf_xarray`, `pint_xarray` (register accessors such as `df.hvplot`,
    `df.swifter`, `da.rio`) and `tensorflow_text` (registers TensorFlow ops that saved
    models need). `import seaborn` alone is reported: since seaborn 0.8 importing it no
    longer restyles plots.
    """

    code = "NB702"
    name = "unused-import"
    severity = Severity.WARNING
    summary = "An import is never used"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for p in nb.name_problems:
            if p.kind == "unused-import" and not imported_for_side_effect(p.name.split(" as ", 1)[0]):
                yield self.at(p.cell, f"`{p.name}` imported but unused", node=p.node, offset=p.offset)


# Modules imported for what importing them does (see NB702's documentation): the module
# and everything imported from it; and prefixes of module names.
_SIDE_EFFECT_MODULES = frozenset({
    "__future__", "mpl_toolkits.mplot3d", "swifter", "pandas_profiling", "ydata_profiling", "janitor",
    "sidetable", "cufflinks", "pandas_ta", "pint_pandas", "rioxarray", "cf_xarray", "pint_xarray",
    "tensorflow_text",
})
_SIDE_EFFECT_PREFIXES = ("sklearn.experimental.enable_", "hvplot.")


def imported_for_side_effect(dotted: str) -> bool:
    """Whether ``dotted`` (a module, or ``module.name`` imported from it) is imported for
    the side effect of importing it."""
    if dotted.startswith(_SIDE_EFFECT_PREFIXES):
        return True
    parts = dotted.split(".")
    return any(".".join(parts[:i]) in _SIDE_EFFECT_MODULES for i in range(1, len(parts) + 1))


@register
class EmptyCell(Rule):
    """## What it does
    Finds cells with no content.

    ## Why is this bad?
    Empty cells are noise left over from editing; they make a notebook harder to read
    and review.

    ## Example
    ```text
    [3] model.fit(X, y)
    [ ]
    ```

    ## Use instead
    ```text
    [3] model.fit(X, y)
    ```

    ## Fix
    Delete the cell.
    """

    code = "NB703"
    name = "empty-cell"
    severity = Severity.INFO
    summary = "A cell is empty"
    needs_python = False

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for cell in nb.nb.cells:
            if not cell.source.strip() and not cell.outputs:
                yield self.at(cell, f"empty {cell.cell_type} cell")


@register
class HugeOutput(Rule):
    """## What it does
    Finds cells whose saved outputs are larger than `max-output-bytes` (default 1 MB)
    or whose text output is longer than `max-cell-output-lines` lines (default 500).

    ## Why is this bad?
    Huge outputs bloat the repository, make diffs unreadable, slow every tool that
    opens the file, and often contain data that should not be in version control.

    ## Example
    ```python
    df    # prints 100,000 rows
    ```

    ## Use instead
    ```python
    df.head()
    ```

    ## Fix
    Print a summary instead, or clear the outputs before committing
    (`jupyter nbconvert --clear-output`).
    """

    code = "NB704"
    name = "huge-output"
    severity = Severity.WARNING
    summary = "A cell's output is very large"
    needs_python = False

    def check(self, nb: Analysis) -> Iterator[Finding]:
        max_bytes = nb.option("max-output-bytes", 1_000_000)
        max_lines = nb.option("max-cell-output-lines", 500)
        # A file smaller than the limit cannot hold a cell whose outputs exceed it.
        size = nb.nb.size_bytes
        check_bytes = size is None or size > max_bytes
        for cell in nb.code_cells:
            if not cell.outputs:
                continue
            size = sum(_output_size(o) for o in cell.outputs) if check_bytes else 0
            if size > max_bytes:
                yield self.at(cell, f"outputs take {_human(size)} (limit {_human(max_bytes)})")
                continue
            for i, out in enumerate(cell.outputs, start=1):
                n = _text_lines(out)
                if n > max_lines:
                    yield self.at(cell, f"the output has {n} lines of text (limit {max_lines})", output=i)
                    break


def _output_size(out: dict[str, Any]) -> int:
    """Bytes the output takes in the file (UTF-8, as nbformat writes it)."""
    try:
        return len(json.dumps(out, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        return 0


def _text_lines(out: dict[str, Any]) -> int:
    text = out.get("text")
    if text is None:
        data = out.get("data")
        text = data.get("text/plain") if isinstance(data, dict) else None
    if isinstance(text, list):
        return len(text)
    if isinstance(text, str):
        return text.count("\n") + 1
    return 0


def _human(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return f"{n} B"  # pragma: no cover


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+\S|<h[1-6][\s>]", re.M | re.I)
_SETEXT = re.compile(r"^\S.*\n\s{0,3}(=+|-+)\s*$", re.M)
# A first line that is all bold (`**Chapter 5 - Support Vector Machines**`): many books
# and courses set their title this way instead of as a heading.
_BOLD_TITLE = re.compile(r"^\s{0,3}(\*\*|__)(?=\S)[^\n]{3,}?(?<=\S)\1\s*$")


def _has_title(source: str) -> bool:
    if _HEADING.search(source) or _SETEXT.search(source):
        return True
    first = next((line for line in source.splitlines() if line.strip()), "")
    return bool(_BOLD_TITLE.match(first))


@register
class NoTitle(Rule):
    """## What it does
    Checks that the notebook starts with a title: a Markdown (or HTML) heading in a
    Markdown cell above the first code cell, or in the first Markdown cell when code
    comes first (or a `title` in the notebook metadata). A cell whose first line is all
    bold (`**Chapter 5 - Support Vector Machines**`) has a title too, as books and
    courses often write it. A banner or navigation cell above the title is fine.

    ## Why is this bad?
    A notebook without a title and description is hard to find, review and hand over;
    the model card of a built service takes its title from here.

    ## Example
    ```python
    import pandas as pd      # the first cell is code
    ```

    ## Use instead
    ```markdown
    # Iris species classifier
    Trains a logistic regression on the iris measurements.
    ```

    ## Fix
    Insert a Markdown cell at the top with a `# Title` and a sentence or two.
    """

    code = "NB705"
    name = "no-title"
    severity = Severity.INFO
    summary = "The notebook has no title"
    needs_python = False

    def check(self, nb: Analysis) -> Iterator[Finding]:
        if isinstance(nb.nb.metadata.get("title"), str) and nb.nb.metadata["title"].strip():
            return
        if not nb.nb.cells:
            return
        first_md = next((c for c in nb.nb.cells if c.cell_type == "markdown" and c.source.strip()), None)
        preamble = []  # the Markdown cells above the first code cell, else the first one
        for c in nb.nb.cells:
            if c.is_code and c.source.strip():
                break
            if c.cell_type == "markdown":
                preamble.append(c)
        if first_md is not None and not preamble:
            preamble = [first_md]
        if any(_has_title(c.source) for c in preamble):
            return
        target = first_md or nb.nb.cells[0]
        if first_md is None:
            yield self.at(nb.nb.cells[0], "the notebook has no Markdown title")
        else:
            yield self.at(target, "the first Markdown cell has no heading to serve as title")


@register
class PredictCellWithoutFunction(Rule):
    """## What it does
    Checks that a cell tagged `predict` defines a function named `predict`.

    ## Why is this bad?
    `nb2prod build` serves the `predict` function of that cell; its signature becomes
    the request schema. Without it there is nothing to serve.

    ## Example
    ```python
    # nb2prod: predict
    model.predict(X)
    ```

    ## Use instead
    ```python
    # nb2prod: predict
    def predict(sepal_length: float, sepal_width: float) -> str:
        return model.predict([[sepal_length, sepal_width]])[0]
    ```

    ## Fix
    Wrap the serving code in `def predict(...)` with typed parameters.
    """

    code = "NB706"
    name = "predict-cell-without-function"
    severity = Severity.ERROR
    summary = "A `predict` cell defines no `predict` function"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for cell in nb.cells_tagged("predict"):
            if not cell.is_code:
                yield self.at(cell, f"a {cell.cell_type} cell is tagged `predict`; only code cells can be")
                continue
            tree = cell.parsed.tree
            if tree is None:
                continue  # NB708 reports the syntax error
            defined = any(
                isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "predict" for s in tree.body
            )
            if defined:
                continue
            assigned = any(
                isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "predict" for t in s.targets)
                for s in tree.body
            )
            why = "assigns `predict` but does not define it with `def`" if assigned else "defines no `predict` function"
            yield self.at(cell, f"cell tagged `predict` {why}")


@register
class UnknownTag(Rule):
    """## What it does
    Finds nb2prod tags that are not in the vocabulary: a `nb2prod:` tag or a
    `# nb2prod:` comment naming something other than `parameters`, `predict`,
    `serve`, `example`, `reference`, `metrics`, `test`, `skip` (or `ignore:CODE`).

    ## Why is this bad?
    A misspelt tag (`nb2prod:predcit`) silently does nothing: the cell is treated as
    training code and the build does not do what you meant.

    ## Example
    ```python
    # nb2prod: predcit
    def predict(x: float) -> float: ...
    ```

    ## Use instead
    ```python
    # nb2prod: predict
    def predict(x: float) -> float: ...
    ```

    ## Fix
    Correct the tag. Plain tags of other tools (`hide-input`) are never reported.
    """

    code = "NB707"
    name = "unknown-tag"
    severity = Severity.ERROR
    summary = "An nb2prod tag is not in the vocabulary"
    needs_python = False

    def check(self, nb: Analysis) -> Iterator[Finding]:
        known = ", ".join(tagmod.TAGS)
        for cell in nb.nb.cells:
            for tag in tagmod.unknown_namespaced_tags(cell.tags, cell.comment_tags):
                yield self.at(cell, f"unknown nb2prod tag `{tag}` (known: {known})")


@register
class SyntaxErrorInCell(Rule):
    """## What it does
    Finds code cells that are not valid Python even after IPython's transforms
    (magics and `!shell` lines are understood and never reported here).

    ## Why is this bad?
    The cell cannot run, and no other rule can check it.

    ## Example
    ```python
    for x in range(3)
        print(x)
    ```

    ## Use instead
    ```python
    for x in range(3):
        print(x)
    ```

    ## Fix
    Correct the syntax.
    """

    code = "NB708"
    name = "syntax-error"
    severity = Severity.ERROR
    summary = "A code cell does not parse"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for cell in nb.code_cells:
            err = cell.parsed.syntax_error
            if err is not None:
                yield self.at(cell, f"syntax error: {err.message}", line=err.line, column=err.column)


class _DefinesRule(Rule):
    tag: str = ""
    names: tuple[str, ...] = ()

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for cell in nb.cells_tagged(self.tag):
            if not cell.is_code or cell.parsed.tree is None:
                continue
            bound = {n for n, _ in _bindings(cell.parsed.tree)}
            if not bound.intersection(self.names):
                wanted = " or ".join(f"`{n}`" for n in self.names)
                yield self.at(cell, f"cell tagged `{self.tag}` does not assign {wanted}")


def _bindings(tree: ast.Module) -> Iterator[tuple[str, int]]:
    from nb2prod.analysis import _top_level_bindings

    return _top_level_bindings(tree)


@register
class ExampleCellWithoutExample(_DefinesRule):
    """## What it does
    Checks that a cell tagged `example` assigns `example` (keyword arguments of
    `predict`, as a dict) or `examples` (a list of such dicts).

    ## Why is this bad?
    The build uses the examples for the OpenAPI documentation, the smoke test and the
    parity check between the notebook and the service. Without them, none of these.

    ## Example
    ```python
    # nb2prod: example
    predict(5.1, 3.5)
    ```

    ## Use instead
    ```python
    # nb2prod: example
    example = {"sepal_length": 5.1, "sepal_width": 3.5}
    ```

    ## Fix
    Assign `example = {...}` with the arguments of `predict`.
    """

    code = "NB709"
    name = "example-cell-without-example"
    severity = Severity.ERROR
    summary = "An `example` cell assigns neither `example` nor `examples`"
    tag = "example"
    names = ("example", "examples")


@register
class ReferenceCellWithoutReference(_DefinesRule):
    """## What it does
    Checks that a cell tagged `reference` assigns `reference`.

    ## Why is this bad?
    The service profiles `reference` (the training inputs) to validate requests and
    monitor drift. A `reference` cell that does not define it gives no profile.

    ## Example
    ```python
    # nb2prod: reference
    X_train.describe()
    ```

    ## Use instead
    ```python
    # nb2prod: reference
    reference = X_train
    ```

    ## Fix
    Assign the training inputs to `reference`.
    """

    code = "NB710"
    name = "reference-cell-without-reference"
    severity = Severity.ERROR
    summary = "A `reference` cell does not assign `reference`"
    tag = "reference"
    names = ("reference",)


_EXCLUSIVE = {"skip": {"predict", "serve", "example", "reference", "metrics", "test", "parameters"}}


@register
class ConflictingTags(Rule):
    """## What it does
    Finds cells with tags that contradict each other, such as `skip` together with
    `predict`, or `predict` on more than one cell.

    ## Why is this bad?
    `skip` cells are never run or exported, so a `skip`+`predict` cell serves nothing;
    two `predict` cells make it ambiguous which function is served.

    ## Example
    ```text
    tags: ["skip", "predict"]
    ```

    ## Use instead
    ```text
    tags: ["predict"]
    ```

    ## Fix
    Keep one meaning per cell, and one `predict` cell per notebook.
    """

    code = "NB711"
    name = "conflicting-tags"
    severity = Severity.ERROR
    summary = "Tags on a cell contradict each other, or `predict` is on several cells"
    needs_python = False

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for cell in nb.nb.cells:
            tags = cell.nb2prod_tags
            for tag, excluded in _EXCLUSIVE.items():
                clash = sorted(tags & excluded) if tag in tags else []
                if clash:
                    yield self.at(cell, f"`{tag}` cannot be combined with {', '.join(f'`{c}`' for c in clash)}")
        predict_cells = nb.cells_tagged("predict")
        for extra in predict_cells[1:]:
            yield self.at(extra, f"a second `predict` cell (the first is cell {predict_cells[0].index})")


_BUILD_TAGS = {"serve", "example", "reference"}


@register
class MissingPredictCell(Rule):
    """## What it does
    Finds notebooks that use build tags (`serve`, `example`, `reference`) but have no
    cell tagged `predict`.

    ## Why is this bad?
    `nb2prod build` needs a `predict` function to serve; the other tags only make sense
    around one.

    ## Example
    ```text
    cell 4 tags: ["serve"]      # and no "predict" anywhere
    ```

    ## Use instead
    ```text
    cell 4 tags: ["serve"]
    cell 5 tags: ["predict"]    # def predict(...)
    ```

    ## Fix
    Tag the cell that defines `def predict(...)` with `predict`.
    """

    code = "NB712"
    name = "missing-predict-cell"
    severity = Severity.ERROR
    summary = "Build tags are used but no cell is tagged `predict`"
    needs_python = False

    def check(self, nb: Analysis) -> Iterator[Finding]:
        if nb.cells_tagged("predict"):
            return
        for cell in nb.nb.cells:
            used = sorted(cell.nb2prod_tags & _BUILD_TAGS)
            if used:
                yield self.at(cell, f"tagged `{used[0]}` but no cell is tagged `predict`")
                return


@register
class ScatteredImports(Rule):
    """## What it does
    Finds the first import of a package in a cell after the first cell that does real
    work, when no cell above imported that package (a later `from sklearn.metrics
    import f1_score` after `import sklearn...` at the top is not reported, nor is a
    repeated `import numpy as np`). One finding per import statement.

    Setting up is not work: imports, calls and other expressions (`%matplotlib inline`,
    `print(np.__version__)`, `warnings.filterwarnings(...)`), function and class
    definitions (they run where they are called), assignments of constants and of values
    built from them (`SEED = 42`, `IMAGES = Path() / "images" / "ch05"`,
    `out = f"{name}-finetuned"`, `device = "cuda" if torch.cuda.is_available() else "cpu"`,
    a distribution strategy), configuration (`os.environ["X"] = "1"`, `plt.rcParams[...] = ...`),
    checks of the environment (`assert sklearn.__version__ >= "1.0"`,
    `if sys.version_info < (3, 8): raise ...`), and `if`/`try` blocks of only these
    (`try: import x / except ImportError: %pip install x`). Cells tagged `predict`,
    `serve` or `test` may carry their own imports; `skip` cells are not read.

    ## Why is this bad?
    Imports spread through a notebook hide its dependencies; a reader (and the build)
    finds out what it needs only at the end.

    ## Example
    ```python
    # cell 1
    import pandas as pd
    df = pd.read_csv("iris.csv")
    # cell 7
    import seaborn as sns
    ```

    ## Use instead
    ```python
    # cell 1
    import pandas as pd
    import seaborn as sns
    ```

    ## Fix
    Move imports to the first code cell.
    """

    code = "NB713"
    name = "scattered-imports"
    severity = Severity.INFO
    summary = "A package is first imported after code that does work"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        seen_work = False
        imported: set[str] = set()  # packages imported so far (top-level names)
        for cell in nb.parsed_cells:
            tags = cell.nb2prod_tags
            if "skip" in tags:
                continue  # never run
            own = bool(tags & {"predict", "serve", "test"})  # may carry their own imports
            body = cell.parsed.tree.body  # type: ignore[union-attr]
            for stmt in body:
                if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                    packages = _packages(stmt)
                    new = [p for p in dict.fromkeys(packages) if p not in imported]
                    if seen_work and new and not own:
                        what = ", ".join(f"`{p}`" for p in new)
                        yield self.at(
                            cell,
                            f"{what} first imported here, after the notebook started its work; "
                            "move the import to the first code cell",
                            node=stmt,
                            offset=cell.parsed.line_offset,
                        )
                    imported.update(packages)
                else:  # imports inside `if` / `try` blocks count as imported too
                    for node in _module_level_nodes(stmt):
                        if isinstance(node, (ast.Import, ast.ImportFrom)):
                            imported.update(_packages(node))
            if not own and any(_is_work(s, nb) for s in body):
                seen_work = True


def _packages(stmt: ast.Import | ast.ImportFrom) -> list[str]:
    """The packages an import names: top-level module names; `.mod` for relative imports."""
    if isinstance(stmt, ast.Import):
        return [a.name.split(".", 1)[0] for a in stmt.names]
    if stmt.level:
        return ["." * stmt.level + (stmt.module or "").split(".", 1)[0]]
    return [(stmt.module or "").split(".", 1)[0]]


def _module_level_nodes(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of ``stmt`` outside function and class bodies."""
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


# What a check of the environment reads: versions, the platform, installed modules.
_ENVIRONMENT_ATTRS = frozenset({"__version__", "version_info", "version", "VERSION", "modules", "platform",
                                "python_version", "find_spec", "executable", "environ"})
_ENVIRONMENT_MODULES = frozenset({"sys", "platform", "os", "importlib", "pkg_resources", "packaging"})


def _reads_environment(expr: ast.expr) -> bool:
    """Whether ``expr`` reads the environment: a package version (`x.__version__`,
    `sys.version_info`), the platform, `sys.modules`, `os.environ`, `find_spec(...)`."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Attribute) and node.attr in _ENVIRONMENT_ATTRS:
            return True
        if isinstance(node, ast.Name) and (node.id in _ENVIRONMENT_MODULES or node.id.endswith("_version")
                                           or node.id in ("IN_COLAB", "COLAB", "IS_COLAB")):
            return True
    return False


# Calls that only build a path or pick a device or a distribution strategy: setting up.
_SETUP_CALLS = frozenset({"Path", "PurePath", "PosixPath", "WindowsPath", "join", "joinpath", "expanduser",
                          "abspath", "device", "get_strategy", "is_available", "device_count", "str", "int", "float",
                          "dict", "list", "tuple"})
_SETUP_CALL_SUFFIXES = ("Strategy", "ClusterResolver")


def _is_setup_value(value: ast.expr | None, constants: frozenset[str] = frozenset()) -> bool:
    """A value that sets up rather than computes: a literal, a read of the environment, or
    an expression of those, of names holding them (``constants``), of paths
    (`Path() / "images" / "ch05"`), of f-strings, and of device or strategy choices
    (`"cuda" if torch.cuda.is_available() else "cpu"`, `TPUStrategy(resolver)`)."""
    if value is None:
        return True
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    else:
        return True
    if _reads_environment(value):
        return True
    for node in ast.walk(value):
        if isinstance(node, ast.Call):
            func = node.func
            last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if not (last in _SETUP_CALLS or last.endswith(_SETUP_CALL_SUFFIXES)):
                return False
        elif isinstance(node, ast.Name):
            if node.id not in constants and not isinstance(node.ctx, ast.Store):
                return False
        elif isinstance(node, (ast.Subscript, ast.Lambda, ast.comprehension, ast.Await, ast.Yield, ast.YieldFrom)):
            return False
    return True


def _setup_names(nb: Analysis) -> frozenset[str]:
    return nb.fact(_compute_setup_names)


def _compute_setup_names(nb: Analysis) -> frozenset[str]:
    """Names that every top-level assignment in the notebook gives a setup value (see
    :func:`_is_setup_value`), found by growing the set until it stops changing; module
    aliases count too (`Path`, `torch` in `torch.device("cpu")`)."""
    assigned: dict[str, list[ast.expr | None]] = {}
    for cell in nb.parsed_cells:
        for stmt in cell.parsed.tree.body:  # type: ignore[union-attr]
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for t in targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name):
                            assigned.setdefault(n.id, []).append(stmt.value)
    modules = {a.asname or a.name.split(".", 1)[0] for imp in nb.imports for a in imp.node.names}
    names = frozenset(modules)
    while True:
        grown = names | {n for n, values in assigned.items()
                         if n not in names and all(_is_setup_value(v, names) for v in values)}
        if grown == names:
            break
        names = frozenset(grown)
    return names


def _is_work(stmt: ast.stmt, nb: Analysis) -> bool:
    """Whether ``stmt`` does real work, rather than set the notebook up (see NB713)."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Expr, ast.Pass, ast.Raise)):
        return False
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return False  # defining computes nothing; the work is where it is called
    if isinstance(stmt, ast.Assert):
        return not _reads_environment(stmt.test)
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if all(_configures_module(t, nb) for t in targets):
            return False  # os.environ["X"] = "1", plt.rcParams["figure.dpi"] = 100
        return not _is_setup_value(stmt.value, _setup_names(nb))
    if isinstance(stmt, ast.If):
        return any(_is_work(s, nb) for s in [*stmt.body, *stmt.orelse])
    if isinstance(stmt, ast.Try):
        inner = [*stmt.body, *stmt.orelse, *stmt.finalbody, *(s for h in stmt.handlers for s in h.body)]
        return any(_is_work(s, nb) for s in inner)
    return True


def _configures_module(target: ast.expr, nb: Analysis) -> bool:
    """An attribute or item of an imported module: ``os.environ[...]``, ``pd.options.x``."""
    if not isinstance(target, (ast.Attribute, ast.Subscript)):
        return False
    node: ast.expr = target
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return isinstance(node, ast.Name) and _is_module_alias(node.id, nb)


def _is_module_alias(name: str, nb: Analysis) -> bool:
    for imp in nb.imports:
        node = imp.node
        if isinstance(node, ast.Import) and any((a.asname or a.name.split(".", 1)[0]) == name for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == name for a in node.names):
            return True  # `from matplotlib import pyplot as plt`, `from os import environ`
    return False


@register
class LongCell(Rule):
    """## What it does
    Finds code cells with more than `max-cell-lines` lines of code (default 100; blank
    lines and comment lines are not counted). Cells whose body is not Python
    (`%%writefile`, `%%bash`, `%%html` ...) are not checked.

    ## Why is this bad?
    A cell that long does several things at once: it cannot be re-run in part, its
    output cannot be matched to the code that made it, and a failure in it could come
    from any of its lines. It is also where notebook code is hardest to review, test,
    and turn into the functions that a service needs.

    ## Example
    ```python
    # one cell: load, clean, engineer features, train, evaluate, plot (250 lines)
    df = pd.read_csv("data.csv")
    ...
    ```

    ## Use instead
    ```python
    # cell 1
    df = pd.read_csv("data.csv")
    # cell 2
    df = clean(df)
    # cell 3
    model = train(df)
    ```

    ## Fix
    Split the cell where it changes subject, or move its functions into a module that
    the notebook imports. To allow longer cells, raise `max-cell-lines`.
    """

    code = "NB715"
    name = "long-cell"
    severity = Severity.INFO
    summary = "A code cell has very many lines of code"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        limit = nb.option("max-cell-lines", 100)
        for cell in nb.code_cells:
            source = cell.source
            if source.count("\n") < limit:
                continue  # too few lines, whatever they hold
            cm = cell.parsed.cell_magic
            if cm is not None and cm.name not in PYTHON_BODY_CELL_MAGICS:
                continue  # a file, a script, HTML: not notebook Python
            n = sum(1 for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#"))
            if n > limit:
                yield self.at(
                    cell,
                    f"cell has {n} lines of code (limit {limit}): split it into smaller cells "
                    "or move its functions into a module",
                )


@register
class InvalidNotebookSchema(Rule):
    """## What it does
    Validates the file against the nbformat v4 JSON schema.

    ## Why is this bad?
    Tools that validate (nbconvert, papermill, nbclient, some viewers) refuse or warn
    about invalid notebooks. nb2prod still lints what it can read.

    ## Example
    ```text
    a code cell without "outputs", a cell with an unknown property
    ```

    ## Use instead
    ```text
    a notebook saved by Jupyter
    ```

    ## Fix
    Open and save the notebook in JupyterLab, or run
    `python -c "import nbformat as n; n.write(n.read('nb.ipynb', 4), 'nb.ipynb')"`.
    """

    code = "NB714"
    name = "invalid-notebook-schema"
    severity = Severity.WARNING
    summary = "The file does not validate against the nbformat schema"
    needs_python = False

    def check(self, nb: Analysis) -> Iterator[Finding]:
        err = nb.nb.schema_error
        if err:
            first = nb.nb.cells[0] if nb.nb.cells else None
            yield self.at(first, f"not a valid nbformat 4 notebook: {err}")


@register
class UnusedSuppression(Rule):
    """## What it does
    Finds `# noqa: NBxxx` comments and `nb2prod:ignore:NBxxx` cell tags that suppress
    nothing.

    ## Why is this bad?
    A stale suppression hides the next real problem of that kind on that line or cell.

    ## Example
    ```python
    import random
    random.seed(0)
    x = random.random()  # noqa: NB101
    ```

    ## Use instead
    ```python
    import random
    random.seed(0)
    x = random.random()
    ```

    ## Fix
    Remove the suppression (or the codes in it that no longer apply).
    """

    code = "NB720"
    name = "unused-suppression"
    severity = Severity.WARNING
    summary = "A suppression comment or tag suppresses nothing"
    needs_python = False

    def check(self, nb: Analysis) -> Iterator[Finding]:
        # Reported by the engine through :meth:`report` once every other rule has run:
        # whether a suppression was used depends on their findings.
        return iter(())

    def report(self, suppressions: Iterable[Suppression], enabled: Iterable[str],
               known: Iterable[str]) -> Iterator[Finding]:
        """Findings for the suppressions that suppressed nothing, given the codes of the
        rules that ran (``enabled``) and of every rule (``known``)."""
        enabled, known = list(enabled), list(known)
        for s in suppressions:
            unused = s.unused(enabled, known, exempt=self.code)
            if not unused:
                continue
            unknown = [p for p in unused if not any(c.startswith(p) for c in known)]
            what = ", ".join(unused)
            if s.line is None:
                msg = f"cell tag ignores {what}, but nothing here is reported for it"
            else:
                msg = f"`# noqa` for {what}, but nothing on this line is reported for it"
            if unknown:
                msg += f" (unknown code: {', '.join(unknown)})"
            yield self.at(s.cell, msg, line=s.line or 1, column=s.column)
