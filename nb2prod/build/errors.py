from __future__ import annotations


class BuildError(Exception):
    """A build that cannot go on. ``str()`` is one line for the user; nothing was written."""
