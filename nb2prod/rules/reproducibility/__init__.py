"""NB1xx: reproducibility. Does a second top-down run compute the same thing?

Two kinds of problem: randomness that no seed fixes (NB101-NB106) and data read from a
URL whose content can change (NB107).

All rules read one scan of :attr:`Analysis.calls` (:func:`scan.scan_of`), made once per notebook.
Cells tagged ``skip`` do not run at build time: they neither seed nor count as uses.

"Before" means earlier in notebook order (cell, then line), with one refinement: code
inside a top-level ``def`` or ``class`` runs when the function is first called (the class
first instantiated), so a seed in ``def set_seed(): ...`` counts where ``set_seed()`` is
called, and ``nn.Linear`` inside ``class Net`` counts where ``Net()`` is. A seed in a
function never called in the notebook seeds nothing; a use there counts where it is
written (the function may be called by the service).
"""

# Importing the rule modules registers their rules; the scanners they read live in
# ``scan`` and ``urls``.
from nb2prod.rules.reproducibility import (  # noqa: F401  (imported for their side effect)
    hub_revision,
    missing_random_state,
    unpinned_remote_data,
    unseeded_random,
)
