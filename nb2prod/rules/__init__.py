"""The rule registry. Each family lives in a module of its own, or in a package when its
scanners outgrow one (``reproducibility/``, ``environment/``, ``portability/``,
``security/``: the scanners beside one module per rule or group, as ruff lays out
``rules/<family>/``). Importing this package registers every rule. ``REGISTRY`` maps
code -> rule instance, in code order."""

from __future__ import annotations

# Importing the family modules registers their rules.
from nb2prod.rules import (  # noqa: F401  (imported for their side effect)
    environment,
    execution,
    portability,
    reproducibility,
    security,
    structure,
    testing,
)
from nb2prod.rules._base import DOC_SECTIONS, REGISTRY, Rule, register

__all__ = ["REGISTRY", "Rule", "register", "DOC_SECTIONS", "get_rule"]

_sorted = dict(sorted(REGISTRY.items()))
REGISTRY.clear()
REGISTRY.update(_sorted)


def get_rule(selector: str) -> Rule | None:
    """A rule by code (``NB101``) or name (``unseeded-python-random``)."""
    s = selector.strip()
    if s.upper() in REGISTRY:
        return REGISTRY[s.upper()]
    for rule in REGISTRY.values():
        if rule.name == s.lower():
            return rule
    return None
