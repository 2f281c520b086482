"""NB4xx: tests. Does anything check that the notebook's code is right?

What counts as a test, for all three rules: a cell tagged `test`, an `assert` statement,
a `test_*` function or `Test*` class, a test framework (pytest, unittest, ipytest,
testbook, hypothesis, doctest, `*.testing` modules such as `numpy.testing`), an
`%%ipytest` cell, or a checking call (`assert_*`, `self.assertEqual`, `pytest.raises`,
`np.testing.assert_allclose`). An `assert` that only checks the environment (a package
or Python version, the platform, a GPU: `assert sklearn.__version__ >= "1.0"`,
`assert sys.version_info >= (3, 8)`) is not a test: it checks the machine, not the code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from nb2prod import _lazyre
from nb2prod._ast import iter_nodes
from nb2prod.analysis import Analysis, CallFact, dotted_name
from nb2prod.diagnostics import Finding, Severity
from nb2prod.notebook import Cell
from nb2prod.rules._base import Rule, register

_TEST_MODULES = frozenset(
    {"pytest", "unittest", "ipytest", "testbook", "hypothesis", "doctest", "nbval", "nose",
     "nose2", "pytest_check", "pandera", "great_expectations", "deepchecks"}
)
_TEST_MAGICS = frozenset({"ipytest", "run_pytest", "pytest"})
# `assert` as a statement: at the start of a line or after `;`. Confirmed on the tree.
_ASSERT_TEXT = _lazyre.compile(r"(?:^|;)[ \t]*assert\b", re.M)
# pytest's default: functions `test*` (test_x, testX, test); classes `Test*`.
_TEST_FUNCTION = _lazyre.compile(r"^test(?:_|[A-Z0-9]|$)")
_TEST_CLASS = _lazyre.compile(r"^Test(?:_|[A-Z0-9]|$)")
_CHECK_NAMES = frozenset({"fail", "raises", "warns", "deprecated_call", "check_estimator", "testmod", "testfile"})


# `assert_*` names that transform rather than check: `tf.data.experimental.assert_cardinality`
# returns a dataset that carries a length.
_NOT_CHECKS = frozenset({"assert_cardinality"})


def _is_test_function(name: str) -> bool:
    return bool(_TEST_FUNCTION.match(name))


def _returns_value(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Does the function itself (not a nested one) `return` a value? pytest warns that a
    test returns something: a `test_step(model, loader)` that returns the loss is a
    training-loop step, not a test."""
    todo: list[ast.AST] = list(fn.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))
    return False


def _can_fail(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Does the function check anything: an `assert`, a `raise`, or a checking call
    (`assert_*`, `pytest.raises`...)? One that only computes and prints can fail only by
    crashing, as NB403 says of a test cell."""
    for node in _outside_functions(ast.Module(body=list(fn.body), type_ignores=[])):
        if isinstance(node, (ast.Assert, ast.Raise)):
            return True
        if isinstance(node, ast.Call):
            f = node.func
            last = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if last not in _NOT_CHECKS and (last.startswith("assert") or last in _CHECK_NAMES):
                return True
    return False


def _is_test_def(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A pytest-style test function: named `test*`, returns nothing, and checks something
    (a `test_step(model, loader)` of a training loop that returns or prints the loss is
    not a test)."""
    return _is_test_function(fn.name) and not _returns_value(fn) and _can_fail(fn)


def _is_test_class(node: ast.ClassDef) -> bool:
    if _TEST_CLASS.match(node.name):
        return True
    return any((dotted_name(b) or "").rsplit(".", 1)[-1] in {"TestCase", "IsolatedAsyncioTestCase"} for b in node.bases)


def _test_scopes(cell: Cell) -> list[tuple[int, int]]:
    """Line ranges (in tree lines) of the cell's top-level test functions and classes."""
    tree = cell.parsed.tree
    if tree is None:
        return []
    scopes = []
    for stmt in tree.body:
        if (isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_test_def(stmt)) or (
            isinstance(stmt, ast.ClassDef) and _is_test_class(stmt)
        ):
            start = min([stmt.lineno, *(d.lineno for d in stmt.decorator_list)])
            scopes.append((start, stmt.end_lineno or stmt.lineno))
    return scopes


def _is_fixture_def(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    for d in stmt.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if (dotted_name(target) or "").rsplit(".", 1)[-1] == "fixture":
            return True
    return False


def _is_check_call(call: CallFact) -> bool:
    """A call that fails when something is wrong: `assert_*`, `pytest.raises`, `np.testing.*`."""
    if call.local_name is not None:
        last: str | None = call.local_name.rpartition(".")[2]
    else:
        func = call.node.func
        last = func.attr if isinstance(func, ast.Attribute) else None
    if last in _NOT_CHECKS:
        return False
    if last is not None and (last.startswith("assert") or last in _CHECK_NAMES):
        return True
    qual = call.qualname
    if qual is None:
        return False
    return qual.split(".", 1)[0] in _TEST_MODULES or ".testing." in qual or qual.startswith("tensorflow.test.")


def _has_test_magic(cell: Cell) -> bool:
    return any(m.kind in ("line", "cell") and m.name in _TEST_MAGICS for m in cell.parsed.magics)


def _has_assert(cell: Cell) -> bool:
    """An `assert` statement that tests code, not the environment, in the cell (a cheap
    text test first, then the tree)."""
    tree = cell.parsed.tree
    if tree is None or not _ASSERT_TEXT.search(cell.parsed.code):
        return False
    return any(isinstance(n, ast.Assert) and not checks_environment(n.test) for n in _outside_functions(tree))


def _outside_functions(tree: ast.Module) -> Iterator[ast.AST]:
    """The cell's nodes, not descending into functions and classes: an `assert` in a
    function body (`assert embed_size % 2 == 0` in `__init__`) checks its arguments
    when it is called, it tests nothing by itself. Test functions and classes count
    through :func:`_test_scopes`."""
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))


# What an environment check reads: versions, the platform, installed modules, devices.
_ENVIRONMENT_ATTRS = frozenset({"__version__", "version_info", "version", "python_version", "platform",
                                "modules", "find_spec", "is_available", "device_count", "executable",
                                "list_physical_devices"})
_ENVIRONMENT_NAMES = frozenset({"sys", "platform", "LooseVersion", "StrictVersion", "Version", "parse_version",
                                "find_spec", "python_version"})


def checks_environment(test: ast.expr) -> bool:
    """Whether an assertion's ``test`` reads only the environment: a package version
    (`x.__version__`, `parse_version(...)`, a name ending in `_version`), `sys`, the
    platform, `sys.modules`, a GPU (`torch.cuda.is_available()`). Such an assert checks
    the machine the notebook runs on, not what its code computes."""
    for node in iter_nodes(test):
        if isinstance(node, ast.Attribute) and node.attr in _ENVIRONMENT_ATTRS:
            return True
        if isinstance(node, ast.Name) and (node.id in _ENVIRONMENT_NAMES or node.id.endswith("_version")):
            return True
    return False


def _has_code(cell: Cell) -> bool:
    """Whether the cell has code that computes something: a statement other than an
    import, a magic or shell line, `pass`, or a bare string."""
    tree = cell.parsed.tree
    if tree is None:
        return False
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass)):
            continue
        if isinstance(stmt, ast.Expr):
            value = stmt.value
            if isinstance(value, ast.Constant):
                continue
            func = value.func if isinstance(value, ast.Call) else None
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Call)
                and dotted_name(func.value.func) == "get_ipython"
            ):
                continue  # %magic, !shell
        return True
    return False


def _first_code_cell(nb: Analysis) -> Cell | None:
    cells = nb.parsed_cells or nb.code_cells
    return cells[0] if cells else None


@register
class NoTests(Rule):
    """## What it does
    Checks that the notebook tests something: a cell tagged `test`, an `assert`, a
    `test_*` function, a checking call (`np.testing.assert_allclose`,
    `pd.testing.assert_frame_equal`) or a test tool (pytest, unittest, ipytest, testbook,
    hypothesis). An `assert` that only checks the environment (`assert
    sklearn.__version__ >= "1.0"`, `assert sys.version_info >= (3, 8)`) is not a test.
    Notebooks with nothing to test are not checked: no Python code, or only imports,
    magics and shell commands (`%pip install`, `!ls`).

    ## Why is this bad?
    Without a single check, nobody knows whether the model, the preprocessing or the
    `predict` function still do what they did when the notebook was written. Only about
    1.5% of public notebooks import a test module; `nb2prod build` turns `test` cells
    into the service's own test suite, so a notebook without them ships untested code.

    ## Example
    ```python
    model = LogisticRegression().fit(X_train, y_train)
    ```

    ## Use instead
    ```python
    # nb2prod: test
    assert model.score(X_test, y_test) > 0.9
    assert predict(5.1, 3.5, 1.4, 0.2) == "setosa"
    ```

    ## Fix
    Add a code cell tagged `test` with `assert` statements (or `test_*` functions run by
    ipytest) that check the data, the model quality and `predict`.
    """

    code = "NB401"
    name = "no-tests"
    severity = Severity.WARNING
    summary = "The notebook has no tests at all"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        target = _first_code_cell(nb)
        if target is None or not any(_has_code(c) for c in nb.parsed_cells):
            return  # nothing to test
        if any(c.is_code for c in nb.cells_tagged("test")):
            return
        for imp in nb.imports:
            if imp.top in _TEST_MODULES or "testing" in imp.module.split("."):
                return
        if any(_is_test_def(fn) for _, fn in nb.functions.values()):
            return
        if any(_has_test_magic(c) for c in nb.code_cells):
            return
        if any(_is_check_call(c) for c in nb.calls):
            return
        if any(_test_scopes(c) for c in nb.parsed_cells):
            return
        if any(_has_assert(c) for c in nb.parsed_cells):
            return
        yield self.at(
            target,
            "the notebook has no tests: no `test` cell, no `assert` on what the code computes "
            "(version checks and argument checks inside functions do not count), no `test_*` "
            "function that checks something and no test tool (pytest, unittest, ipytest, testbook)",
        )


def _mentions_predict(call: CallFact) -> bool:
    """`predict(...)`, or `predict` passed on: `map(predict, rows)`, `check(fn=predict)`."""
    if call.local_name == "predict":
        return True
    args = [*call.node.args, *(k.value for k in call.node.keywords)]
    return any(isinstance(a, ast.Name) and a.id == "predict" for a in args)


@register
class PredictUntested(Rule):
    """## What it does
    When a cell is tagged `predict`, checks that a test calls `predict`: a call in a
    cell tagged `test` (or an `%%ipytest` cell), or inside a `test_*` function or a
    `Test*` class anywhere in the notebook.

    ## Why is this bad?
    `predict` is what the service runs for every request. If no test calls it, a change
    to the preprocessing or the model can break the service without anyone noticing
    until it answers requests with errors or nonsense. The parity test that the build
    derives from `example` only compares the service with the notebook: it passes when
    both are wrong in the same way.

    ## Example
    ```python
    # nb2prod: predict
    def predict(sepal_length: float, sepal_width: float) -> str:
        return model.predict([[sepal_length, sepal_width]])[0]
    ```

    ## Use instead
    ```python
    # nb2prod: test
    assert predict(sepal_length=5.1, sepal_width=3.5) == "setosa"
    ```

    ## Fix
    Add a `test` cell that calls `predict` with a known input and asserts on the answer.
    """

    code = "NB402"
    name = "predict-untested"
    severity = Severity.WARNING
    summary = "The `predict` function is never called by a test"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        predict_cells = nb.cells_tagged("predict")
        if not predict_cells:
            return
        scopes: dict[int, list[tuple[int, int]]] = {}
        for call in nb.calls:
            if not _mentions_predict(call):
                continue
            cell = call.cell
            if "test" in cell.nb2prod_tags or _has_test_magic(cell):
                return
            if cell.index not in scopes:
                scopes[cell.index] = _test_scopes(cell)
            line = call.node.lineno
            if any(start <= line <= end for start, end in scopes[cell.index]):
                return
        target = predict_cells[0]
        line, column = 1, 1
        defined = nb.functions.get("predict")
        if defined is not None and defined[0] is target:
            line = defined[1].lineno + target.parsed.line_offset
            column = defined[1].col_offset + 1
        yield self.at(
            target,
            "`predict` is never called by a test: add a `test` cell that calls it and asserts on the result",
            line=line,
            column=column,
        )


@register
class AssertionlessTestCell(Rule):
    """## What it does
    Finds cells tagged `test` that check nothing: no `assert` (other than checks of the
    environment, such as `assert sys.version_info >= (3, 8)`), no `raise`, no `test_*`
    function or `Test*` class, no pytest fixture, no checking call (`assert_*`,
    `pytest.raises`, `np.testing.*`, `ipytest.run()`), and no call to a notebook function
    that asserts.

    ## Why is this bad?
    Such a cell passes as long as the code does not crash: it prints or computes values
    that nobody compares with anything. The service's test suite built from it would
    stay green while predictions go wrong.

    ## Example
    ```python
    # nb2prod: test
    predict(sepal_length=5.1, sepal_width=3.5)
    ```

    ## Use instead
    ```python
    # nb2prod: test
    assert predict(sepal_length=5.1, sepal_width=3.5) == "setosa"
    ```

    ## Fix
    Turn what the cell prints into `assert` statements on the expected values, or remove
    the `test` tag if the cell is not a test.
    """

    code = "NB403"
    name = "test-cell-without-assertion"
    severity = Severity.WARNING
    summary = "A `test` cell asserts nothing: it can only fail by crashing"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        cells = [c for c in nb.cells_tagged("test") if c.is_code and c.parsed.tree is not None]
        if not cells:
            return
        wanted = {c.index for c in cells}
        calls: dict[int, list[CallFact]] = {}
        for call in nb.calls:
            if call.cell.index in wanted:
                calls.setdefault(call.cell.index, []).append(call)
        for cell in cells:
            if not self._checks_something(nb, cell, calls.get(cell.index, [])):
                yield self.at(
                    cell,
                    "cell tagged `test` checks nothing (no `assert`, `test_*` function or "
                    "checking call): it fails only if the code crashes",
                )

    @staticmethod
    def _checks_something(nb: Analysis, cell: Cell, calls: list[CallFact]) -> bool:
        if _has_test_magic(cell) or _test_scopes(cell):
            return True
        tree = cell.parsed.tree
        assert tree is not None
        if any(_is_fixture_def(s) for s in tree.body):
            return True
        if any(
            isinstance(n, ast.Raise) or (isinstance(n, ast.Assert) and not checks_environment(n.test))
            for n in nb.nodes_of(cell, ast.Raise, ast.Assert)
        ):
            return True
        for call in calls:
            if _is_check_call(call):
                return True
            name = call.local_name
            if name is None:
                continue
            if _is_test_function(name.rsplit(".", 1)[-1]):
                return True
            helper = nb.functions.get(name)
            if helper is not None and any(
                isinstance(n, (ast.Assert, ast.Raise)) for n in iter_nodes(helper[1])
            ):
                return True
        return False
