from __future__ import annotations

__all__ = ["BuildError", "safe_message"]


def safe_message(text: object) -> str:
    """A build message as it may be shown: one line (controls escaped) with every secret
    the linter recognises masked. Everything the build says goes through it: its errors,
    its progress events, the CLI's notes."""
    from nb2prod.masking import redact
    from nb2prod.textsafe import one_line

    return one_line(redact(str(text)))


class BuildError(Exception):
    """A build that cannot go on. ``str()`` is one line for the user, secrets masked;
    nothing was written."""

    def __init__(self, message: object = "") -> None:
        super().__init__(safe_message(message))
