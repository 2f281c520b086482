"""NB205, NB206: the kernel and the language version the notebook ran with."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.fixes.common import kernelspec_fix, language_version_fix
from nb2prod.fixes.model import Applicability
from nb2prod.rules._base import Rule, register
from nb2prod.rules.environment.facts import has_code


@register
class MissingKernelspec(Rule):
    """## What it does
    Checks that the notebook's metadata names its kernel (`metadata.kernelspec.name`).

    ## Why is this bad?
    Tools that run notebooks (papermill, nbclient, `nb2prod build`, CI) start the
    kernel that the notebook names. Without one they must guess, or refuse to run it
    (papermill: "No kernel name found in notebook").

    ## Example
    ```json
    {"metadata": {}}
    ```

    ## Use instead
    ```json
    {"metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}}}
    ```

    ## Fix
    Open the notebook in Jupyter, select a kernel (Kernel > Change Kernel) and save.
    `nb2prod lint --fix` (safe) writes ipykernel's default `python3` kernelspec into
    the metadata of a Python notebook, keeping any keys the kernelspec already has;
    notebooks in other languages are left for you to fix.
    """

    code = "NB205"
    name = "missing-kernelspec"
    severity = Severity.WARNING
    summary = "The notebook's metadata does not name its kernel"
    needs_python = False
    fix = Applicability.SAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        if not has_code(nb):
            return
        if _metadata_text(nb, "kernelspec", "name"):
            return
        ks = nb.nb.metadata.get("kernelspec")
        what = "no kernelspec" if not isinstance(ks, dict) else "a kernelspec without a kernel name"
        yield self.at(nb.nb.cells[0], f"the notebook's metadata has {what}: tools that run it must guess the kernel",
                      fix=kernelspec_fix(nb.nb))


@register
class MissingLanguageVersion(Rule):
    """## What it does
    Checks that the notebook's metadata records the version of its language
    (`metadata.language_info.version`, written by the kernel when the notebook is
    saved).

    ## Why is this bad?
    Without it nobody knows which Python the results came from, and the service
    built from the notebook cannot choose a matching base image. Language versions
    change behaviour (dict order, `hash` randomisation, removed modules).

    ## Example
    ```json
    {"metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}}}
    ```

    ## Use instead
    ```json
    {"metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"},
                  "language_info": {"name": "python", "version": "3.11.9"}}}
    ```

    ## Fix
    Run the notebook with its kernel and save it: Jupyter writes `language_info`.
    `nb2prod lint --fix` (safe) records the version of the Python that nb2prod runs
    with (the interpreter of this environment's `python3` kernel) in
    `language_info.version` of a Python notebook, keeping the other keys; check that it
    is the Python you ran the notebook with.
    """

    code = "NB206"
    name = "missing-language-version"
    severity = Severity.INFO
    summary = "The notebook's metadata does not record the language version"
    needs_python = False
    fix = Applicability.SAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        if not has_code(nb):
            return
        if _metadata_text(nb, "language_info", "version"):
            return
        language = "Python" if nb.nb.is_python else _language_name(nb)
        yield self.at(
            nb.nb.cells[0],
            "the notebook's metadata records no language version (`language_info.version`): "
            f"the {language} version it ran with is unknown",
            fix=language_version_fix(nb.nb),
        )


def _metadata_text(nb: Analysis, table: str, key: str) -> str | None:
    """``metadata[table][key]`` when it is a string that is not blank (stripped), else None."""
    found = nb.nb.metadata.get(table)
    value = found.get(key) if isinstance(found, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _language_name(nb: Analysis) -> str:
    return (_metadata_text(nb, "kernelspec", "language") or _metadata_text(nb, "language_info", "name")
            or nb.nb.language)
