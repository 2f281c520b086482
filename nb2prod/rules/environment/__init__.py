"""NB2xx: environment. Could someone else install what this notebook needs?

The facts the rules read live in ``facts`` (built on :mod:`nb2prod.deps`); importing the
rule modules registers their rules.
"""

from nb2prod.rules.environment import (  # noqa: F401  (imported for their side effect)
    dependencies,
    kernel_metadata,
    unpinned_install,
)
