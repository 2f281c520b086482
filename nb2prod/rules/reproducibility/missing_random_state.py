"""NB106 / NB109: scikit-learn and pandas calls that draw from numpy's global state.

Whether `random_state` changes a scikit-learn result is measured, not assumed: see
``tools/sklearn_seed_experiment.py`` and :func:`scan.seed_effect`. NB106 (an error) reports
the calls whose result the seed changes on typical data; NB109 (a warning) those where it
does only on some data, or where the linter cannot read the deciding parameter.
"""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.fixes.model import Applicability
from nb2prod.rules._base import Rule, register
from nb2prod.rules.reproducibility.fixes import random_state_fix
from nb2prod.rules.reproducibility.scan import NUMPY, Use, scan_of


@register
class MissingRandomState(Rule):
    """## What it does
    Finds scikit-learn estimators, splitters and functions called without `random_state`
    (or with `random_state=None`) whose result the seed changes on typical data, and
    pandas `.sample(frac=...)` / `.sample(n=...)` without `random_state`. Which calls
    those are was measured by fitting every scikit-learn callable that accepts
    `random_state` with several seeds, for each value of the parameters that decide
    (`solver`, `penalty`, `shuffle`, `svd_solver`, `probability`...): `RandomForest*`,
    `KMeans`, decision trees (they break ties between equally good splits at random, and
    such ties are common near the leaves), `train_test_split`, `KFold(shuffle=True)`,
    `LogisticRegression(solver='saga')` are reported; calls where the seed cannot change
    the result are not: `KFold` without `shuffle=True`, `train_test_split(shuffle=False)`,
    `LogisticRegression` with `lbfgs` or with `liblinear` and the L2 primal problem,
    `SVC` without `probability=True`, `PCA` with the full solver. Calls whose result the
    seed changes only on some data are NB109's (a warning). Calls after a global
    `np.random.seed(...)` are not reported either.

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
    results that do not depend on call order). The list of scikit-learn callables and
    of when their seed matters is generated from scikit-learn itself
    (`tools/gen_sklearn_random_state.py`, `tools/sklearn_seed_experiment.py`); the linter
    does not need scikit-learn installed. `nb2prod lint --fix` (safe) adds
    `random_state=<seed>` after the call's last argument (or replaces `None`), with the
    notebook's seed variable or `0`; inside a loop or comprehension the fix is unsafe
    (repeated fits meant to differ would all be one).
    """

    code = "NB106"
    name = "missing-random-state"
    severity = Severity.ERROR
    summary = "A scikit-learn or pandas call that takes `random_state` is made without it"
    fix = Applicability.SAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for use in _unseeded(nb, certain=True):
            call = use.call
            yield self.at(
                call.cell,
                f"`{use.label}` is called{use.note}, so its results can change from run to run: "
                "pass `random_state=42` (any fixed integer)",
                node=call.node,
                offset=call.offset,
                fix=random_state_fix(nb, call),
            )


def _unseeded(nb: Analysis, certain: bool) -> Iterator[Use]:
    """The NB106 (certain) or NB109 uses, less those after a global numpy seed."""
    scan = scan_of(nb)
    uses = scan.random_state if certain else scan.random_state_maybe
    if not uses:
        return
    seed = scan.first_seed(NUMPY)
    for use in uses:
        if seed is not None and scan.order.position(use.call) > seed[0]:
            continue  # random_state=None uses numpy's global state, seeded above
        yield use


@register
class RandomStateMayMatter(Rule):
    """## What it does
    Finds scikit-learn calls made without `random_state` (or with `random_state=None`)
    whose result the seed changes only on some data, or with a parameter that decides
    whether the seed is used given as an expression the linter cannot read. Measured by
    fitting every scikit-learn callable with several seeds on typical data and on data
    with ties or many rows: for example `AffinityPropagation` (the seed only breaks
    degenerate similarities), `HistGradientBoosting*` with the default
    `early_stopping='auto'` (a random validation split past 10,000 rows),
    `QuantileTransformer` and `KBinsDiscretizer` (a random subsample past `subsample`
    rows), `PCA(n_components=2)` with the `auto` solver (randomized on large matrices),
    or `LogisticRegression(solver=name)`.

    ## Why is this bad?
    On the data where the seed matters, the fitted model and every number computed from
    it change from run to run, and nothing in the notebook shows it. On other data the
    call is reproducible, which is why this is a warning and not an error.

    ## Example
    ```python
    qt = QuantileTransformer(n_quantiles=100)
    X_scaled = qt.fit_transform(X)
    ```

    ## Use instead
    ```python
    qt = QuantileTransformer(n_quantiles=100, random_state=0)
    X_scaled = qt.fit_transform(X)
    ```

    ## Fix
    Pass `random_state=<int>`: it costs nothing where the seed is not used and makes the
    result reproducible where it is. Calls after a global `np.random.seed(...)` are not
    reported. Calls whose result the seed changes on typical data are NB106 (an error).
    `nb2prod lint --fix` adds `random_state=<seed>` as for NB106.
    """

    code = "NB109"
    name = "random-state-may-matter"
    severity = Severity.WARNING
    summary = "A scikit-learn call whose result the seed can change on some data is made without `random_state`"
    fix = Applicability.SAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for use in _unseeded(nb, certain=False):
            call = use.call
            yield self.at(
                call.cell,
                f"`{use.label}` is called{use.note}: pass `random_state=42` (any fixed integer)",
                node=call.node,
                offset=call.offset,
                fix=random_state_fix(nb, call),
            )
