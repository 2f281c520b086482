"""NB3xx: execution state. Does the notebook, as saved, run from top to bottom?"""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.fixes.common import clear_all_outputs
from nb2prod.fixes.model import Applicability
from nb2prod.notebook import Cell
from nb2prod.rules._base import Rule, register


def _executed(nb: Analysis) -> list[tuple[Cell, int]]:
    """The code cells that ran, with their execution counts, in notebook order. A kernel
    counts from 1: a count of 0 (or below) was written by a tool that generated or
    converted the notebook (Colab exports, jupytext), not by a run, so it means "not run"."""
    return [(c, c.execution_count) for c in nb.code_cells
            if isinstance(c.execution_count, int) and c.execution_count >= 1]


@register
class OutOfOrderExecution(Rule):
    """## What it does
    Checks that the execution counts of code cells grow from top to bottom. Empty cells
    are left out, and a count of 0 is read as "not run" (kernels count from 1; tools that
    generate notebooks write 0).

    ## Why is this bad?
    A cell run before the cells above it may depend on state that a top-down run
    (papermill, `nb2prod build`, CI) does not produce: the saved results are not what
    the code, read in order, computes. About a third of public notebooks have this.

    ## Example
    ```text
    [2] df = load()
    [1] model = fit(df)
    ```

    ## Use instead
    ```text
    [1] df = load()
    [2] model = fit(df)
    ```

    ## Fix
    Restart the kernel and run all cells (Kernel > Restart & Run All), then save.
    `nb2prod lint --fix --unsafe-fixes` clears every cell's outputs and execution
    counts, as `nb2prod clean` does: unsafe, because the saved results are lost until
    you run the notebook again.
    """

    code = "NB301"
    name = "out-of-order-execution"
    severity = Severity.WARNING
    summary = "Execution counts do not increase from top to bottom"
    needs_python = False
    fix = Applicability.UNSAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        previous: tuple[Cell, int] | None = None
        for cell, count in _executed(nb):
            if not cell.source.strip():
                continue  # an empty cell depends on nothing and changes nothing
            if previous is not None and count <= previous[1]:
                yield self.at(
                    cell,
                    f"cell ran as [{count}] after cell {previous[0].index} "
                    f"ran as [{previous[1]}]: the notebook was not run top to bottom",
                    fix=clear_all_outputs(nb.nb),
                )
            previous = cell, count


@register
class UnexecutedCell(Rule):
    """## What it does
    Finds non-empty code cells that were never run although a cell below them was,
    including cells above the first executed one. Cells tagged `skip`, cells with
    nothing to run (only comments), and cells below the last executed cell (a notebook
    run part of the way) are not reported.

    ## Why is this bad?
    The saved outputs below such a cell were produced without it. Either the cell is
    not needed (then delete it or tag it `skip`) or the outputs are stale.

    ## Example
    ```text
    [1] x = load()
    [ ] x = clean(x)
    [2] x.describe()
    ```

    ## Use instead
    ```text
    [1] x = load()
    [2] x = clean(x)
    [3] x.describe()
    ```

    ## Fix
    Restart the kernel and run all cells, or remove the cell.
    `nb2prod lint --fix --unsafe-fixes` clears every cell's outputs and execution
    counts, as `nb2prod clean` does: unsafe, because the saved results are lost until
    you run the notebook again.
    """

    code = "NB302"
    name = "unexecuted-cell"
    severity = Severity.WARNING
    summary = "A code cell was not executed although cells below it were"
    needs_python = False
    fix = Applicability.UNSAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        cells = [c for c in nb.code_cells if c.source.strip()]
        last_executed = max((i for i, c in enumerate(cells) if c.execution_count is not None), default=-1)
        if last_executed < 0:
            return  # nothing ran: a clean, unexecuted notebook
        # Every cell above the last executed one, also above the first executed one: a
        # cell never run before the first run cell is as missing from the outputs.
        for cell in cells[:last_executed]:
            if cell.execution_count is None and "skip" not in cell.nb2prod_tags and not _only_comments(nb, cell):
                yield self.at(cell, "cell was never executed, but cells below it were", fix=clear_all_outputs(nb.nb))


def _only_comments(nb: Analysis, cell: Cell) -> bool:
    """A Python cell with nothing to run: only comments (running it changes nothing)."""
    if not nb.nb.is_python or cell.parsed.cell_magic is not None:
        return False
    return all(not line.strip() or line.lstrip().startswith("#") for line in cell.source.splitlines())


@register
class ErrorOutput(Rule):
    """## What it does
    Finds cells whose saved outputs contain an error (an exception traceback).

    ## Why is this bad?
    The notebook did not run cleanly when it was saved. A top-down run will stop at
    this cell, and everything after it was computed from some other state.

    ## Example
    ```python
    df = pd.read_csv("data.csv")   # FileNotFoundError in the output
    ```

    ## Use instead
    ```python
    df = pd.read_csv(DATA_DIR / "data.csv")   # runs cleanly
    ```

    ## Fix
    Fix the error, restart the kernel and run all cells. If the error is the point of
    the cell (a teaching example), add the tag `raises-exception` as papermill does.
    A cell whose code is now all commented out is not reported: its error output is left
    over from before, and it cannot stop a top-down run.
    `nb2prod lint --fix --unsafe-fixes` clears every cell's outputs and execution
    counts, as `nb2prod clean` does: unsafe, because the saved results are lost until
    you run the notebook again.
    """

    code = "NB303"
    name = "error-output"
    severity = Severity.ERROR
    summary = "A cell's saved output is an error"
    needs_python = False
    fix = Applicability.UNSAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for cell in nb.code_cells:
            if "raises-exception" in cell.tags or _only_comments(nb, cell):
                continue  # a cell now commented out cannot raise again: its error is stale
            for i, out in enumerate(cell.outputs, start=1):
                if out.get("output_type") == "error":
                    ename = str(out.get("ename") or "Error")
                    evalue = " ".join(str(out.get("evalue") or "").split())
                    if len(evalue) > 120:
                        evalue = evalue[:117] + "..."
                    yield self.at(cell, f"cell output is an error: {ename}: {evalue}".rstrip(": "), output=i,
                                  fix=clear_all_outputs(nb.nb))


@register
class UseBeforeDefinition(Rule):
    """## What it does
    Finds names read in a cell before any cell above it defines them, when a cell
    further down does.

    ## Why is this bad?
    This is hidden state: the notebook only worked because the later cell was run
    first. A top-down run (a fresh kernel, `nb2prod build`, CI) fails here with a
    `NameError`.

    ## Example
    ```python
    # cell 1
    model.fit(X, y)
    # cell 2
    model = LogisticRegression()
    ```

    ## Use instead
    ```python
    # cell 1
    model = LogisticRegression()
    # cell 2
    model.fit(X, y)
    ```

    ## Fix
    Move the defining cell above its first use, then restart and run all.
    """

    code = "NB304"
    name = "use-before-definition"
    severity = Severity.ERROR
    summary = "A name is read before the cell that defines it"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        defs = nb.module_definitions
        for p in nb.name_problems:
            if p.kind != "undefined" or p.in_function:
                continue
            d = defs.get(p.name)
            if d is None:
                continue
            line = p.node.lineno + p.offset  # type: ignore[attr-defined]
            if (d.cell.index, d.line) > (p.cell.index, line):
                where = "further down this cell" if d.cell is p.cell else f"in cell {d.cell.index}"
                yield self.at(
                    p.cell,
                    f"`{p.name}` is read here but first defined {where}: a top-down run fails",
                    node=p.node,
                    offset=p.offset,
                )


@register
class NameFromHiddenState(Rule):
    """## What it does
    Finds names that no cell defines, read by a cell that nevertheless ran without
    error.

    ## Why is this bad?
    The name existed in the kernel when the cell ran, so it came from a cell that was
    since deleted or edited, or from code typed and run elsewhere. Nobody else can
    recreate it.

    ## Example
    ```python
    # the cell that defined `scaler` was deleted
    X = scaler.transform(X_raw)    # [7], ran fine
    ```

    ## Use instead
    ```python
    scaler = StandardScaler().fit(X_raw)
    X = scaler.transform(X_raw)
    ```

    ## Fix
    Restore the definition in a cell above, then restart and run all.
    """

    code = "NB305"
    name = "name-from-hidden-state"
    severity = Severity.ERROR
    summary = "A name defined in no cell was available when the cell ran"

    def check(self, nb: Analysis) -> Iterator[Finding]:
        defs = nb.module_definitions
        dynamic = nb.dynamic_namespace_from
        for p in nb.name_problems:
            if p.kind != "undefined" or p.in_function or p.name in defs:
                continue
            if dynamic is not None and p.cell.index >= dynamic:
                continue
            cell = p.cell
            if cell.execution_count is None or cell.has_error_output():
                continue
            yield self.at(
                cell,
                f"`{p.name}` is defined in no cell, yet this cell ran without error "
                f"as [{cell.execution_count}]: it came from a deleted cell or hidden state",
                node=p.node,
                offset=p.offset,
            )


@register
class SkippedExecutionCounts(Rule):
    """## What it does
    Finds gaps in the execution counts: `[3]` followed by `[7]` means cells were run
    that are no longer in the notebook, or the same cells were run again and again.

    ## Why is this bad?
    State produced by runs that the saved notebook does not show is a classic source
    of results that nobody can reproduce.

    ## Example
    ```text
    [1] [2] [9] [10]
    ```

    ## Use instead
    ```text
    [1] [2] [3] [4]
    ```

    ## Fix
    Restart the kernel and run all cells, then save.
    `nb2prod lint --fix --unsafe-fixes` clears every cell's outputs and execution
    counts, as `nb2prod clean` does: unsafe, because the saved results are lost until
    you run the notebook again.
    """

    code = "NB306"
    name = "skipped-execution-counts"
    severity = Severity.INFO
    summary = "Execution counts have gaps (stale state)"
    needs_python = False
    fix = Applicability.UNSAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        executed = _executed(nb)
        if not executed:
            return
        counts = [count for _, count in executed]
        if counts != sorted(counts):
            return  # NB301 already says the order is wrong; gaps are meaningless then
        first, first_count = executed[0]
        if first_count > 1:
            yield self.at(
                first,
                f"first executed cell ran as [{first_count}]: "
                f"{first_count - 1} earlier run(s) are not in the notebook",
                fix=clear_all_outputs(nb.nb),
            )
        for (_, prev_count), (cell, count) in zip(executed, executed[1:], strict=False):
            gap = count - prev_count - 1
            if gap > 0:
                yield self.at(
                    cell,
                    f"ran as [{count}] right after [{prev_count}]: "
                    f"{gap} run(s) in between are not in the notebook",
                    fix=clear_all_outputs(nb.nb),
                )


# -- found by running the notebook (`nb2prod lint --execute`, see nb2prod.execcheck) ---


class _ExecutionRule(Rule):
    """Base of the rules whose findings come from running the notebook in a fresh
    kernel (:mod:`nb2prod.execcheck`): statically they report nothing."""

    needs_python = False  # any kernel that is installed can run the notebook

    def check(self, nb: Analysis) -> Iterator[Finding]:
        return iter(())


@register
class CellFailsOnRerun(_ExecutionRule):
    """## What it does
    Runs the notebook in a fresh kernel, top to bottom, and reports the cell that
    raises an exception, with the exception. Only with `nb2prod lint --execute`; cells
    tagged `skip` are not run, cells tagged `raises-exception` may raise (as in
    papermill). The run stops at the first failing cell, so cells below it are not
    checked until it is fixed.

    ## Why is this bad?
    Whatever the saved outputs show, this is what happens when anyone else runs the
    notebook, and what `nb2prod build`, papermill and CI do: cells that were run out of
    order, names left over from deleted cells, files that only exist on one machine,
    all surface here as an exception.

    ## Example
    ```python
    # cell 1, run second
    print(model)        # NameError in a fresh kernel
    # cell 2, run first
    model = "logistic regression"
    ```

    ## Use instead
    ```python
    # cell 1
    model = "logistic regression"
    # cell 2
    print(model)
    ```

    ## Fix
    Restart the kernel and run all cells (Kernel > Restart & Run All), fix the first
    cell that fails, repeat. A cell that is meant to raise gets the tag
    `raises-exception`.
    """

    code = "NB307"
    name = "cell-fails-on-rerun"
    severity = Severity.ERROR
    summary = "A cell raises when the notebook runs top to bottom in a fresh kernel (--execute)"


@register
class OutputNotReproducible(_ExecutionRule):
    """## What it does
    Runs the notebook twice in fresh kernels and reports the code cells whose outputs
    differ between the two runs. Only with `nb2prod lint --execute --reproduce`.
    Outputs are compared after removing what legitimately changes from run to run:
    memory addresses, object ids, timings (`%time`, `%timeit`, "took 1.2 s"), time
    stamps, progress bars, carriage-return overwrites, execution counts, trailing
    whitespace, stderr, and image bytes (only the presence of an image is compared
    unless `--compare-images`).

    ## Why is this bad?
    A result that changes every time the notebook runs cannot be checked, compared or
    rebuilt: the model in production is not the one that was evaluated. The usual
    causes are unseeded random numbers, iteration over sets of strings, the current
    time, and data that changes under the notebook.

    ## Example
    ```python
    import numpy as np
    print(np.random.rand(3))     # different numbers every run
    ```

    ## Use instead
    ```python
    import numpy as np
    rng = np.random.default_rng(0)
    print(rng.random(3))
    ```

    ## Fix
    Seed every source of randomness (see the NB1xx rules), sort what you iterate
    over, and pin the data the notebook reads.
    """

    code = "NB308"
    name = "output-not-reproducible"
    severity = Severity.WARNING
    summary = "A cell's outputs differ between two fresh runs (--reproduce)"


@register
class OutputDiffersFromSaved(_ExecutionRule):
    """## What it does
    Compares the outputs of a fresh top-to-bottom run with the outputs saved in the
    notebook and reports the code cells that differ. Only with `nb2prod lint --execute
    --reproduce`, only for cells that had been run when the notebook was saved, and not
    for cells whose outputs already differ between two fresh runs (NB308). The same
    normalisation as NB308 applies.

    ## Why is this bad?
    The saved outputs are what readers, reviewers and model cards quote. When running
    the code does not give them back, they came from other code, other data, other
    package versions or hidden state.

    ## Example
    ```text
    [1] print(len(df))
        1000                # saved; a fresh run prints 1200
    ```

    ## Use instead
    ```text
    [1] print(len(df))
        1200                # saved after Restart & Run All
    ```

    ## Fix
    Restart the kernel, run all cells and save. If the output should not change,
    find out what changed: the data, a package version, or state the notebook does
    not create itself.
    """

    code = "NB309"
    name = "output-differs-from-saved"
    severity = Severity.WARNING
    summary = "A fresh run's outputs differ from the outputs saved in the notebook (--reproduce)"


@register
class ExecutionIncomplete(_ExecutionRule):
    """## What it does
    Reports a notebook that `nb2prod lint --execute` could not run to the end: no
    kernel could be started for it (the kernel its metadata names is not installed,
    or it failed to start), or a cell ran longer than `--cell-timeout`, or the whole
    run longer than `--timeout`. The kernel is then killed; the finding points at the
    cell that was running, if any.

    ## Why is this bad?
    Nothing below that point was checked, so the notebook cannot be said to run. A
    notebook that only runs with a private kernel, or that takes hours, will not run
    in CI or in `nb2prod build` either.

    ## Example
    ```python
    # kernelspec: "conda-env-old-project-py" (not installed here)
    while not done():     # never finishes
        poll()
    ```

    ## Use instead
    ```python
    # kernelspec: "python3"
    for _ in range(MAX_POLLS):
        if done():
            break
        poll()
    ```

    ## Fix
    Install the kernel or pass `--kernel NAME`; make slow cells faster (a smaller
    sample behind a `parameters` cell) or raise `--cell-timeout` / `--timeout`. To
    accept notebooks that cannot run here, ignore `NB310` for them (`per-file-ignores`)
    or lower its severity.
    """

    code = "NB310"
    name = "execution-incomplete"
    severity = Severity.ERROR
    summary = "The notebook could not be run to the end: no kernel, or out of time (--execute)"


# The rules whose findings come from a run (their check() reports nothing statically):
# the engine runs the notebook (``lint --execute``) only when one of them is selected.
EXECUTION_RULES = frozenset({CellFailsOnRerun.code, OutputNotReproducible.code, OutputDiffersFromSaved.code,
                             ExecutionIncomplete.code})
# ... and those that need a second run.
REPRODUCE_RULES = frozenset({OutputNotReproducible.code, OutputDiffersFromSaved.code})
