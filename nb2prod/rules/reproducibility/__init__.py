"""NB1xx: reproducibility. Does a second top-down run compute the same thing?

Two kinds of problem: randomness that no seed fixes (NB101-NB106, NB109) and data read from
a URL or a hub whose content can change (NB107, NB108).

All rules read one scan of :attr:`Analysis.calls` (:func:`scan.scan_of`), made once per notebook.
Cells tagged ``skip`` do not run at build time: they neither seed nor count as uses.

"Before" means earlier in notebook order (cell, then line), with two refinements:

* Code inside a top-level ``def`` or ``class`` runs when the function is first called (the
  class first instantiated), so a seed in ``def set_seed(): ...`` counts where ``set_seed()``
  is called (also under ``if __name__ == "__main__":``), and ``nn.Linear`` inside ``class
  Net`` counts where ``Net()`` is. A seed in a function never called in the notebook seeds
  nothing; a use there counts where it is written (the function may be called by the
  service). Seeding helpers from libraries (``transformers.set_seed``, Lightning's
  ``seed_everything``, ``keras.utils.set_random_seed``...) seed every library they cover.
* A use counts where the random draw happens, not where the object is made (``scan.NOW``
  and the others): ``nn.Linear`` draws its weights when constructed, ``random_split`` when
  called; ``nn.Dropout`` draws when applied, ``DataLoader(shuffle=True)``, samplers and
  random transforms when iterated, a Keras layer when built (called on a tensor, given an
  input shape, or when its model is fit). Such a deferred draw is placed at the first later
  use of the name the object is bound to, followed through constructors that wrap it
  (``ImageFolder(transform=aug)``, ``DataLoader(ds)``, ``Sequential([...])``) and past
  calls that only configure (``model.compile``); never used, it draws nothing; made inside
  a function or class, it is placed after every seed (it counts only if none is set).

Whether ``random_state`` changes a scikit-learn result is measured
(``tools/sklearn_seed_experiment.py``, ``data/sklearn_seed_effect.json``): NB106 when it
does on typical data, NB109 (a warning) when only on some data, nothing when never.
"""

# Importing the rule modules registers their rules; the scanners they read live in
# ``scan`` and ``urls``.
from nb2prod.rules.reproducibility import (  # noqa: F401  (imported for their side effect)
    hub_revision,
    missing_random_state,
    unpinned_remote_data,
    unseeded_random,
)
