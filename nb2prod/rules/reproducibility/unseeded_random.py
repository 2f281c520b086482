"""NB101-NB105: randomness used before any seed (global state and generators)."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.fixes.model import Applicability
from nb2prod.rules._base import Rule, register
from nb2prod.rules.reproducibility.fixes import generator_seed_fix, seed_fix
from nb2prod.rules.reproducibility.scan import NUMPY, PYTHON, TENSORFLOW, TORCH, is_none, scan_of, written

_LIBRARY_TEXT = {
    PYTHON: ("draws from Python's global `random` state", "call `random.seed(0)` right after `import random`"),
    NUMPY: (
        "draws from numpy's global random state",
        "call `np.random.seed(0)` right after numpy is imported, or draw from `np.random.default_rng(0)`",
    ),
    TORCH: ("uses torch's global random generator", "call `torch.manual_seed(0)` right after `import torch`"),
    TENSORFLOW: (
        "uses TensorFlow's random state",
        "call `tf.keras.utils.set_random_seed(0)` right after TensorFlow is imported",
    ),
}


class _UnseededGlobalRandom(Rule):
    """Shared check: the first use of a library's global random state before any seed."""

    library = ""
    fix = Applicability.SAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        scan = scan_of(nb)
        uses = scan.uses.get(self.library)
        if not uses:
            return
        order = scan.order
        seed = scan.first_seed(self.library)
        # A use counts where it draws: a DataLoader when iterated, a Keras layer when built.
        placed = sorted(((u.at or order.position(u.call), u) for u in uses), key=lambda pu: pu[0])
        early = [u for pos, u in placed if seed is None or pos < seed[0]]
        if not early:
            return
        first = early[0]
        what, advice = _LIBRARY_TEXT[self.library]
        more = f" (+{len(early) - 1} more before any seed)" if len(early) > 1 else ""
        if seed is None:
            message = f"`{first.label}`{first.note} {what}, and no seed is ever set{more}: {advice}"
        else:
            where = seed[0][0]  # where the seed runs: a helper's seed, where it is called
            message = (
                f"`{first.label}`{first.note} {what} before the seed in cell {where} (`{written(seed[1])}`)"
                f"{more}: set the seed before the first draw"
            )
        remedy = seed_fix(nb, self.library, placed[0][0], first.label) if seed is None else None
        yield self.at(first.call.cell, message, node=first.call.node, offset=first.call.offset, fix=remedy)


@register
class UnseededPythonRandom(_UnseededGlobalRandom):
    """## What it does
    Finds uses of Python's `random` module (`random.random`, `randint`, `choice`,
    `shuffle`, `sample`, `uniform`, `gauss`...) with no `random.seed(...)` before them.
    Only the first such use is reported, with a count of the others.

    ## Why is this bad?
    Without a seed every run draws different numbers: shuffles, samples and splits
    change, and so do the model and the metrics computed from them. Nobody, including
    you next week, can reproduce the saved results.

    ## Example
    ```python
    import random
    random.shuffle(rows)
    ```

    ## Use instead
    ```python
    import random
    random.seed(42)
    random.shuffle(rows)
    ```

    ## Fix
    Call `random.seed(<int>)` right after `import random`, before the first draw, or
    use a seeded `rng = random.Random(42)` and draw from it. Helpers such as Lightning's
    `seed_everything`, `transformers.set_seed` or `keras.utils.set_random_seed` count
    as seeds too.
    `nb2prod lint --fix` (safe) inserts `random.seed(0)` on the line after the first
    top-level import of `random` that runs before the first draw, with the notebook's alias
    and its own seed variable (`SEED = 42` bound once, above) or `0`. It is not offered
    when that import runs after the first draw or shares its line with other code, or
    when the notebook seeds `random` somewhere already (move that seed up yourself).
    """

    code = "NB101"
    name = "unseeded-python-random"
    severity = Severity.ERROR
    summary = "Python's `random` is used before any `random.seed(...)`"
    library = PYTHON


@register
class UnseededNumpyRandom(_UnseededGlobalRandom):
    """## What it does
    Finds calls of numpy's legacy global random functions (`np.random.rand`, `randn`,
    `randint`, `choice`, `shuffle`, `normal`...) and of `scipy.stats` `.rvs` without
    `random_state`, with no `np.random.seed(...)` before them. Only the first such use is
    reported, with a count of the others.

    ## Why is this bad?
    These functions share one hidden global state, seeded from the operating system
    unless you seed it. Every run produces different data, initial weights or splits,
    so the notebook's numbers cannot be reproduced.

    ## Example
    ```python
    import numpy as np
    X = np.random.randn(100, 3)
    ```

    ## Use instead
    ```python
    import numpy as np
    rng = np.random.default_rng(42)
    X = rng.standard_normal((100, 3))
    ```

    ## Fix
    Prefer a seeded `np.random.default_rng(<int>)` passed to the code that needs it; or,
    at least, call `np.random.seed(<int>)` right after numpy is imported, before the
    first draw.
    `nb2prod lint --fix` (safe) inserts `np.random.seed(0)` on the line after the first
    top-level import of numpy that runs before the first draw, with the notebook's alias
    and its own seed variable (`SEED = 42` bound once, above) or `0`. It is not offered
    when that import runs after the first draw or shares its line with other code, or
    when the notebook seeds numpy somewhere already (move that seed up yourself).
    """

    code = "NB102"
    name = "unseeded-numpy-random"
    severity = Severity.ERROR
    summary = "numpy's global random functions are used before any `np.random.seed(...)`"
    library = NUMPY


@register
class UnseededRandomGenerator(Rule):
    """## What it does
    Finds random generator objects created without a seed: `np.random.default_rng()`,
    `np.random.RandomState()`, bit generators such as `PCG64()`, `SeedSequence()`,
    `random.Random()` and `tf.random.Generator.from_non_deterministic_state()`. Passing
    `None` counts as no seed.

    ## Why is this bad?
    An unseeded generator takes fresh entropy from the operating system, so everything
    drawn from it differs on every run. A global `np.random.seed(...)` does not help: these
    generators do not use the global state.

    ## Example
    ```python
    rng = np.random.default_rng()
    noise = rng.normal(size=100)
    ```

    ## Use instead
    ```python
    rng = np.random.default_rng(42)
    noise = rng.normal(size=100)
    ```

    ## Fix
    Pass a seed: `np.random.default_rng(42)`, `random.Random(42)`,
    `tf.random.Generator.from_seed(42)`. `nb2prod lint --fix` (safe) passes the
    notebook's seed variable or `0` as the first argument (`RandomState(None)` becomes
    `RandomState(0)`); inside a loop or comprehension the fix is unsafe, since every
    iteration would then draw the same numbers; `from_non_deterministic_state()` gets
    no fix.
    """

    code = "NB103"
    name = "unseeded-random-generator"
    severity = Severity.ERROR
    summary = "A random generator is created without a seed"
    fix = Applicability.SAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for use in scan_of(nb).generators:
            call = use.call
            args = "None" if call.node.args and is_none(call.node.args[0]) else ""
            yield self.at(
                call.cell,
                f"`{use.label}({args})` is seeded from the operating system, so every run draws "
                f"different numbers: pass a seed, e.g. `{use.label}(42)`",
                node=call.node,
                offset=call.offset,
                fix=generator_seed_fix(nb, call),
            )


@register
class UnseededTorch(_UnseededGlobalRandom):
    """## What it does
    Finds uses of torch's global random generator with no `torch.manual_seed(...)` (or
    Lightning's `seed_everything`, `transformers.set_seed`...) before them: `torch.rand`,
    `randn`, `randint`, `randperm`, `normal`, `bernoulli`, `multinomial`, the `*_like`
    variants, `torch.nn.init.*`, layers with randomly initialised weights (`nn.Linear`,
    `nn.Conv2d`, `nn.LSTM`...) or dropout, random torchvision transforms,
    `DataLoader(shuffle=True)` and `random_split` without `generator=`. Only the first such
    use is reported, with a count of the others.

    ## Why is this bad?
    Initial weights, shuffling and augmentation all change from run to run, so the
    trained model and its metrics cannot be reproduced, and two runs cannot be compared.

    ## Example
    ```python
    model = torch.nn.Linear(4, 3)
    loader = DataLoader(train, batch_size=32, shuffle=True)
    ```

    ## Use instead
    ```python
    torch.manual_seed(42)
    model = torch.nn.Linear(4, 3)
    loader = DataLoader(train, batch_size=32, shuffle=True)
    ```

    ## Fix
    Call `torch.manual_seed(<int>)` (or `lightning.seed_everything(<int>)`) right after
    `import torch`, before the first draw, or pass a seeded
    `generator=torch.Generator().manual_seed(<int>)`.
    `nb2prod lint --fix` (safe) inserts `torch.manual_seed(0)` on the line after the first
    top-level import of torch that runs before the first draw, with the notebook's alias
    and its own seed variable (`SEED = 42` bound once, above) or `0`. It is not offered
    when that import runs after the first draw or shares its line with other code, or
    when the notebook seeds torch somewhere already (move that seed up yourself).
    """

    code = "NB104"
    name = "unseeded-torch"
    severity = Severity.ERROR
    summary = "torch randomness is used before any `torch.manual_seed(...)`"
    library = TORCH


@register
class UnseededTensorflow(_UnseededGlobalRandom):
    """## What it does
    Finds uses of TensorFlow / Keras randomness with no global seed set before them:
    `tf.random.normal`, `uniform`, `shuffle`..., `tf.image.random_*`, Keras layers with
    randomly initialised weights or dropout (`Dense`, `Conv2D`, `LSTM`, `Dropout`...),
    initializers without `seed=`, `image_dataset_from_directory` without `seed=`, and
    `.shuffle()` of a `tf.data` dataset without `seed=`. Only the first such use is
    reported, with a count of the others.

    ## Why is this bad?
    With no global seed, TensorFlow draws fresh random numbers on every run: initial
    weights, dropout masks and shuffling differ, and so do the trained model and its
    metrics.

    ## Example
    ```python
    model = tf.keras.Sequential([tf.keras.layers.Dense(10)])
    ```

    ## Use instead
    ```python
    tf.keras.utils.set_random_seed(42)
    model = tf.keras.Sequential([tf.keras.layers.Dense(10)])
    ```

    ## Fix
    Call `tf.keras.utils.set_random_seed(<int>)` (it also seeds Python and numpy) or
    `tf.random.set_seed(<int>)` right after TensorFlow is imported, before the first
    draw.
    `nb2prod lint --fix` (safe) inserts `tf.keras.utils.set_random_seed(0)` (`keras.utils.set_random_seed(0)` for
    standalone Keras) on the line after the first
    top-level import of TensorFlow or Keras that runs before the first draw, with the notebook's alias
    and its own seed variable (`SEED = 42` bound once, above) or `0`. It is not offered
    when that import runs after the first draw or shares its line with other code, or
    when the notebook seeds TensorFlow or Keras somewhere already (move that seed up yourself).
    """

    code = "NB105"
    name = "unseeded-tensorflow"
    severity = Severity.ERROR
    summary = "TensorFlow randomness is used before any global seed"
    library = TENSORFLOW
