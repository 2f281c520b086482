"""NB7xx: structure and build. Clean code, a well-formed file, and tags that build."""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar

from nb2prod import _lazyre
from nb2prod import tags as tagmod
from nb2prod._ast import walk as walk_nodes
from nb2prod.analysis import Analysis, dotted_name
from nb2prod.code import PYTHON_BODY_CELL_MAGICS
from nb2prod.diagnostics import Finding, Severity
from nb2prod.fixes.common import remove_output
from nb2prod.fixes.model import Applicability, DeleteCell, Fix, SourceEdit
from nb2prod.fixes.text import line_end, line_starts, newline_of, node_span
from nb2prod.notebook import Cell
from nb2prod.rules._base import Rule, register
from nb2prod.rules.execution import NameFromHiddenState, UseBeforeDefinition
from nb2prod.suppression import NOQA, Suppression


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
    Delete the cell. The automatic fix (safe) deletes an empty code cell; not one with
    tags (an empty `parameters` cell still marks where papermill injects parameters),
    one whose metadata says it may not be deleted (`"deletable": false`), one that ran
    (its execution count would leave a gap in the saved runs), nor the notebook's only
    cell. Empty Markdown and raw cells are left to you: they can hold
    attachments, which the linter does not read.
    """

    code = "NB703"
    name = "empty-cell"
    severity = Severity.INFO
    summary = "A cell is empty"
    needs_python = False
    fix: ClassVar[Applicability | None] = Applicability.SAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for cell in nb.nb.cells:
            if not cell.source.strip() and not cell.outputs:
                yield self.at(cell, f"empty {cell.cell_type} cell", fix=self._delete(nb, cell))

    @staticmethod
    def _delete(nb: Analysis, cell: Cell) -> Fix | None:
        if cell.cell_type != "code" or len(nb.nb.cells) < 2:
            return None
        if not _deletable(cell):
            return None
        return Fix("delete the empty cell", (DeleteCell(cell.index, cell.id),), Applicability.SAFE)


def _deletable(cell: Cell) -> bool:
    """Whether deleting a code cell loses nothing it means: no outputs, no tags, no
    `"deletable": false`, and never executed (its execution count would leave a gap in
    the saved runs, NB306)."""
    if cell.outputs or cell.execution_count is not None:
        return False
    return not cell.metadata.get("tags") and cell.metadata.get("deletable") is not False


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
    (`jupyter nbconvert --clear-output`). `nb2prod lint --fix --unsafe-fixes` removes an
    output that has too many lines (the cell's other outputs and its execution count
    stay): unsafe, because what it showed is lost until the cell runs again. Outputs
    too large together are left to you (which of them to drop is your call).
    """

    code = "NB704"
    name = "huge-output"
    severity = Severity.WARNING
    summary = "A cell's output is very large"
    fix = Applicability.UNSAFE
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
                    yield self.at(cell, f"the output has {n} lines of text (limit {max_lines})", output=i,
                                  fix=remove_output(nb.nb, cell.index, i, f"{n} lines of text"))
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


_HEADING = _lazyre.compile(r"^\s{0,3}#{1,6}\s+\S|<h[1-6][\s>]", re.M | re.I)
_SETEXT = _lazyre.compile(r"^\S.*\n\s{0,3}(=+|-+)\s*$", re.M)
# A first line that is all bold (`**Chapter 5 - Support Vector Machines**`): many books
# and courses set their title this way instead of as a heading.
_BOLD_TITLE = _lazyre.compile(r"^\s{0,3}(\*\*|__)(?=\S)[^\n]{3,}?(?<=\S)\1\s*$")


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

    The automatic fix (unsafe: an import run earlier can behave differently) moves the
    reported import statements, in notebook order, to the first code cell, after its
    last import that comes before any work (or at its start when it has none), and
    removes their lines where they were; a cell left empty is deleted. Applying the
    fix of one finding moves every import that can move.

    An import does not move when it shares a line with other code (`import x; y = 1`)
    or is a `*` import (imports inside an `if` or `try` are never reported); when
    anything between the first
    code cell and it may change what it finds: an install (`%pip`, `!pip`), `sys.path`,
    `os.environ` (`KERAS_BACKEND`), a directory change, a written file, a shell command
    or a magic other than display settings (`%matplotlib`), dynamic code; when a
    statement before it binds or reads a name it binds; or when the cell it leaves
    would be empty but cannot be deleted (it ran, has outputs or tags: deleting a cell
    that ran leaves a gap in the execution counts). No fix at all when the first code cell is
    not plain Python (a cell magic, IPython syntax that moves lines) or carries a build
    tag.
    """

    code = "NB713"
    name = "scattered-imports"
    severity = Severity.INFO
    summary = "A package is first imported after code that does work"

    fix: ClassVar[Applicability | None] = Applicability.UNSAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        found = list(self._scattered(nb))
        if not found:
            return
        fixed = _scattered_imports_fix(nb, [(cell, stmt) for cell, stmt, _ in found])
        for cell, stmt, message in found:
            fix = fixed[0] if fixed is not None and id(stmt) in fixed[1] else None
            yield self.at(cell, message, node=stmt, offset=cell.parsed.line_offset, fix=fix)

    def _scattered(self, nb: Analysis) -> Iterator[tuple[Cell, ast.Import | ast.ImportFrom, str]]:
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
                        yield (cell, stmt, f"{what} first imported here, after the notebook started its work; "
                               "move the import to the first code cell")
                    imported.update(packages)
                else:  # imports inside `if` / `try` blocks count as imported too
                    for node in _nested_imports(stmt):
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
    """The nodes of ``stmt`` outside function and class bodies (and lambdas), without the
    ``Load``/``Store`` context singletons."""
    stack: list[ast.AST] = [stmt]
    pop, push, AST = stack.pop, stack.append, ast.AST
    while stack:
        node = pop()
        yield node
        if node.__class__ in _SCOPES:
            continue
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif name != "ctx" and isinstance(value, AST):
                push(value)


_SCOPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})
_IMPORTS = (ast.Import, ast.ImportFrom)


def _nested_imports(stmt: ast.stmt) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports in ``stmt``'s blocks outside function and class bodies: the
    ``Import`` nodes of :func:`_module_level_nodes`, found by reading statement lists
    only (an expression holds no statement)."""
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, _IMPORTS):
            yield node
        elif node.__class__ not in _SCOPES:
            for name in ("body", "orelse", "finalbody", "handlers", "cases"):
                block = getattr(node, name, None)
                if block.__class__ is list:
                    stack.extend(block)


# What a check of the environment reads: versions, the platform, installed modules.
_ENVIRONMENT_ATTRS = frozenset({"__version__", "version_info", "version", "VERSION", "modules", "platform",
                                "python_version", "find_spec", "executable", "environ"})
_ENVIRONMENT_MODULES = frozenset({"sys", "platform", "os", "importlib", "pkg_resources", "packaging"})


def _reads_environment(expr: ast.expr) -> bool:
    """Whether ``expr`` reads the environment: a package version (`x.__version__`,
    `sys.version_info`), the platform, `sys.modules`, `os.environ`, `find_spec(...)`."""
    for node in walk_nodes(expr):
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


# Nodes a setup value never holds.
_NOT_SETUP = frozenset({ast.Subscript, ast.Lambda, ast.comprehension, ast.Await, ast.Yield, ast.YieldFrom})


def _setup_needs(value: ast.expr | None) -> frozenset[str] | None:
    """Whether ``value`` sets up rather than computes, as far as it shows: None when it
    computes; else the names it reads, which must all hold setup values for it to set up.

    Setup values are literals, reads of the environment, and expressions of those, of
    names holding them, of paths (`Path() / "images" / "ch05"`), of f-strings, and of
    device or strategy choices (`"cuda" if torch.cuda.is_available() else "cpu"`,
    `TPUStrategy(resolver)`)."""
    if value is None:
        return frozenset()
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    else:
        return frozenset()
    if _reads_environment(value):
        return frozenset()
    names: set[str] = set()
    Call, Name, Attribute, Store = ast.Call, ast.Name, ast.Attribute, ast.Store
    for node in walk_nodes(value):
        t = node.__class__
        if t is Call:
            func = node.func  # type: ignore[attr-defined]
            last = func.attr if isinstance(func, Attribute) else func.id if isinstance(func, Name) else ""
            if not (last in _SETUP_CALLS or last.endswith(_SETUP_CALL_SUFFIXES)):
                return None
        elif t is Name:
            if not isinstance(node.ctx, Store):  # type: ignore[attr-defined]
                names.add(node.id)  # type: ignore[attr-defined]
        elif t in _NOT_SETUP:
            return None
    return frozenset(names)


def _setup_needs_cache(nb: Analysis) -> dict[int, frozenset[str] | None]:
    return {}


def _setup_needs_of(nb: Analysis, value: ast.expr | None) -> frozenset[str] | None:
    """:func:`_setup_needs`, once per value of the notebook."""
    cache = nb.fact(_setup_needs_cache)
    key = id(value)
    if key not in cache:
        cache[key] = _setup_needs(value)
    return cache[key]


def _setup_names(nb: Analysis) -> frozenset[str]:
    return nb.fact(_compute_setup_names)


def _compute_setup_names(nb: Analysis) -> frozenset[str]:
    """Names that every top-level assignment in the notebook gives a setup value (see
    :func:`_setup_needs`), found by growing the set until it stops changing; module
    aliases count too (`Path`, `torch` in `torch.device("cpu")`)."""
    assigned: dict[str, list[ast.expr | None]] = {}
    for cell in nb.parsed_cells:
        for stmt in cell.parsed.tree.body:  # type: ignore[union-attr]
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for t in targets:
                    for n in walk_nodes(t):
                        if isinstance(n, ast.Name):
                            assigned.setdefault(n.id, []).append(stmt.value)
    modules = {a.asname or a.name.split(".", 1)[0] for imp in nb.imports for a in imp.node.names}
    names = frozenset(modules)
    # Each name joins once every name its values read has: what its values need, together.
    needed: dict[str, frozenset[str]] = {}
    for name, values in assigned.items():
        if name in names:
            continue
        reads: set[str] = set()
        for v in values:
            needs = _setup_needs_of(nb, v)
            if needs is None:
                break
            reads |= needs
        else:
            needed[name] = frozenset(reads)
    while True:
        grown = names | {n for n, needs in needed.items() if n not in names and needs <= names}
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
        needs = _setup_needs_of(nb, stmt.value)
        return needs is None or not needs <= _setup_names(nb)
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


# -- NB713's fix: the scattered imports moved to the first code cell -----------------------

# Line magics that neither install nor change what an import finds.
_INERT_MAGICS = frozenset({"matplotlib", "config", "load_ext", "reload_ext", "precision", "pprint", "who", "whos",
                           "pwd", "lsmagic", "xmode", "autosave", "watermark", "autoreload"})
# Cell magics that only display.
_DISPLAY_CELL_MAGICS = frozenset({"html", "HTML", "markdown", "latex", "javascript", "js", "svg"})
# What changes where imports come from, or what they do: the module search path,
# the environment (`KERAS_BACKEND`), the working directory, installs, written files.
_IMPORT_STATE_PREFIXES = ("sys.path", "sys.modules", "sys.meta_path", "sys.path_hooks", "os.environ",
                          "os.chdir", "os.fchdir", "os.putenv", "os.unsetenv", "os.system", "os.popen",
                          "os.exec", "os.spawn", "site.", "importlib.", "subprocess.", "pkg_resources.",
                          "pip.", "runpy.", "shutil.")
_IMPORT_STATE_NAMES = frozenset({"exec", "eval", "compile", "__import__", "get_ipython", "subprocess",
                                 "importlib", "site", "runpy", "setattr", "globals", "pip", "environ",
                                 "chdir", "putenv", "system"})
_WRITE_METHODS = frozenset({"write_text", "write_bytes", "symlink_to", "hardlink_to", "rename", "replace"})


def _is_future(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"


def _inert_magic(stmt: ast.stmt) -> bool:
    """`%matplotlib inline` and the like, as IPython rewrites them."""
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return False
    call = stmt.value
    func = call.func
    return (isinstance(func, ast.Attribute) and func.attr == "run_line_magic"
            and isinstance(func.value, ast.Call) and dotted_name(func.value.func) == "get_ipython"
            and bool(call.args) and isinstance(call.args[0], ast.Constant) and call.args[0].value in _INERT_MAGICS)


def _may_change_imports(stmt: ast.stmt) -> bool:
    """Whether ``stmt`` may change what a later import finds or does: an install
    (`%pip`, `!pip`), `sys.path`, `os.environ`, a directory change, a written file, any
    other magic or shell command, dynamic code. Function bodies are read too."""
    if _inert_magic(stmt):
        return False
    for node in walk_nodes(stmt):
        if isinstance(node, ast.Name) and node.id in _IMPORT_STATE_NAMES:
            return True
        if isinstance(node, ast.Attribute):
            dotted = dotted_name(node)
            if dotted and dotted.startswith(_IMPORT_STATE_PREFIXES):
                return True
            if node.attr in _WRITE_METHODS:
                return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
            mode = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "mode"), None)
            if mode is not None and not (isinstance(mode, ast.Constant) and isinstance(mode.value, str)
                                         and not set(mode.value) & set("wax+")):
                return True
        if isinstance(node, (ast.ImportFrom, ast.Import)) and any(a.name == "*" for a in node.names):
            return True
    return False


def _bound_names(stmt: ast.stmt) -> set[str]:
    """Names ``stmt`` binds or reads outside function and class bodies."""
    names: set[str] = set()
    for node in _module_level_nodes(stmt):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(_import_names(node))
    return names


def _import_names(stmt: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(stmt, ast.Import):
        return {a.asname or a.name.split(".", 1)[0] for a in stmt.names}
    return {a.asname or a.name for a in stmt.names}


def _lines_unchanged(cell: Cell) -> bool:
    """Whether the parsed code has the cell's lines (IPython's transforms kept them)."""
    parsed = cell.parsed
    return len(cell.source.splitlines()) == len(parsed.code.splitlines()) + parsed.line_offset


def _whole_lines(cell: Cell, stmt: ast.stmt) -> tuple[int, int] | None:
    """The cell lines (first, last) of a top-level statement that has them to itself:
    nothing before it on its first line, at most a comment after it on its last."""
    parsed = cell.parsed
    off = parsed.line_offset
    span = node_span(cell.source, stmt, off)
    if span is None or stmt.end_lineno is None:
        return None
    if cell.source[span[0]:span[1]] != ast.get_source_segment(parsed.code, stmt):
        return None
    first, last = stmt.lineno + off, stmt.end_lineno + off
    starts = line_starts(cell.source)
    if span[0] != starts[first - 1]:
        return None
    after = cell.source[span[1]:line_end(cell.source, last)]
    if after.strip() and not after.lstrip().startswith("#"):
        return None  # `import x; y = 1`
    return first, last


def _first_code_cell(nb: Analysis) -> Cell | None:
    """The first code cell that runs (not `skip`), if imports can go into it: Python
    with the cell's lines, no cell magic, no build tag."""
    cell = next((c for c in nb.code_cells if "skip" not in c.nb2prod_tags), None)
    if cell is None or cell.parsed.tree is None or cell.parsed.cell_magic is not None:
        return None
    if cell.nb2prod_tags or not _lines_unchanged(cell) or not cell.parsed.tree.body:
        return None
    return cell


def _insertion(nb: Analysis, cell: Cell) -> tuple[int, bool, list[ast.stmt]] | None:
    """Where moved imports go in the first code cell: (offset, after a line?, the
    statements after that point). After its last import that comes before any work;
    at the start (after `from __future__` imports) when it has none."""
    tree = cell.parsed.tree
    assert tree is not None
    body = tree.body
    k = 0
    while k < len(body) and _is_future(body[k]):
        k += 1
    last = None
    for i, stmt in enumerate(body):
        if _is_work(stmt, nb):
            break
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            last = i
    if last is not None and last >= k:
        lines = _whole_lines(cell, body[last])
        if lines is None:
            return None
        return line_end(cell.source, lines[1]), True, body[last + 1:]
    if k >= len(body):
        return None
    lines = _whole_lines(cell, body[k])
    if lines is None:
        return None
    return line_starts(cell.source)[lines[0] - 1], False, body[k:]


def _region_changes_imports(
    cells: Iterable[Cell], may_change: Callable[[ast.stmt], bool] | None = None
) -> bool:
    """Whether any of ``cells`` (whole) may change what an import finds (``may_change``:
    :func:`_may_change_imports`, or a memo of it)."""
    may_change = may_change or _may_change_imports
    for c in cells:
        parsed = c.parsed
        cm = parsed.cell_magic
        if cm is not None and cm.name in _DISPLAY_CELL_MAGICS:
            continue
        if parsed.tree is None or (cm is not None and cm.name not in PYTHON_BODY_CELL_MAGICS):
            return True
        if any(may_change(s) for s in parsed.tree.body):
            return True
    return False


def _scattered_imports_fix(
    nb: Analysis, reported: list[tuple[Cell, ast.Import | ast.ImportFrom]]
) -> tuple[Fix, set[int]] | None:
    """One fix for all the reported imports that can move to the first code cell (each
    finding carries it: applying one applies all), and the ids of those statements.

    An import moves only when nothing between the insertion point and it may change
    what it finds (installs, `sys.path`, `os.environ`, directory changes, magics,
    shell commands, written files: see :func:`_may_change_imports`), when no statement
    there binds or reads a name it binds, when it has its lines to itself, and when the
    cell it leaves is not left empty (unless that cell can simply be deleted)."""
    target = _first_code_cell(nb)
    if target is None:
        return None
    where = _insertion(nb, target)
    if where is None:
        return None
    at, after_line, rest = where
    code_cells = nb.code_cells
    position = {c.index: i for i, c in enumerate(code_cells)}
    changed: dict[int, bool] = {}
    named: dict[int, set[str]] = {}

    def changes(c: Cell) -> bool:
        if c.index not in changed:
            changed[c.index] = _region_changes_imports([c], may)
        return changed[c.index]

    def cell_names(c: Cell) -> set[str]:
        if c.index not in named:
            named[c.index] = set().union(*(bound(s) for s in c.parsed.tree.body)) if c.parsed.tree else set()
        return named[c.index]

    # Each reported import asks about the statements before it: once per statement.
    may_change: dict[int, bool] = {}
    bound_by: dict[int, set[str]] = {}

    def may(stmt: ast.stmt) -> bool:
        if id(stmt) not in may_change:
            may_change[id(stmt)] = _may_change_imports(stmt)
        return may_change[id(stmt)]

    def bound(stmt: ast.stmt) -> set[str]:
        if id(stmt) not in bound_by:
            bound_by[id(stmt)] = _bound_names(stmt)
        return bound_by[id(stmt)]

    movable: list[tuple[Cell, ast.stmt, int, int]] = []
    for cell, stmt in reported:
        if cell.index <= target.index or _is_future(stmt):
            continue
        if any(a.name == "*" for a in stmt.names) or not _lines_unchanged(cell):
            continue
        lines = _whole_lines(cell, stmt)
        if lines is None:
            continue
        tree = cell.parsed.tree
        assert tree is not None
        before = tree.body[: tree.body.index(stmt)] if stmt in tree.body else None
        if before is None:
            continue
        between = code_cells[position[target.index] + 1: position[cell.index]]
        if any(changes(c) for c in between) or any(may(s) for s in [*rest, *before]):
            continue
        names = _import_names(stmt)
        if any(names & cell_names(c) for c in [target, *between]) or any(names & bound(s) for s in before):
            continue
        movable.append((cell, stmt, *lines))
    # Remove the moved lines, cell by cell; a cell left empty is deleted (when it may be).
    edits: list[SourceEdit | DeleteCell] = []
    moved: list[tuple[Cell, ast.stmt, int, int]] = []
    by_cell: dict[int, list[tuple[Cell, ast.stmt, int, int]]] = {}
    for m in movable:
        by_cell.setdefault(m[0].index, []).append(m)
    for group in by_cell.values():
        cell = group[0][0]
        gone = {n for _, _, a, b in group for n in range(a, b + 1)}
        starts = line_starts(cell.source)
        top = 1
        while top in gone:
            top += 1
        while 1 < top < len(starts) and not cell.source[starts[top - 1]:line_end(cell.source, top)].strip():
            gone.add(top)  # the blank lines the cell would now start with
            top += 1
        removal = _line_removals(cell.source, sorted(gone))
        rest_text = cell.source
        for start, end in reversed(removal):
            rest_text = rest_text[:start] + rest_text[end:]
        if not rest_text.strip():
            if not _deletable(cell):
                continue
            edits.append(DeleteCell(cell.index, cell.id))
        else:
            edits.extend(SourceEdit(cell.index, cell.id, s, e, "") for s, e in removal)
        moved.extend(group)
    if not moved:
        return None
    moved.sort(key=lambda m: (m[0].index, m[2]))
    nl = newline_of(target.source)
    texts = []
    for cell, _, first, last in moved:
        starts = line_starts(cell.source)
        texts.append(cell.source[starts[first - 1]:line_end(cell.source, last)].replace("\r\n", "\n").replace("\n", nl))
    block = nl.join(texts)
    edits.insert(0, SourceEdit(target.index, target.id, at, at, nl + block if after_line else block + nl))
    n = len(moved)
    others = f" (with the {n - 1} other scattered import{'s' if n > 2 else ''})" if n > 1 else ""
    fix = Fix(f"move the import to the first code cell{others}", tuple(edits), Applicability.UNSAFE)
    return fix, {id(stmt) for _, stmt, _, _ in moved}


def _line_removals(source: str, lines: list[int]) -> list[tuple[int, int]]:
    """(start, end) offsets that remove the given 1-based lines with their line ends
    (runs of lines as one range; a run at the end of a cell without a final newline
    takes the newline before it)."""
    starts = line_starts(source)
    runs: list[list[int]] = []
    for n in lines:
        if runs and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    out = []
    for a, b in runs:
        if b < len(starts):
            out.append((starts[a - 1], starts[b]))
        elif a > 1:
            out.append((line_end(source, a - 1), len(source)))
        else:
            out.append((0, len(source)))
    return out


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

    The automatic fix (safe) removes an unused `# noqa: NB...` comment, with the blanks
    before it (a line that is only the comment goes), or only the unused codes from a
    list (`# noqa: NB101, NB102` -> `# noqa: NB102`); the other codes and any comment
    before it (`# type: ignore  # noqa: NB101`) stay. No fix when text follows the
    codes (a reason: the comment is yours to reword), when the comment may be inside a
    string (a cell Python's tokenizer cannot read), or when removing the line would
    leave the cell empty. An unused `nb2prod:ignore:...` cell tag is not fixed: tags
    are cell metadata, which fixes do not edit yet.
    """

    code = "NB720"
    name = "unused-suppression"
    severity = Severity.WARNING
    summary = "A suppression comment or tag suppresses nothing"
    needs_python = False
    fix: ClassVar[Applicability | None] = Applicability.SAFE

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
            fix = _noqa_fix(s, unused) if s.line is not None else None
            yield self.at(s.cell, msg, line=s.line or 1, column=s.column, fix=fix)


_CODE = _lazyre.compile(r"[A-Za-z]+[0-9]+")


def _comment_start(source: str, line: int) -> int | None:
    """The column where the real comment of ``line`` (1-based) starts; None when the line
    has none, or when the cell cannot be tokenized and the `#` may be in a string."""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT and tok.start[0] == line:
                return tok.start[1]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        text = source.splitlines()[line - 1] if line <= len(source.splitlines()) else ""
        at = text.find("#")
        if at < 0 or any(q in text[:at] for q in "'\"`"):
            return None
        return at
    return None


def _noqa_fix(s: Suppression, unused: list[str]) -> Fix | None:
    """Remove the ``unused`` codes of ``# noqa`` comment ``s`` (all of them: the comment)."""
    source = s.cell.source
    starts = line_starts(source)
    assert s.line is not None
    if not 1 <= s.line <= len(starts):
        return None
    begin, stop = starts[s.line - 1], line_end(source, s.line)
    text = source[begin:stop]
    at = s.column - 1
    comment = _comment_start(source, s.line)
    m = NOQA.match(text, at) if comment is not None and comment <= at else None
    if m is None or m.group("codes") is None:
        return None
    drop = {p.upper() for p in unused}
    cs, ce = m.span("codes")
    codes = list(_CODE.finditer(text, cs, ce))
    kept = [c for c in codes if c.group().upper() not in drop]
    what = ", ".join(f"`{c.group()}`" for c in codes if c.group().upper() in drop)
    if len(kept) == len(codes):
        return None
    if kept:
        # each kept code keeps the separator before it, but the first one
        new = kept[0].group() + "".join(text[_prev_end(codes, c):c.end()] for c in kept[1:])
        edit = SourceEdit(s.cell.index, s.cell.id, begin + cs, begin + ce, new)
        return Fix(f"remove {what} from the `# noqa` comment", (edit,), Applicability.SAFE)
    if text[m.end():].strip():
        return None  # a reason follows the codes
    assert comment is not None
    before = text[:comment]
    if m.start() > comment:  # another comment before the noqa one: it stays
        cut = comment + len(text[comment:m.start()].rstrip())
        edit = SourceEdit(s.cell.index, s.cell.id, begin + cut, stop, "")
    elif before.strip():  # code before the comment: it stays
        edit = SourceEdit(s.cell.index, s.cell.id, begin + len(before.rstrip()), stop, "")
    else:  # a line of its own: the line goes
        if s.line < len(starts):
            edit = SourceEdit(s.cell.index, s.cell.id, begin, starts[s.line], "")
        elif s.line > 1:
            edit = SourceEdit(s.cell.index, s.cell.id, line_end(source, s.line - 1), stop, "")
        else:
            return None
        if not (source[: edit.start] + source[edit.end:]).strip():
            return None  # the cell would be empty
    return Fix(f"remove the unused `# noqa` comment ({what})", (edit,), Applicability.SAFE)


def _prev_end(codes: list[re.Match[str]], code: re.Match[str]) -> int:
    """Where the code before ``code`` in the list ends (its separator starts there)."""
    i = codes.index(code)
    return codes[i - 1].end() if i else code.start()
