"""``--format json``: everything, for programs."""

from __future__ import annotations

from collections import Counter
from typing import Any

from nb2prod import __version__, jsonout
from nb2prod.engine import RunResult
from nb2prod.formats.registry import FormatContext, display_path, register


@register("json")
def render_json(run: RunResult, ctx: FormatContext) -> str:
    notebooks = []
    for nb in run.notebooks:
        d = nb.to_dict()
        d["path"] = display_path(nb.path, ctx.cwd)
        notebooks.append(d)
    counts = Counter(f.severity.label for f in run.findings)
    executed = Counter(nb.execution["verdict"] for nb in run.notebooks if nb.execution is not None)
    doc: dict[str, Any] = {
        "tool": "nb2prod",
        "version": __version__,
        "score": run.score,
        "exit_code": run.exit_code(ctx.fail_on),
        "fail_on": ctx.fail_on.label,
        "summary": {
            "notebooks": len(run.notebooks),
            "unreadable": sum(1 for nb in run.notebooks if nb.error),
            "internal_errors": sum(len(nb.internal_errors) for nb in run.notebooks),
            "findings": len(run.findings),
            "error": counts["error"],
            "warning": counts["warning"],
            "info": counts["info"],
        },
        "notebooks": notebooks,
    }
    if executed:  # lint --execute: how many notebooks ran, failed, timed out...
        doc["summary"]["executed"] = dict(sorted(executed.items()))
    return jsonout.dumps(doc) + "\n"  # json.dumps(doc, indent=2, ensure_ascii=False)
