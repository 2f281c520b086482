"""The tag vocabulary: how a notebook says what goes to production (DESIGN 5).

Defined once here; the CLI, the lint rules, the build and the JupyterLab extension all
read it from this module (the extension through the server's ``/nb2prod/tags``).

A cell is tagged through ``metadata.tags`` (canonical; ``predict`` or the namespaced
``nb2prod:predict``), or with a first-line comment ``# nb2prod: predict`` for editors
without a tag UI. Suppression tags have the form ``nb2prod:ignore:NB101``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from nb2prod import _lazyre

__all__ = [
    "TAGS",
    "TagSpec",
    "IGNORE_PREFIX",
    "NAMESPACE",
    "cell_vocabulary_tags",
    "comment_tags",
    "unknown_namespaced_tags",
    "ignore_selectors",
]

NAMESPACE = "nb2prod:"
IGNORE_PREFIX = "nb2prod:ignore"


@dataclass(frozen=True)
class TagSpec:
    name: str
    summary: str
    executed_at_build: bool
    exported: bool
    defines: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


TAGS: dict[str, TagSpec] = {
    t.name: t
    for t in (
        TagSpec(
            "parameters",
            "Literal assignments that become build-time parameters "
            "(nb2prod build -p name=value) and service settings; papermill-compatible.",
            executed_at_build=True,
            exported=True,
        ),
        TagSpec(
            "predict",
            "Defines the serving function predict(...). Its signature (type hints, "
            "defaults) is the request schema. Copied into the service.",
            executed_at_build=True,
            exported=True,
            defines="predict",
        ),
        TagSpec(
            "serve",
            "Helper code the service needs (imports, preprocessing functions, "
            "constants). Copied into the service.",
            executed_at_build=True,
            exported=True,
        ),
        TagSpec(
            "example",
            "Defines `example` (keyword arguments of predict) or `examples` (a list): "
            "OpenAPI examples, smoke test and parity check.",
            executed_at_build=True,
            exported=False,
            defines="example",
        ),
        TagSpec(
            "reference",
            "Defines `reference`: training inputs (DataFrame, array or records) "
            "profiled for input validation and drift monitoring.",
            executed_at_build=True,
            exported=False,
            defines="reference",
        ),
        TagSpec(
            "metrics",
            "Training code whose printed output is reported as the model's metrics in "
            "MODEL_CARD.md (`name: number` lines make the table). Runs and is exported as "
            "training code, like an untagged cell.",
            executed_at_build=True,
            exported=True,
        ),
        TagSpec(
            "test",
            "Test code (asserts, test_* functions); runs in the notebook and becomes "
            "the service's tests.",
            executed_at_build=True,
            exported=False,
        ),
        TagSpec(
            "skip",
            "Never executed at build time and never exported (plots, exploration).",
            executed_at_build=False,
            exported=False,
        ),
    )
}

# `# nb2prod: predict` or `# nb2prod: predict, serve` on the first non-blank line.
_COMMENT = _lazyre.compile(r"^\s*#\s*nb2prod\s*:\s*(.+?)\s*$")


def comment_tags(source: str) -> tuple[str, ...]:
    """Tags named in a first-line ``# nb2prod: ...`` comment (raw, may be unknown)."""
    for line in source.splitlines():
        if not line.strip():
            continue
        m = _COMMENT.match(line)
        if not m:
            return ()
        return tuple(t for t in re.split(r"[\s,]+", m.group(1)) if t)
    return ()


def _bare(tag: str) -> str:
    return tag[len(NAMESPACE) :] if tag.startswith(NAMESPACE) else tag


def cell_vocabulary_tags(metadata_tags: tuple[str, ...], comments: tuple[str, ...]) -> frozenset[str]:
    """The vocabulary tags of a cell: plain or namespaced metadata tags, plus comment tags."""
    found = {_bare(t) for t in metadata_tags} | {_bare(t) for t in comments}
    return frozenset(t for t in found if t in TAGS)


def unknown_namespaced_tags(metadata_tags: tuple[str, ...], comments: tuple[str, ...]) -> list[str]:
    """Tags that claim to be nb2prod's (namespaced, or in the comment) but are not known.

    Plain metadata tags that are not in the vocabulary belong to other tools
    (``hide-input``, ``remove-cell``...) and are never reported.
    """
    unknown: list[str] = []
    for t in metadata_tags:
        if t.startswith(NAMESPACE) and not t.startswith(IGNORE_PREFIX) and _bare(t) not in TAGS:
            unknown.append(t)
    for t in comments:
        if not t.startswith("ignore") and _bare(t) not in TAGS:
            unknown.append(t)
    return unknown


def ignore_selectors(metadata_tags: tuple[str, ...]) -> list[str] | None:
    """Selectors from ``nb2prod:ignore:NB101`` tags; ``[]`` means ``nb2prod:ignore`` (all).

    Returns None when the cell has no ignore tag.
    """
    selectors: list[str] | None = None
    for t in metadata_tags:
        if t == IGNORE_PREFIX:
            selectors = selectors or []
            selectors.append("")
        elif t.startswith(IGNORE_PREFIX + ":"):
            selectors = selectors or []
            selectors.extend(s for s in t[len(IGNORE_PREFIX) + 1 :].split(",") if s)
    return selectors
