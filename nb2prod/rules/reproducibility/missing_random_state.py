"""NB106: scikit-learn and pandas calls that draw from numpy's global state."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.rules._base import Rule, register
from nb2prod.rules.reproducibility.scan import NUMPY, scan_of


@register
class MissingRandomState(Rule):
    """## What it does
    Finds scikit-learn estimators, splitters and functions that accept `random_state`
    but are called without it (or with `random_state=None`), and pandas
    `.sample(frac=...)` / `.sample(n=...)` without `random_state`. Calls where
    `random_state` has no effect are not reported: `KFold` without `shuffle=True`,
    `train_test_split(shuffle=False)`, `LogisticRegression` with a solver other than
    `sag`, `saga` or `liblinear`, `SVC` without `probability=True`, and a few more. Calls
    after a global `np.random.seed(...)` are not reported either.

    ## Why is this bad?
    With `random_state=None` these draw from numpy's global state: the split, the
    trees, the clusters and every score computed from them change on each run.

    ## Example
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    model = RandomForestClassifier(n_estimators=100).fit(X_train, y_train)
    ```

    ## Use instead
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    model = RandomForestClassifier(n_estimators=100, random_state=42).fit(X_train, y_train)
    ```

    ## Fix
    Pass `random_state=<int>` (an integer, not a shared `RandomState` instance, for
    results that do not depend on call order). The list of scikit-learn callables is
    generated from scikit-learn itself (`tools/gen_sklearn_random_state.py`); the linter
    does not need scikit-learn installed.
    """

    code = "NB106"
    name = "missing-random-state"
    severity = Severity.ERROR
    summary = "A scikit-learn or pandas call that takes `random_state` is made without it"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        scan = scan_of(nb)
        if not scan.random_state:
            return
        seed = scan.first_seed(NUMPY)
        for use in scan.random_state:
            call = use.call
            if seed is not None and scan.order.position(call) > seed[0]:
                continue  # random_state=None uses numpy's global state, seeded above
            yield self.at(
                call.cell,
                f"`{use.label}` is called{use.note}, so its results can change from run to run: "
                "pass `random_state=42` (any fixed integer)",
                node=call.node,
                offset=call.offset,
            )
