"""``--format junit``: JUnit XML for CI test reports.

One ``testcase`` per notebook; each finding at or above ``--fail-on`` is a ``failure``
(type = rule code), findings below it go to ``system-out``; an unreadable file is an
``error``. The readiness score is a property of the test suite and of each test case.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from nb2prod import _lazyre
from nb2prod.engine import RunResult
from nb2prod.formats.registry import FormatContext, display_path, register
from nb2prod.formats.text import location

# XML 1.0 forbids most control characters; outputs can contain them.
_ILLEGAL = _lazyre.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(s: str) -> str:
    return _ILLEGAL.sub("?", s)


@register("junit")
def render_junit(run: RunResult, ctx: FormatContext) -> str:
    suites = ET.Element("testsuites", name="nb2prod")
    suite = ET.SubElement(suites, "testsuite", name="nb2prod lint")
    failures = errors = 0
    props = ET.SubElement(suite, "properties")
    if run.score is not None:
        ET.SubElement(props, "property", name="readiness", value=str(run.score))
    ET.SubElement(props, "property", name="fail-on", value=ctx.fail_on.label)
    for nb in run.notebooks:
        # A file name may hold characters XML 1.0 cannot (an escape character...).
        path = _clean(display_path(nb.path, ctx.cwd))
        case = ET.SubElement(suite, "testcase", classname="nb2prod.lint", name=path, file=path)
        if nb.score is not None:
            cprops = ET.SubElement(case, "properties")
            ET.SubElement(cprops, "property", name="readiness", value=str(nb.score.total))
            if nb.execution is not None:
                ET.SubElement(cprops, "property", name="execution", value=str(nb.execution.get("verdict")))
        if nb.error:
            errors += 1
            ET.SubElement(case, "error", type="unreadable", message=_clean(nb.error)).text = _clean(
                f"{path}: {nb.error}"
            )
            continue
        for err in nb.internal_errors:
            ET.SubElement(case, "error", type="internal", message=_clean(err)).text = _clean(f"{path}: {err}")
        if nb.internal_errors:
            errors += 1
        failing = nb.failing(ctx.fail_on)
        if failing:
            failures += 1
        for f in failing:
            el = ET.SubElement(case, "failure", type=f.code, message=_clean(f"{f.code} {f.message}"))
            body = f"{location(path, f)}: {f.code} [{f.severity.label}] {f.message}"
            if f.source_line is not None:
                body += f"\n    {f.source_line}"
            el.text = _clean(body)
        rest = [f for f in nb.findings if f not in failing]
        out_lines = [f"readiness {nb.score.total}/100" if nb.score else ""]
        if nb.execution is not None:
            out_lines.append(f"executed: {nb.execution.get('summary') or nb.execution.get('verdict')}")
        out_lines += [f"{location(path, f)}: {f.code} [{f.severity.label}] {f.message}" for f in rest]
        ET.SubElement(case, "system-out").text = _clean("\n".join(out_lines))
    suite.set("tests", str(len(run.notebooks)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    suites.set("tests", str(len(run.notebooks)))
    suites.set("failures", str(failures))
    suites.set("errors", str(errors))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
