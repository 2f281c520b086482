"""Regular expressions compiled on first use.

The linter's modules hold a few hundred module-level patterns; compiling them all when
the modules are imported cost about 90 ms at every start of ``nb2prod lint``, and a
typical notebook uses a fifth of them (most belong to detectors that only run when a
cheap prefilter matches). :func:`compile` returns an object that compiles its pattern
the first time a method is called and then binds the compiled pattern's methods on
itself, so every later call goes straight to the compiled pattern's C method.

Use it for module-level constants only, and only where the object is used through its
methods (``P.search(s)``, ``P.sub(r, s)``, ``P.pattern``): ``re.sub(P, ...)`` and
``isinstance(P, re.Pattern)`` need a real pattern (``P.compiled``).
"""

from __future__ import annotations

import re
from typing import Any, cast

__all__ = ["compile", "LazyPattern"]

# What a compiled pattern offers besides ``pattern`` (known without compiling).
_FORWARDED = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner",
              "flags", "groups", "groupindex")


class LazyPattern:
    """A pattern and its flags; compiled, and its methods bound here, on first use."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags

    @property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, self._flags)

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not set yet: the first use of a forwarded one.
        if name not in _FORWARDED:
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self._flags)
        for attr in _FORWARDED:
            setattr(self, attr, getattr(compiled, attr))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy {re.compile(self.pattern, self._flags)!r}"


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, compiled when first used (typed as the pattern it stands for)."""
    return cast("re.Pattern[str]", LazyPattern(pattern, flags))
