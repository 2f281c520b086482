"""MODEL_CARD.md: what the generated project says about its model, from the notebook.

The build gathers what it can honestly know: the title and description from the
notebook's Markdown, the request schema and an example, the training data summary from
the ``reference`` profile, the metrics the notebook printed (from its own execution at
build time), the versions, the lineage (notebook sha256, git commit, parameters, seeds,
lint score) and the owner (``-p owner=...``, else ``git config user.name``). What only
a person knows (intended users, out-of-scope uses, known failure modes) is left to the
owner, clearly marked in the card.

:func:`model_card` returns a :class:`~nb2prod.converter.records.ModelCard`, read from the
build's typed records (the plan's fields, the :class:`~nb2prod.converter.records.Lock`);
the template renders it as the context key ``_model_card`` (docs/templates.md). Every
string in it is ready for Markdown (table cells escaped).
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nb2prod.converter.records import Lock, ModelCard
from nb2prod.converter.resolve import imported_tops
from nb2prod.deps import canonical
from nb2prod.notebook import strip_ansi

if TYPE_CHECKING:
    from nb2prod.converter.execute import Capture
    from nb2prod.converter.plan import BuildPlan, Field

__all__ = [
    "GIT_TIMEOUT",
    "NO_REFERENCE",
    "cell_text",
    "collect_metrics",
    "git_lineage",
    "metric_cells",
    "model_card",
    "model_card_for_build",
    "parse_metrics",
    "resolve_owner",
    "summarize_metrics",
]

GIT_TIMEOUT = 10.0  # seconds for each git command
NO_REFERENCE = "no `reference` cell: no training data summary"
RAW_LIMIT = 4000  # characters of printed output kept per metrics cell

# --- which cells report metrics -------------------------------------------------------

_ATX = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_METRIC_HEADING = re.compile(r"\b(metrics?|evaluation)\b", re.IGNORECASE)


def _last_heading(markdown: str) -> str | None:
    """The last ATX (``## Metrics``) or setext (``Metrics`` over ``---``) heading of a Markdown cell."""
    heading = None
    lines = markdown.splitlines()
    in_fence = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = _ATX.match(line)
        if m and m.group(1):
            heading = m.group(1)
        elif i > 0 and _SETEXT.match(line) and lines[i - 1].strip() and not _ATX.match(lines[i - 1]):
            heading = lines[i - 1].strip()
    return heading


def metric_cells(nb: Any) -> dict[int, str]:
    """The code cells whose printed output reports metrics: cell index -> why.

    A cell is one when it is tagged ``metrics``, when its metadata ``name`` is
    ``metrics``, or when the nearest Markdown heading above it says Metrics or
    Evaluation. ``skip`` cells never run, so they report nothing.
    """
    reasons: dict[int, str] = {}
    heading: str | None = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = _last_heading(cell.source)
            if found is not None:
                heading = found
            continue
        if not cell.is_code or "skip" in cell.nb2prod_tags:
            continue
        name = cell.metadata.get("name")
        if "metrics" in cell.nb2prod_tags:
            reasons[cell.index] = "tagged `metrics`"
        elif isinstance(name, str) and name.strip().lower() == "metrics":
            reasons[cell.index] = "named `metrics` in its metadata"
        elif heading is not None and _METRIC_HEADING.search(heading):
            reasons[cell.index] = f"under the heading “{' '.join(heading.split())}”"
    return reasons


# --- what they printed ----------------------------------------------------------------

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_METRIC_LINE = re.compile(
    rf"^\s*(?P<name>[^\W\d][\w .()/@^²-]{{0,63}}?)\s*(?::|=)\s*(?P<value>{_NUMBER})\s*(?P<unit>%)?\s*$"
)
_SEPARATORS = re.compile(r"[,;|\t]")


def _clean(text: str) -> str:
    """Printed text as a terminal would show it: no colour codes, progress bars settled."""
    text = strip_ansi(text)
    lines = []
    for line in text.split("\n"):
        if "\r" in line:
            parts = [p for p in line.split("\r") if p]
            line = parts[-1] if parts else ""
        lines.append(line.rstrip())
    return "\n".join(lines)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def cell_text(outputs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The outputs of a cell that may report metrics, in order: ``("stream", text)`` for
    what went to stdout and ``("result", text)`` for the ``text/plain`` of its result."""
    pieces: list[tuple[str, str]] = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") == "stdout":
            text = _text(out.get("text"))
            if pieces and pieces[-1][0] == "stream":  # nbclient may split one print into several outputs
                pieces[-1] = ("stream", pieces[-1][1] + text)
            else:
                pieces.append(("stream", text))
        elif kind == "execute_result":
            data = out.get("data") or {}
            text = _text(data.get("text/plain"))
            if text.strip():
                pieces.append(("result", text))
    return [(kind, _clean(text)) for kind, text in pieces]


def _number(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _one(part: str) -> tuple[str, float, str] | None:
    m = _METRIC_LINE.match(part)
    if m is None:
        return None
    value = _number(m.group("value"))
    name = " ".join(m.group("name").split())
    if value is None or not name:
        return None
    return name, value, m.group("value") + (m.group("unit") or "")


def parse_metrics(text: str) -> list[tuple[str, float, str]]:
    """``name: number`` and ``name = number`` lines (several on a line when separated by
    ``,`` ``;`` ``|`` or tabs; a trailing ``%`` is kept): (name, value, value as printed)."""
    found: list[tuple[str, float, str]] = []
    for line in _clean(text).splitlines():
        if not line.strip():
            continue
        whole = _one(line)
        parts = [p for p in _SEPARATORS.split(line) if p.strip()]
        if len(parts) > 1:
            each = [_one(p) for p in parts]
            if all(each):
                found.extend(e for e in each if e is not None)
                continue
        if whole is not None:
            found.append(whole)
    return found


def _result_metrics(text: str, expression: str | None) -> list[tuple[str, float, str]]:
    """Metrics in a cell's result: a dict of numbers (``{'accuracy': 0.97}``), a bare number
    when the cell ends with a name (``accuracy``), else ``name: number`` lines."""
    stripped = text.strip()
    try:
        value = ast.literal_eval(stripped)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        value = None
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            if isinstance(key, str) and isinstance(item, (int, float)) and not isinstance(item, bool):
                if math.isfinite(item):
                    out.append((" ".join(key.split()), float(item), repr(item)))
        if out:
            return out
    if isinstance(value, (int, float)) and not isinstance(value, bool) and expression:
        number = _number(stripped)
        if number is not None:
            return [(expression, number, stripped)]
    return parse_metrics(text)


def _final_expression(tree: ast.Module | None) -> str | None:
    """``accuracy`` or ``scores.f1`` when a cell ends with that expression, else None."""
    if tree is not None and tree.body and isinstance(tree.body[-1], ast.Expr):
        node = tree.body[-1].value
        if isinstance(node, (ast.Name, ast.Attribute)):
            return ast.unparse(node)
    return None


def summarize_metrics(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """The metrics table and the raw text from the metrics cells' outputs.

    ``cells``: ``{"cell": index, "reason": why, "pieces": [(kind, text)], "expression": str | None}``
    in notebook order. A name printed more than once keeps its last value (a training
    loop's final epoch) and says how often it was printed.
    """
    values: dict[str, dict[str, Any]] = {}
    outputs = []
    for entry in cells:
        pieces = entry.get("pieces", [])
        for kind, text in pieces:
            found = _result_metrics(text, entry.get("expression")) if kind == "result" else parse_metrics(text)
            for name, value, printed in found:
                previous = values.pop(name, None)
                values[name] = {"name": name, "value": value, "printed": printed, "cell": entry["cell"],
                                "times": (previous["times"] + 1) if previous else 1}
        text = "\n".join(t.strip("\n") for _, t in pieces if t.strip()).strip("\n")
        left_out = 0
        if len(text) > RAW_LIMIT:
            left_out = len(text) - RAW_LIMIT
            text = text[-RAW_LIMIT:]
        outputs.append({"cell": entry["cell"], "reason": entry["reason"], "text": text, "left_out": left_out})
    return {"values": list(values.values()), "outputs": outputs}


def collect_metrics(nb: Any, executed: Any, origin: list[int | None]) -> dict[str, Any]:
    """Metrics from the build's own execution: ``executed`` is the notebook nbclient ran,
    ``origin[i]`` the index in ``nb`` of its cell ``i`` (None for cells the build added)."""
    reasons = metric_cells(nb)
    by_index = {c.index: c for c in nb.cells}
    cells = []
    if executed is not None:
        for i, cell in enumerate(executed.cells):
            where = origin[i] if i < len(origin) else None
            if where is None or where not in reasons:
                continue
            cells.append({"cell": where, "reason": reasons[where], "pieces": cell_text(cell.get("outputs", [])),
                          "expression": _final_expression(by_index[where].parsed.tree)})
    report = summarize_metrics(cells)
    report["cells"] = sorted(reasons)
    return report


# --- lineage and owner ----------------------------------------------------------------

# Set by a git hook that runs the build, these would point git at another repository.
_GIT_ENV_DROP = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX", "GIT_COMMON_DIR")


def _git(args: list[str], cwd: Path, timeout: float) -> tuple[int, str, str]:
    """Run read-only git in ``cwd``: (exit code, stdout, stderr). Never takes the index lock."""
    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROP}
    env.update({"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)
    return proc.returncode, proc.stdout.strip(), proc.stderr.strip()


def git_lineage(notebook: Path, timeout: float = GIT_TIMEOUT) -> dict[str, Any]:
    """The git state of the notebook's folder: ``commit`` (HEAD, or None), ``dirty``
    (tracked files differ from HEAD), ``notebook`` (``committed``, ``modified`` or
    ``untracked``) and ``note`` (why there is no commit: ``not in a git repository``...)."""
    folder = notebook.parent
    info: dict[str, Any] = {"commit": None, "dirty": None, "notebook": None, "note": ""}
    try:
        code, out, err = _git(["rev-parse", "--is-inside-work-tree"], folder, timeout)
        if code != 0 or out != "true":
            outside = out == "false" or "not a git repository" in err.lower()
            first = err.splitlines()[0] if err else f"exit code {code}"
            info["note"] = "not in a git repository" if outside else f"git could not read the repository: {first[:200]}"
            return info
        code, out, _ = _git(["rev-parse", "--verify", "--quiet", "HEAD"], folder, timeout)
        if code != 0 or not out:
            info["note"] = "in a git repository without commits"
            return info
        info["commit"] = out
        _, changes, _ = _git(["status", "--porcelain", "--untracked-files=no"], folder, timeout)
        info["dirty"] = bool(changes)
        tracked, _, _ = _git(["ls-files", "--error-unmatch", "--", notebook.name], folder, timeout)
        if tracked != 0:
            info["notebook"] = "untracked"
        else:
            _, own, _ = _git(["status", "--porcelain", "--", notebook.name], folder, timeout)
            info["notebook"] = "modified" if own else "committed"
    except FileNotFoundError:
        info["note"] = "git is not installed"
    except subprocess.TimeoutExpired:
        info["note"] = f"git did not answer within {timeout:g} s"
    except OSError as exc:
        info["note"] = f"git could not run: {exc.strerror or exc}"
    return info


def resolve_owner(explicit: str | None, folder: Path, timeout: float = GIT_TIMEOUT) -> dict[str, str]:
    """The model's owner: ``-p owner=...``, else git's ``user.name`` (and ``user.email``)
    as configured for ``folder``, else ``unknown``. ``source`` says which."""
    if explicit is not None and explicit.strip():
        return {"name": " ".join(explicit.split()), "source": "`-p owner`"}
    values = {}
    for key in ("user.name", "user.email"):
        try:
            code, out, _ = _git(["config", "--get", key], folder, timeout)
        except (OSError, subprocess.TimeoutExpired):
            code, out = 1, ""
        values[key] = " ".join(out.split()) if code == 0 else ""
    name, email = values["user.name"], values["user.email"]
    if name or email:
        shown = f"{name} <{email}>" if name and email else name or email
        return {"name": shown, "source": "git config"}
    return {"name": "unknown", "source": "no `-p owner` and no git user configured"}


# --- Markdown -------------------------------------------------------------------------


def _cell(text: Any) -> str:
    """Text for a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(text: Any) -> str:
    """Inline code for a table cell, with a fence longer than any backtick run inside."""
    text = " ".join(str(text).split())
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or runs else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|")


def _fence(text: str) -> str:
    runs = [len(r) for r in re.findall(r"`{3,}", text)]
    return "`" * max(3, max(runs, default=0) + 1)


def _num(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return f"{value:.1f}"
        return f"{value:.4g}"
    return str(value)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


# --- the training data summary -----------------------------------------------------------


def _features(profile: Any) -> list[tuple[str, dict[str, Any]]]:
    """(name, entry) of each profiled feature: ``profile["features"]`` of the reference profile
    (``kind`` ``numeric`` with ``count``, ``missing_rate``, ``min``, ``max``, ``mean``, ``std``;
    or ``categorical`` with ``count``, ``missing_rate``, ``distinct``, ``frequencies``, ``other``)."""
    raw = profile.get("features") if isinstance(profile, dict) else None
    if not isinstance(raw, dict):
        return []
    return [(str(k), v) for k, v in raw.items() if isinstance(v, dict)]


def _rate(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{100 * value:.1f}%" if value else "0%"
    return ""


def _frequencies(spec: dict[str, Any]) -> list[tuple[str, float]]:
    raw = spec.get("frequencies")
    if not isinstance(raw, dict):
        return []
    pairs = [(str(k), float(v)) for k, v in raw.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return sorted(pairs, key=lambda kv: -kv[1])


def _distinct(spec: dict[str, Any]) -> int:
    distinct = spec.get("distinct")
    return distinct if isinstance(distinct, int) else len(_frequencies(spec))


def _seen(spec: dict[str, Any]) -> str:
    """What the training data held for one feature, for the inputs table."""
    if spec.get("kind") == "numeric":
        if spec.get("min") is None or spec.get("max") is None:
            return ""
        return f"{_num(spec['min'])} to {_num(spec['max'])}"
    distinct = _distinct(spec)
    if not distinct:
        return ""
    freqs = _frequencies(spec)
    if distinct <= 5 and len(freqs) == distinct:
        return ", ".join(_code(k) for k, _ in freqs)
    return f"{distinct} distinct values"


def _training_data(profile: dict[str, Any] | None, fields: list[Field], has_reference: bool) -> dict[str, Any]:
    features = _features(profile)
    if not features:
        note = "the `reference` cell was not profiled by this build" if has_reference else NO_REFERENCE
        advice = "" if has_reference else ("Tag a cell that assigns the training inputs to `reference` (a DataFrame, "
                                           "a 2-D array or a list of records) to profile them here and in the service.")
        return {"available": False, "note": note, "advice": advice, "rows": "", "source": "", "numeric": [],
                "categorical": [], "unprofiled": [], "ranges": []}
    assert isinstance(profile, dict)
    order = {f.name: i for i, f in enumerate(fields)}
    numeric, categorical, ranges = [], [], []
    for name, spec in sorted(features, key=lambda kv: order.get(kv[0], len(order))):
        count = _num(spec["count"]) if spec.get("count") is not None else ""
        if spec.get("kind") == "numeric":
            stats = {k: "" if spec.get(k) is None else _num(spec[k]) for k in ("min", "max", "mean", "std")}
            numeric.append({"name": _code(name), "count": count, "missing": _rate(spec.get("missing_rate")), **stats})
            if stats["min"] and stats["max"]:
                ranges.append(f"{_code(name)} from {stats['min']} to {stats['max']}")
        else:
            freqs = _frequencies(spec)
            shown = ", ".join(f"{_code(k)} {100 * v:.1f}%" for k, v in freqs[:5])
            rest = _distinct(spec) - min(len(freqs), 5)
            if rest > 0:
                shown += f", {rest} more"
            categorical.append({"name": _code(name), "count": count, "missing": _rate(spec.get("missing_rate")),
                                "distinct": str(_distinct(spec)), "top": shown})
            if freqs:
                ranges.append(f"{_code(name)} one of the {_distinct(spec)} values seen")
    unprofiled = profile.get("unprofiled")
    notes = [f"{_code(k)}: {_cell(v)}" for k, v in unprofiled.items()] if isinstance(unprofiled, dict) else []
    rows = profile.get("rows")
    return {"available": True, "note": "", "advice": "", "rows": _num(rows) if isinstance(rows, int) else "",
            "source": _code(profile["source"]) if isinstance(profile.get("source"), str) else "",
            "numeric": numeric, "categorical": categorical, "unprofiled": notes, "ranges": ranges}


DATA_ROWS = 100  # data files listed in the card; the lock lists them all


def _data_files(lock: Lock) -> dict[str, Any]:
    """The files the notebook read when the build ran it (the lock's ``data``, see
    :mod:`.lineage`: the first :data:`DATA_ROWS`, and how many more), and the outputs it
    read back, for the Training data section."""
    rows = []
    for d in lock.data[:DATA_ROWS]:
        notes = []
        if d.outside_project:
            notes.append("outside the project")
        if d.modified:
            notes.append("the notebook wrote it after reading it: the sha256 is of the file the run left")
        rows.append({"path": _code(d.path), "bytes": str(d.bytes), "sha256": d.sha256,
                     "cell": "" if d.cell is None else str(d.cell), "note": _cell("; ".join(notes))})
    outputs = [_code(p) for p in lock.data_outputs[:DATA_ROWS]]
    return {"files": rows, "more_files": len(lock.data) - len(rows), "outputs": outputs,
            "more_outputs": len(lock.data_outputs) - len(outputs)}


# --- the card -------------------------------------------------------------------------


def _key_packages(lock: Lock, imported: list[str]) -> list[dict[str, str]]:
    """The pinned requirements, then the distributions the notebook imports by their own name."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for req in lock.requirements:
        name, sep, version = _split_requirement(req)
        if sep == "==":
            out.append({"name": _code(name), "version": _cell(version), "role": "pinned: the model needs it"})
        else:
            out.append({"name": _code(name), "version": _code(f"{sep}{version}"),
                        "role": "the web service (plays no part in the predictions)"})
        seen.add(canonical(name))
    wanted = {canonical(m) for m in imported}
    for dist, version in sorted(lock.packages.items(), key=lambda kv: kv[0].lower()):
        if canonical(dist) in wanted and canonical(dist) not in seen:
            out.append({"name": _code(dist), "version": _cell(version), "role": "imported by the training code"})
            seen.add(canonical(dist))
    return out


def _seed_value(value: Any, parameters: dict[str, Any]) -> str:
    """A seed as the notebook gave it: a literal, or the source of an expression (``seed``,
    shown with its value when it is a build parameter)."""
    if isinstance(value, str):
        if value in parameters:
            return f"{_code(value)} = {_code(_json(parameters[value]))}"
        return _code(value)
    return _code(_json(value))


def _split_requirement(req: str) -> tuple[str, str, str]:
    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(==|>=|<=|~=|!=|>|<)?\s*(.*?)\s*$", req)
    if m is None:
        return req, "", ""
    return m.group(1), m.group(2) or "", m.group(3)


def _example(examples: list[dict[str, Any]]) -> dict[str, str] | None:
    if not examples:
        return None
    first = examples[0]
    request = json.dumps(first.get("input", {}), indent=2, ensure_ascii=False, default=str)
    response = json.dumps({"prediction": first.get("output")}, indent=2, ensure_ascii=False, default=str)
    return {"request": request, "response": response, "fence": _fence(request + response)}


def model_card(
    *,
    title: str,
    description: str,
    purpose: str,
    fields: list[Field],
    return_annotation: str,
    examples: list[dict[str, Any]],
    lock: Lock,
    profile: dict[str, Any] | None,
    metrics: dict[str, Any],
    owner: dict[str, str],
    git: dict[str, Any],
    imported: list[str] | None = None,
    has_tests: bool = True,
    has_reference: bool = False,
) -> ModelCard:
    """The data of MODEL_CARD.md (context key ``_model_card``, see docs/templates.md)."""
    training = _training_data(profile, fields, has_reference)
    training.update(_data_files(lock))
    seen = dict(_features(profile))
    inputs = [
        {
            "name": _code(f.name),
            "type": _code(f.annotation),
            "required": "yes" if f.required else "no",
            "default": "" if f.required else _code(f.default_repr or _json(f.default)),
            "seen": _seen(seen[f.name]) if f.name in seen else "",
        }
        for f in fields
    ]
    untyped = [f.name for f in fields if f.annotation == "Any"]

    if git.get("commit"):
        revision = f"git commit `{git['commit']}`"
        if git.get("dirty"):
            revision += " with uncommitted changes"
        if git.get("notebook") in ("modified", "untracked"):
            revision += f"; the notebook itself is {git['notebook']} (its sha256 identifies it)"
    else:
        revision = git.get("note") or "unknown"
    parameters = [{"name": _code(k), "value": _code(_json(v))} for k, v in lock.parameters.items()]
    seed_rows = [{"call": _code(s.get("call", "")), "value": _seed_value(s.get("value"), lock.parameters),
                  "cell": str(s.get("cell", ""))} for s in lock.seeds]
    lint_score = lock.lint_score

    metric_rows = [
        {"name": _cell(m["name"]), "value": _cell(m["printed"]), "cell": str(m["cell"]),
         "note": f"printed {m['times']} times; the last value" if m.get("times", 1) > 1 else ""}
        for m in metrics.get("values", [])
    ]
    metric_outputs = [
        {"cell": str(o["cell"]), "reason": o["reason"], "text": o["text"], "fence": _fence(o["text"]),
         "left_out": o.get("left_out", 0)}
        for o in metrics.get("outputs", []) if o.get("text")
    ]
    if metric_rows or metric_outputs:
        metrics_note = ""
    elif metrics.get("cells"):
        metrics_note = ("the metrics cells (" + ", ".join(f"cell {c}" for c in metrics["cells"])
                        + ") printed nothing when the build ran the notebook")
    else:
        metrics_note = ("the notebook has no metrics cell (tag the cell that prints them `metrics`, or put it "
                        "under a Markdown heading *Metrics* or *Evaluation*)")

    limitations = []
    if training["ranges"]:
        limitations.append("The model saw inputs only in these ranges during training; outside them its answers "
                           "are extrapolation: " + "; ".join(training["ranges"]) + ".")
    for f in untyped:
        limitations.append(f"The input {_code(f)} has no type annotation in `predict`: the service accepts any JSON "
                           "value for it and only `predict` itself checks it.")
    if not seed_rows:
        limitations.append("The notebook sets no random seed that nb2prod recognises: retraining may not "
                           "reproduce the artifacts exactly.")
    if not has_tests:
        limitations.append("The notebook has no `test` cells: the service's tests check only that it answers "
                           "as the notebook did on the examples.")
    if not training["available"]:
        limitations.append("Without a profile of the training inputs (a `reference` cell), nothing tells when "
                           "requests drift away from them.")

    packages = _key_packages(lock, imported or [])
    return ModelCard(
        title=" ".join(title.split()),
        description=description.strip(),
        purpose=purpose.strip(),
        owner={"name": _cell(owner.get("name", "unknown")), "source": owner.get("source", "")},
        inputs=inputs,
        output={"type": _code(return_annotation or "Any")},
        example=_example(examples),
        examples=len(examples),
        training_data=training,
        metrics=metric_rows,
        metric_outputs=metric_outputs,
        metrics_note=metrics_note,
        versions={
            "python": _cell(lock.python),
            "nb2prod": _cell(lock.nb2prod_version),
            "packages": packages,
            "requirements": list(lock.requirements),
            "recorded": len(lock.packages),
        },
        lineage={
            "notebook": _code(lock.notebook.name),
            "sha256": lock.notebook.sha256 or "unknown",
            "revision": _cell(revision),
            "commit": git.get("commit") or "",
            "dirty": git.get("dirty"),
            "built_at": _cell(lock.built_at),
            "lint_score": f"{lint_score}/100" if lint_score is not None else "not measured",
            "parameters": parameters,
            "seeds": seed_rows,
        },
        limitations=limitations,
    )


def _imported_modules(nb: Any) -> list[str]:
    return imported_tops(cell.parsed.tree for cell in nb.cells
                         if cell.is_code and "skip" not in cell.nb2prod_tags and cell.parsed.tree is not None)


def _predict_docstring(plan: BuildPlan) -> str:
    tree = plan.predict_cell.parsed.tree
    if tree is None:
        return ""
    for node in reversed(tree.body):
        if isinstance(node, ast.FunctionDef) and node.name == "predict":
            return ast.get_docstring(node) or ""
    return ""


def model_card_for_build(
    plan: BuildPlan, capture: Capture, lock: Lock, project_name: str, metrics: dict[str, Any] | None = None
) -> ModelCard:
    """The model card of a build, from its plan, its capture and its lock; ``metrics``: what
    :func:`collect_metrics` gives for them, when the caller has it already."""
    nb_path = plan.nb.path
    folder = nb_path.parent if nb_path is not None else Path.cwd()
    git = git_lineage(nb_path) if nb_path is not None else {"commit": None, "note": "the notebook has no file"}
    return model_card(
        title=plan.title or project_name,
        description=plan.description,
        purpose=_predict_docstring(plan),
        fields=plan.fields,
        return_annotation=plan.return_annotation,
        examples=capture.examples,
        lock=lock,
        profile=capture.profile,
        metrics=metrics if metrics is not None else collect_metrics(plan.nb, capture.executed, capture.origin),
        owner=resolve_owner(getattr(plan, "owner", None), folder),
        git=git,
        imported=_imported_modules(plan.nb),
        has_tests=bool(plan.test_cells),
        has_reference=bool(plan.reference_cells),
    )
