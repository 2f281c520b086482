"""Fixes: remedies the rules attach to their findings (``nb2prod lint --fix``).

:mod:`nb2prod.fixes.model` is what a fix is (imported by the rules);
:mod:`nb2prod.fixes.apply` chooses and applies them; :mod:`nb2prod.fixes.run` is the
lint-fix-lint loop over a notebook; :mod:`nb2prod.fixes.diff` shows a change cell by
cell; :mod:`nb2prod.fixes.depfiles` edits requirements, pyproject and environment files.
See docs/fixes.md.
"""

from nb2prod.fixes.model import Applicability, Fix

__all__ = ["Applicability", "Fix"]
