"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other viewers.

Regions are cell-aware: ``startLine``/``endLine`` are lines of the ``.ipynb`` file
itself (where the cell's source line sits in the JSON, so a pull request shows the
annotation in place), and the region's property bag names the cell: ``cellIndex``
(1-based over all cells), ``cellId``, and the ``cellLine``/``cellColumn`` inside it
(plus ``output`` for findings in a cell's outputs).
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from nb2prod import __version__, jsonout
from nb2prod.diagnostics import Finding, Severity, family_of
from nb2prod.engine import NotebookResult, RunResult
from nb2prod.formats.registry import FormatContext, display_path, register, where
from nb2prod.rules import REGISTRY
from nb2prod.textsafe import scrub

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/nb2prod/nb2prod"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rules() -> list[dict[str, Any]]:
    out = []
    for code, rule in REGISTRY.items():
        sections = rule.doc_sections()
        out.append(
            {
                "id": code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": sections.get("What it does", rule.summary)},
                "help": {"text": sections.get("Fix", rule.summary), "markdown": rule.doc()},
                "defaultConfiguration": {"level": _LEVEL[rule.severity]},
                "properties": {"family": family_of(code).key, "tags": [family_of(code).title]},
            }
        )
    return out


def _region(nb: NotebookResult, f: Finding) -> dict[str, Any]:
    start = nb.file_line(f)
    region: dict[str, Any] = {"startLine": start}
    if f.output is None and f.end_line and f.end_line > f.line:
        per_line = nb.file_lines.get(f.cell or 0, (0, False))[1]
        if per_line:
            region["endLine"] = start + (f.end_line - f.line)
    if f.source_line is not None:
        region["snippet"] = {"text": f.source_line}
    props: dict[str, Any] = {"cellLine": f.line, "cellColumn": f.column}
    if f.cell is not None:
        props["cellIndex"] = f.cell
    if f.cell_id is not None:
        props["cellId"] = f.cell_id
    if f.output is not None:
        props["output"] = f.output
    region["properties"] = props
    return region


def _uri(path: str) -> str:
    """A relative URI for ``path``. A file name that is not UTF-8 (surrogate-escaped by
    Python) is percent-encoded byte for byte, so the URI still names the file."""
    try:
        return quote(path, safe="/:", errors="surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no file name byte gives
        return quote(scrub(path), safe="/:")


def _fingerprint(path: str, f: Finding) -> str:
    where = f.cell_id or f"cell-{f.cell}"
    basis = "\0".join([f.code, path, where, (f.source_line or f.message).strip()])
    # surrogatepass: a file name that is not UTF-8 (surrogate-escaped) still hashes, stably.
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@register("sarif")
def render_sarif(run: RunResult, ctx: FormatContext) -> str:
    index = {code: i for i, code in enumerate(REGISTRY)}
    results = []
    notifications = []
    for nb in run.notebooks:
        uri = _uri(display_path(nb.path, ctx.cwd))
        for err in nb.internal_errors:
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": f"{uri}: internal error: {err}"},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
                }
            )
        if nb.error:
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": f"{uri}: {nb.error}"},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
                }
            )
            continue
        for f in nb.findings:
            cell = f"cell {f.cell}" if f.cell is not None else "notebook"
            results.append(
                {
                    "ruleId": f.code,
                    "ruleIndex": index[f.code],
                    "level": _LEVEL[f.severity],
                    "message": {"text": f"{f.message} ({where(f)})"},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                                "region": _region(nb, f),
                            },
                            "logicalLocations": [{"name": cell, "kind": "notebookCell"}],
                        }
                    ],
                    "partialFingerprints": {"nb2prod/v1": _fingerprint(uri, f)},
                }
            )
    doc = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "nb2prod",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFO_URI,
                        "rules": _rules(),
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": ctx.cwd.resolve().as_uri() + "/"}},
                "invocations": [
                    {
                        "executionSuccessful": not notifications,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
            }
        ],
    }
    return jsonout.dumps(doc) + "\n"  # json.dumps(doc, indent=2, ensure_ascii=False)
